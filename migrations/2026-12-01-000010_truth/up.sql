-- A provider post belongs to one delivery at most: a look-up that would adopt a post
-- another delivery already holds fails loudly here instead of settling silently.
--
-- Installations that ran before this fix may already hold such pairs (Bluesky deliveries
-- made in the same millisecond shared a record key). They are kept, marked, and left out
-- of the index: the earliest delivery of each pair keeps the post; the others are flagged
-- `adopted_before_fix` for an operator to look at.
ALTER TABLE deliveries ADD COLUMN adopted_before_fix boolean NOT NULL DEFAULT false;
UPDATE deliveries d SET adopted_before_fix = true
  FROM (SELECT id, row_number() OVER (PARTITION BY provider, provider_post_id ORDER BY published_at, id) AS n
          FROM deliveries WHERE status = 'published' AND provider_post_id IS NOT NULL) dup
 WHERE d.id = dup.id AND dup.n > 1;
CREATE UNIQUE INDEX deliveries_one_owner_per_provider_post
    ON deliveries (provider, provider_post_id)
    WHERE status = 'published' AND provider_post_id IS NOT NULL AND NOT adopted_before_fix;

-- Look-ups read the post ids a profile's other deliveries hold.
CREATE INDEX deliveries_profile_published ON deliveries (profile_id, published_at) WHERE status = 'published';
