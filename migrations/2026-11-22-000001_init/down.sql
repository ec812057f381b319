DROP TABLE publish_log, outbox, post_media, media_assets, delivery_attempts, deliveries, posts, profiles, api_keys, workspaces;
