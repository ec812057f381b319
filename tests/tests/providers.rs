//! Every provider, end to end: a post goes through the real services and the adapter's
//! exact requests reach provider-sim.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::Stack;
use e2e::files::{FileServer, jpeg, mp4, png, sha256};
use serde_json::{Value, json};

struct Published {
    post: Value,
    call: Value,
    requests: Vec<String>,
}

/// Publishes `body` (with `profiles` set to the provider's demo profile) and returns the
/// completed post, the publish call provider-sim recorded and the request line sequence.
async fn publish(s: &Stack, provider: &str, mut body: Value) -> Published {
    body["profiles"] = json!([s.profile(provider).await]);
    let account = format!("demo-{provider}");
    // Requests made before this post (connecting the profile) are not part of it.
    let earlier = request_lines(s, &account).await.len();
    let p = s.create(body).await;
    let post = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(post["deliveries"][0]["status"], "published", "{post}");
    let calls = s.calls(&account).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    let requests = request_lines(s, &account).await.split_off(earlier);
    Published { post, call: calls[0].clone(), requests }
}

async fn request_lines(s: &Stack, account: &str) -> Vec<String> {
    s.sim_records(&format!("requests?account={account}")).await
}

fn media_url(s: &Stack, post: &Value, i: usize) -> String {
    format!("{}/media/{}", s.gateway, post["media"][i]["asset_id"].as_str().unwrap())
}

