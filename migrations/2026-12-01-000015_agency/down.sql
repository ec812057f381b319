ALTER TABLE media_assets DROP CONSTRAINT media_assets_origin_check;
UPDATE media_assets SET origin = 'upload' WHERE origin = 'library';
ALTER TABLE media_assets ADD CONSTRAINT media_assets_origin_check CHECK (origin IN ('upload', 'import', 'multipart'));
DROP TABLE oauth_pending;
ALTER TABLE oauth_states DROP COLUMN redirect_uri;
ALTER TABLE media_assets DROP COLUMN alt_text, DROP COLUMN filename;
DROP INDEX profiles_one_default_per_platform;
ALTER TABLE profiles DROP COLUMN is_default, DROP COLUMN account_type, DROP COLUMN profile_url,
    DROP COLUMN scopes, DROP COLUMN platform_meta;
ALTER TABLE posts DROP COLUMN hashtags, DROP COLUMN bodies, DROP COLUMN labels, DROP COLUMN tags,
    DROP COLUMN category, DROP COLUMN campaign, DROP COLUMN archived_at;
