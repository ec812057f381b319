// @generated automatically by Diesel CLI.

diesel::table! {
    account_jobs (profile_id) {
        profile_id -> Uuid,
        due_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
        failures -> Int4,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    account_snapshots (id) {
        id -> Int8,
        profile_id -> Uuid,
        workspace_id -> Uuid,
        provider -> Text,
        collected_at -> Timestamptz,
        followers -> Nullable<Int8>,
        posts -> Nullable<Int8>,
        warnings -> Array<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        name -> Text,
        key_prefix -> Text,
        key_hash -> Text,
        permission -> Text,
        providers -> Nullable<Array<Text>>,
        profile_ids -> Nullable<Array<Uuid>>,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        policy -> Text,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        name -> Text,
        status -> Text,
        client_type -> Nullable<Text>,
        calendar -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Uuid,
        post_id -> Uuid,
        profile_id -> Uuid,
        provider -> Text,
        status -> Text,
        dispatched_at -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        provider_post_id -> Nullable<Text>,
        url -> Nullable<Text>,
        error_message -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        adopted_before_fix -> Bool,
        redriven_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> Int8,
        delivery_id -> Uuid,
        attempt -> Int4,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    delivery_leases (key, slot) {
        key -> Text,
        slot -> Int4,
        holder -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    delivery_parts (delivery_id, part) {
        delivery_id -> Uuid,
        part -> Int2,
        kind -> Text,
        provider -> Text,
        provider_post_id -> Text,
        url -> Text,
        attempt -> Int4,
        recovered -> Bool,
        published_at -> Timestamptz,
    }
}

diesel::table! {
    feed_items (id) {
        id -> Int8,
        feed_id -> Uuid,
        item_key -> Text,
        link -> Nullable<Text>,
        title -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        seen_at -> Timestamptz,
        fate -> Text,
        reason -> Nullable<Text>,
        post_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    feeds (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        name -> Text,
        feed_url -> Text,
        profile_ids -> Array<Uuid>,
        template -> Text,
        include_image -> Bool,
        becomes -> Text,
        queue_id -> Nullable<Uuid>,
        check_interval_minutes -> Int4,
        backlog -> Int4,
        status -> Text,
        paused_reason -> Nullable<Text>,
        error_count -> Int4,
        last_error -> Nullable<Text>,
        last_checked_at -> Nullable<Timestamptz>,
        next_check_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (workspace_id, key) {
        workspace_id -> Uuid,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Int4>,
        response_headers -> Nullable<Jsonb>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    inbox_items (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        profile_id -> Uuid,
        provider -> Text,
        kind -> Text,
        platform_item_id -> Text,
        platform_url -> Nullable<Text>,
        from_name -> Nullable<Text>,
        from_username -> Nullable<Text>,
        from_avatar_url -> Nullable<Text>,
        from_profile_url -> Nullable<Text>,
        content -> Text,
        about_platform_id -> Nullable<Text>,
        root_platform_id -> Nullable<Text>,
        post_id -> Nullable<Uuid>,
        status -> Text,
        priority -> Text,
        sentiment -> Nullable<Text>,
        can_reply -> Bool,
        can_hide -> Bool,
        can_delete -> Bool,
        source -> Text,
        received_at -> Timestamptz,
        replied_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    inbox_polls (profile_id) {
        profile_id -> Uuid,
        workspace_id -> Uuid,
        cursors -> Jsonb,
        due_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
        polled_at -> Nullable<Timestamptz>,
        failures -> Int4,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        email -> Text,
        token_hash -> Text,
        invited_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        role -> Text,
    }
}

diesel::table! {
    media_assets (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        storage_key -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        source_url -> Nullable<Text>,
        created_at -> Timestamptz,
        kind -> Text,
        width -> Nullable<Int4>,
        height -> Nullable<Int4>,
        duration_ms -> Nullable<Int8>,
        origin -> Text,
        alt_text -> Nullable<Text>,
        filename -> Nullable<Text>,
    }
}

diesel::table! {
    memberships (user_id, workspace_id) {
        user_id -> Uuid,
        workspace_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    metric_jobs (delivery_id) {
        delivery_id -> Uuid,
        due_at -> Nullable<Timestamptz>,
        claimed_until -> Nullable<Timestamptz>,
        requested_at -> Nullable<Timestamptz>,
        failures -> Int4,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    metric_snapshots (id) {
        id -> Int8,
        delivery_id -> Uuid,
        post_id -> Uuid,
        workspace_id -> Uuid,
        provider -> Text,
        collected_at -> Timestamptz,
        trigger -> Text,
        impressions -> Nullable<Int8>,
        reach -> Nullable<Int8>,
        likes -> Nullable<Int8>,
        comments -> Nullable<Int8>,
        shares -> Nullable<Int8>,
        saves -> Nullable<Int8>,
        clicks -> Nullable<Int8>,
        video_views -> Nullable<Int8>,
        warnings -> Array<Text>,
    }
}

diesel::table! {
    oauth_pending (nonce) {
        nonce -> Text,
        workspace_id -> Uuid,
        provider -> Text,
        options -> Jsonb,
        return_to -> Nullable<Text>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_states (state) {
        state -> Text,
        workspace_id -> Uuid,
        provider -> Text,
        code_verifier -> Text,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        return_to -> Nullable<Text>,
        browser_binding -> Nullable<Text>,
        redirect_uri -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        message_id -> Uuid,
        exchange -> Text,
        routing_key -> Text,
        message_type -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
        available_at -> Timestamptz,
        traceparent -> Nullable<Text>,
        expiration_ms -> Nullable<Int8>,
    }
}

diesel::table! {
    post_comments (id) {
        id -> Uuid,
        post_id -> Uuid,
        kind -> Text,
        text -> Text,
        author -> Text,
        created_at -> Timestamptz,
        picked_up_at -> Nullable<Timestamptz>,
        anchor -> Nullable<Jsonb>,
        stale -> Bool,
        version -> Nullable<Int4>,
    }
}

diesel::table! {
    post_media (id) {
        id -> Uuid,
        post_id -> Uuid,
        asset_id -> Uuid,
        position -> Int4,
        alt -> Nullable<Text>,
        status -> Text,
        error_message -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        part -> Int2,
    }
}

diesel::table! {
    post_replies (post_id) {
        post_id -> Uuid,
        item_id -> Nullable<Uuid>,
        platform_item_id -> Text,
        root_platform_id -> Nullable<Text>,
        item_url -> Nullable<Text>,
    }
}

diesel::table! {
    post_versions (post_id, version) {
        post_id -> Uuid,
        version -> Int4,
        content -> Jsonb,
        author -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    posting_queues (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        profile_id -> Uuid,
        name -> Text,
        timezone -> Text,
        slots -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    posts (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        body -> Nullable<Text>,
        status -> Text,
        scheduled_at -> Nullable<Timestamptz>,
        provider_options -> Jsonb,
        dispatched_at -> Nullable<Timestamptz>,
        canceled_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        traceparent -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        redriven_at -> Nullable<Timestamptz>,
        hashtags -> Array<Text>,
        bodies -> Jsonb,
        labels -> Array<Text>,
        tags -> Array<Text>,
        category -> Nullable<Text>,
        campaign -> Nullable<Text>,
        archived_at -> Nullable<Timestamptz>,
        review -> Nullable<Text>,
        requires_approval -> Nullable<Bool>,
        rejection_count -> Int4,
        approved_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Text>,
        version -> Int4,
        review_version -> Nullable<Int4>,
        approved_version -> Nullable<Int4>,
        created_by -> Nullable<Text>,
        queue_id -> Nullable<Uuid>,
        thread -> Jsonb,
    }
}

diesel::table! {
    profiles (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        provider -> Text,
        name -> Text,
        username -> Nullable<Text>,
        picture_url -> Nullable<Text>,
        external_id -> Text,
        access_token -> Nullable<Text>,
        status -> Text,
        expires_at -> Nullable<Timestamptz>,
        disconnected_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        not_before -> Nullable<Timestamptz>,
        refresh_token -> Nullable<Text>,
        is_default -> Bool,
        account_type -> Text,
        profile_url -> Nullable<Text>,
        scopes -> Array<Text>,
        platform_meta -> Jsonb,
    }
}

diesel::table! {
    publish_log (id) {
        id -> Int8,
        workspace_id -> Uuid,
        post_id -> Uuid,
        delivery_id -> Nullable<Uuid>,
        profile_id -> Nullable<Uuid>,
        provider -> Nullable<Text>,
        kind -> Text,
        message -> Nullable<Text>,
        url -> Nullable<Text>,
        occurred_at -> Timestamptz,
        position -> Nullable<Int8>,
    }
}

diesel::table! {
    reply_topics (workspace_id, position) {
        workspace_id -> Uuid,
        position -> Int4,
        topic -> Text,
        search_query -> Text,
        draft_reply -> Text,
        context -> Text,
    }
}

diesel::table! {
    review_links (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        post_id -> Nullable<Uuid>,
        campaign -> Nullable<Text>,
        label -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rewrite_jobs (id) {
        id -> Uuid,
        post_id -> Uuid,
        workspace_id -> Uuid,
        feedback -> Array<Text>,
        status -> Text,
        attempts -> Int4,
        body_before -> Nullable<Text>,
        body_after -> Nullable<Text>,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Uuid,
        workspace_id -> Uuid,
        csrf_token -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    sweeps (name) {
        name -> Text,
        ran_at -> Timestamptz,
        found -> Jsonb,
    }
}

diesel::table! {
    uploads (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        filename -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        token_hash -> Text,
        status -> Text,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        endpoint_id -> Uuid,
        event_id -> Int8,
        attempt -> Int4,
        status_code -> Nullable<Int4>,
        error -> Nullable<Text>,
        succeeded -> Bool,
        at -> Timestamptz,
    }
}

diesel::table! {
    webhook_cursor (id) {
        id -> Int4,
        last_event_id -> Int8,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        workspace_id -> Uuid,
        url -> Text,
        secret -> Text,
        events -> Nullable<Array<Text>>,
        status -> Text,
        failures -> Int4,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    workspace_settings (workspace_id) {
        workspace_id -> Uuid,
        requires_qa_approval -> Bool,
        requires_client_approval -> Bool,
        delivery_mode -> Text,
        timezone -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(account_jobs -> profiles (profile_id));
diesel::joinable!(account_snapshots -> profiles (profile_id));
diesel::joinable!(account_snapshots -> workspaces (workspace_id));
diesel::joinable!(api_keys -> workspaces (workspace_id));
diesel::joinable!(campaigns -> workspaces (workspace_id));
diesel::joinable!(deliveries -> posts (post_id));
diesel::joinable!(deliveries -> profiles (profile_id));
diesel::joinable!(delivery_attempts -> deliveries (delivery_id));
diesel::joinable!(delivery_parts -> deliveries (delivery_id));
diesel::joinable!(feed_items -> feeds (feed_id));
diesel::joinable!(feed_items -> posts (post_id));
diesel::joinable!(feeds -> posting_queues (queue_id));
diesel::joinable!(feeds -> workspaces (workspace_id));
diesel::joinable!(idempotency_keys -> workspaces (workspace_id));
diesel::joinable!(inbox_items -> posts (post_id));
diesel::joinable!(inbox_items -> profiles (profile_id));
diesel::joinable!(inbox_items -> workspaces (workspace_id));
diesel::joinable!(inbox_polls -> profiles (profile_id));
diesel::joinable!(inbox_polls -> workspaces (workspace_id));
diesel::joinable!(invitations -> users (invited_by));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(media_assets -> workspaces (workspace_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(metric_jobs -> deliveries (delivery_id));
diesel::joinable!(metric_snapshots -> deliveries (delivery_id));
diesel::joinable!(metric_snapshots -> posts (post_id));
diesel::joinable!(metric_snapshots -> workspaces (workspace_id));
diesel::joinable!(oauth_pending -> workspaces (workspace_id));
diesel::joinable!(oauth_states -> workspaces (workspace_id));
diesel::joinable!(post_comments -> posts (post_id));
diesel::joinable!(post_media -> media_assets (asset_id));
diesel::joinable!(post_media -> posts (post_id));
diesel::joinable!(post_replies -> inbox_items (item_id));
diesel::joinable!(post_replies -> posts (post_id));
diesel::joinable!(post_versions -> posts (post_id));
diesel::joinable!(posting_queues -> profiles (profile_id));
diesel::joinable!(posting_queues -> workspaces (workspace_id));
diesel::joinable!(posts -> posting_queues (queue_id));
diesel::joinable!(posts -> workspaces (workspace_id));
diesel::joinable!(profiles -> workspaces (workspace_id));
diesel::joinable!(publish_log -> deliveries (delivery_id));
diesel::joinable!(publish_log -> posts (post_id));
diesel::joinable!(publish_log -> profiles (profile_id));
diesel::joinable!(publish_log -> workspaces (workspace_id));
diesel::joinable!(reply_topics -> workspaces (workspace_id));
diesel::joinable!(review_links -> posts (post_id));
diesel::joinable!(review_links -> workspaces (workspace_id));
diesel::joinable!(rewrite_jobs -> posts (post_id));
diesel::joinable!(rewrite_jobs -> workspaces (workspace_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(sessions -> workspaces (workspace_id));
diesel::joinable!(uploads -> workspaces (workspace_id));
diesel::joinable!(webhook_attempts -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoints -> workspaces (workspace_id));
diesel::joinable!(workspace_settings -> workspaces (workspace_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_jobs,
    account_snapshots,
    api_keys,
    campaigns,
    deliveries,
    delivery_attempts,
    delivery_leases,
    delivery_parts,
    feed_items,
    feeds,
    idempotency_keys,
    inbox_items,
    inbox_polls,
    invitations,
    media_assets,
    memberships,
    metric_jobs,
    metric_snapshots,
    oauth_pending,
    oauth_states,
    outbox,
    post_comments,
    post_media,
    post_replies,
    post_versions,
    posting_queues,
    posts,
    profiles,
    publish_log,
    reply_topics,
    review_links,
    rewrite_jobs,
    sessions,
    sweeps,
    uploads,
    users,
    webhook_attempts,
    webhook_cursor,
    webhook_endpoints,
    workspace_settings,
    workspaces,
);