/// Request lines without the (long, numeric) ids the sim minted.
fn shapes(requests: &[String]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            r.split('?')
                .next()
                .unwrap()
                .split('/')
                .map(|seg| if seg.len() > 3 && seg.chars().all(|c| c.is_ascii_digit()) { "N" } else { seg })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_uploads_media_then_creates_the_tweet() {
    let s = Stack::start("p-x").await;
    let f = FileServer::start().await;
    let r = publish(&s, "x", json!({"post": {"body": "Hello X"}, "media": [{"url": f.url("/card.png"), "alt": "a card"}], "provider_options": {"x": {"reply_settings": "following"}}})).await;
    assert_eq!(shapes(&r.requests), vec!["POST /2/media/upload", "POST /2/media/metadata", "POST /2/tweets"]);
    let media_id = r.call["media"][0]["id"].as_str().unwrap();
    assert_eq!(
        r.call["request"]["body"],
        json!({"text": "Hello X", "media": {"media_ids": [media_id]}, "reply_settings": "following"})
    );
    assert_eq!(r.call["media"][0]["alt"], "a card");
    assert_eq!(r.call["media"][0]["sha256"], sha256(&png(1200, 630)));
    let id = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://x.com/postmantis_demo_x/status/{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkedin_initializes_the_image_upload_then_creates_the_post() {
    let s = Stack::start("p-linkedin").await;
    let f = FileServer::start().await;
    let r = publish(&s, "linkedin", json!({"post": {"body": "Hello LinkedIn"}, "media": [{"url": f.url("/card.png"), "alt": "a card"}], "provider_options": {"linkedin": {"visibility": "CONNECTIONS"}}})).await;
    assert_eq!(shapes(&r.requests), vec!["POST /rest/images", "PUT /_upload/N", "POST /rest/posts"]);
    let image = format!("urn:li:image:{}", r.call["media"][0]["id"].as_str().unwrap());
    assert_eq!(
        r.call["request"]["body"],
        json!({
            "author": "urn:li:person:demo-linkedin",
            "commentary": "Hello LinkedIn",
            "visibility": "CONNECTIONS",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
            "content": {"media": {"id": image, "altText": "a card"}},
        })
    );
    assert_eq!(r.call["request"]["headers"]["linkedin-version"], "202411");
    assert_eq!(r.call["request"]["headers"]["x-restli-protocol-version"], "2.0.0");
    assert_eq!(r.call["media"][0]["sha256"], sha256(&png(1200, 630)));
    let urn = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert!(urn.starts_with("urn:li:share:"));
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://www.linkedin.com/feed/update/{urn}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn youtube_uploads_resumably_and_sets_the_thumbnail() {
    let s = Stack::start("p-youtube").await;
    let f = FileServer::start().await;
    // The cover goes in as an upload-session asset of this workspace.
    let cover = s.create(json!({"post": {"body": "c", "draft": true}, "profiles": [s.profile("x").await], "media": [{"url": f.url("/card.png")}]})).await;
    let cover_id = cover["media"][0]["asset_id"].as_str().unwrap();
    let r = publish(&s, "youtube", json!({
        "post": {"body": "A description"},
        "media": [{"url": f.url("/clip.mp4")}],
        "provider_options": {"youtube": {"title": "Launch", "privacy_status": "unlisted", "cover": {"asset_id": cover_id}}},
    }))
    .await;
    assert_eq!(
        shapes(&r.requests),
        vec!["POST /upload/youtube/v3/videos", "PUT /_upload/yt/N", "POST /upload/youtube/v3/thumbnails/set"]
    );
    assert!(r.requests[0].contains("uploadType=resumable&part=snippet,status"), "{:?}", r.requests);
    assert_eq!(
        r.call["request"]["body"],
        json!({"snippet": {"title": "Launch", "description": "A description"}, "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": false}})
    );
    assert_eq!(r.call["media"][0]["sha256"], sha256(&mp4(12_500)));
    let id = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://www.youtube.com/watch?v={id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instagram_creates_a_container_then_publishes_it() {
    let s = Stack::start("p-instagram").await;
    let f = FileServer::start().await;
    let r = publish(
        &s,
        "instagram",
        json!({"post": {"body": "Hello IG"}, "media": [{"url": f.url("/photo.jpg"), "alt": "a photo"}]}),
    )
    .await;
    assert_eq!(shapes(&r.requests), vec!["POST /demo-instagram/media", "POST /demo-instagram/media_publish", "GET /N"]);
    assert_eq!(
        r.call["request"]["body"],
        json!({"image_url": media_url(&s, &r.post, 0), "caption": "Hello IG", "alt_text": "a photo"})
    );
    assert_eq!(r.call["media"][0]["sha256"], sha256(&jpeg(640, 480)));
    assert!(r.post["deliveries"][0]["url"].as_str().unwrap().starts_with("https://www.instagram.com/p/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiktok_direct_posts_from_the_owned_url() {
    let s = Stack::start("p-tiktok").await;
    let f = FileServer::start().await;
    let r = publish(&s, "tiktok", json!({"post": {"body": "Hello TikTok"}, "media": [{"url": f.url("/clip.mp4")}], "provider_options": {"tiktok": {"privacy_status": "SELF_ONLY", "disable_comment": true}}})).await;
    assert_eq!(shapes(&r.requests)[..2], ["POST /v2/post/publish/video/init/", "POST /v2/post/publish/status/fetch/"]);
    assert_eq!(
        r.call["request"]["body"],
        json!({
            "post_info": {"title": "Hello TikTok", "privacy_level": "SELF_ONLY", "disable_comment": true},
            "source_info": {"source": "PULL_FROM_URL", "video_url": media_url(&s, &r.post, 0)},
        })
    );
    assert_eq!(r.call["media"][0]["sha256"], sha256(&mp4(12_500)));
    let id = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://www.tiktok.com/@postmantis_demo_tiktok/video/{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facebook_posts_a_photo_to_the_page() {
    let s = Stack::start("p-facebook").await;
    let f = FileServer::start().await;
    let r =
        publish(&s, "facebook", json!({"post": {"body": "Hello Facebook"}, "media": [{"url": f.url("/photo.jpg")}]}))
            .await;
    assert_eq!(shapes(&r.requests), vec!["POST /demo-facebook/photos"]);
    assert_eq!(r.call["request"]["body"], json!({"url": media_url(&s, &r.post, 0), "caption": "Hello Facebook"}));
    assert_eq!(r.call["media"][0]["sha256"], sha256(&jpeg(640, 480)));
    let id = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert!(id.starts_with("demo-facebook_"));
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://www.facebook.com/{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_creates_a_container_then_publishes_it() {
    let s = Stack::start("p-threads").await;
    let f = FileServer::start().await;
    let r = publish(&s, "threads", json!({"post": {"body": "Hello Threads"}, "media": [{"url": f.url("/card.png"), "alt": "a card"}], "provider_options": {"threads": {"reply_control": "mentioned_only"}}})).await;
    assert_eq!(shapes(&r.requests), vec!["POST /demo-threads/threads", "POST /demo-threads/threads_publish", "GET /N"]);
    assert_eq!(
        r.call["request"]["body"],
        json!({"media_type": "IMAGE", "image_url": media_url(&s, &r.post, 0), "alt_text": "a card", "text": "Hello Threads", "reply_control": "mentioned_only"})
    );
    assert!(
        r.post["deliveries"][0]["url"].as_str().unwrap().starts_with("https://www.threads.net/@demo-threads/post/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinterest_creates_a_pin_on_the_board() {
    let s = Stack::start("p-pinterest").await;
    let f = FileServer::start().await;
    let r = publish(&s, "pinterest", json!({
        "post": {"body": "Hello Pinterest"},
        "media": [{"url": f.url("/card.png"), "alt": "a card"}],
        "provider_options": {"pinterest": {"board_id": "549755885175", "title": "Launch", "link": "https://postmantis.example"}},
    }))
    .await;
    assert_eq!(shapes(&r.requests), vec!["POST /v5/pins"]);
    assert_eq!(
        r.call["request"]["body"],
        json!({
            "board_id": "549755885175",
            "description": "Hello Pinterest",
            "media_source": {"source_type": "image_url", "url": media_url(&s, &r.post, 0)},
            "title": "Launch",
            "link": "https://postmantis.example",
            "alt_text": "a card",
        })
    );
    let id = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://www.pinterest.com/pin/{id}/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_uploads_a_blob_then_creates_the_record_with_link_facets() {
    let s = Stack::start("p-bluesky").await;
    let f = FileServer::start().await;
    let text = "Héllo Bluesky https://postmantis.example/launch";
    let r =
        publish(&s, "bluesky", json!({"post": {"body": text}, "media": [{"url": f.url("/hop/0"), "alt": "a dot"}]}))
            .await;
    assert_eq!(
        shapes(&r.requests),
        vec!["POST /xrpc/com.atproto.repo.uploadBlob", "POST /xrpc/com.atproto.repo.createRecord"]
    );
    let mut body = r.call["request"]["body"].clone();
    let rkey = body["rkey"].as_str().unwrap().to_owned();
    assert_eq!(rkey.len(), 13);
    let created_at = body["record"]["createdAt"].take();
    assert!(created_at.as_str().unwrap().ends_with('Z'));
    let blob_id = r.call["media"][0]["id"].as_str().unwrap();
    assert_eq!(
        body,
        json!({
            "repo": "did:plc:demo-bluesky",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": null,
                "facets": [{"index": {"byteStart": 15, "byteEnd": 48}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://postmantis.example/launch"}]}],
                "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "a dot", "image": {"$type": "blob", "ref": {"$link": format!("bafkrei{blob_id}")}, "mimeType": "image/png", "size": png(10, 10).len()}}]},
            },
        })
    );
    assert_eq!(r.post["deliveries"][0]["url"], format!("https://bsky.app/profile/postmantis_demo_bluesky/post/{rkey}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_uploads_media_then_posts_the_status_with_an_idempotency_key() {
    let s = Stack::start("p-mastodon").await;
    let f = FileServer::start().await;
    let r = publish(
        &s,
        "mastodon",
        json!({
            "post": {"body": "Hello Mastodon"},
            "media": [{"url": f.url("/card.png"), "alt": "a card"}],
            "provider_options": {"mastodon": {"visibility": "unlisted", "spoiler_text": "launch news"}},
        }),
    )
    .await;
    assert_eq!(shapes(&r.requests), vec!["POST /api/v2/media", "POST /api/v1/statuses"]);
    let media_id = r.call["media"][0]["id"].as_str().unwrap();
    assert_eq!(
        r.call["request"]["body"],
        json!({"status": "Hello Mastodon", "media_ids": [media_id], "visibility": "unlisted", "spoiler_text": "launch news"})
    );
    assert_eq!(r.call["request"]["headers"]["idempotency-key"], r.post["deliveries"][0]["id"]);
    assert_eq!(r.call["media"][0]["alt"], "a card");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reddit_submits_a_self_post() {
    let s = Stack::start("p-reddit").await;
    let r = publish(&s, "reddit", json!({"post": {"body": "Hello Reddit"}, "provider_options": {"reddit": {"subreddit": "rust", "title": "Launch day", "nsfw": false}}})).await;
    assert_eq!(shapes(&r.requests), vec!["POST /api/submit"]);
    assert_eq!(
        r.call["request"]["body"],
        json!({"api_type": "json", "sr": "rust", "title": "Launch day", "kind": "self", "text": "Hello Reddit", "nsfw": "false"})
    );
    assert_eq!(r.call["request"]["headers"]["content-type"], "application/x-www-form-urlencoded");
    let id = r.post["deliveries"][0]["provider_post_id"].as_str().unwrap();
    assert!(id.starts_with("t3_"));
    assert!(r.post["deliveries"][0]["url"].as_str().unwrap().starts_with("https://www.reddit.com/r/rust/comments/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dribbble_uploads_the_shot_with_its_title() {
    let s = Stack::start("p-dribbble").await;
    let f = FileServer::start().await;
    let r = publish(
        &s,
        "dribbble",
        json!({
            "post": {"body": "Hello Dribbble"},
            "media": [{"url": f.url("/card.png")}],
            "provider_options": {"dribbble": {"title": "Launch shot", "tags": "ui", "low_profile": true}},
        }),
    )
    .await;
    assert_eq!(shapes(&r.requests), vec!["POST /v2/shots"]);
    let form = &r.call["request"]["form"];
    assert_eq!(form["title"], "Launch shot");
    assert_eq!(form["description"], "Hello Dribbble");
    assert_eq!(form["tags[]"], "ui");
    assert_eq!(form["low_profile"], "true");
    assert_eq!(r.call["media"][0]["content_type"], "image/png");
    assert_eq!(r.call["media"][0]["sha256"], sha256(&png(1200, 630)));
    let d = &r.post["deliveries"][0];
    assert_eq!(d["url"], format!("https://dribbble.com/shots/{}", d["provider_post_id"].as_str().unwrap()));
}
