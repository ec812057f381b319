DROP TABLE oauth_states; ALTER TABLE profiles DROP COLUMN refresh_token;
