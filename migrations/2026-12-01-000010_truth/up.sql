-- A provider post belongs to one delivery at most: a look-up that would adopt a post
-- another delivery already holds fails loudly here instead of settling silently.
CREATE UNIQUE INDEX deliveries_one_owner_per_provider_post
    ON deliveries (provider, provider_post_id)
    WHERE status = 'published' AND provider_post_id IS NOT NULL;

-- Look-ups read the post ids a profile's other deliveries hold.
CREATE INDEX deliveries_profile_published ON deliveries (profile_id, published_at) WHERE status = 'published';
