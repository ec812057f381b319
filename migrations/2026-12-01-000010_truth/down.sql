DROP INDEX IF EXISTS deliveries_profile_published;
DROP INDEX IF EXISTS deliveries_one_owner_per_provider_post;
ALTER TABLE deliveries DROP COLUMN adopted_before_fix;
