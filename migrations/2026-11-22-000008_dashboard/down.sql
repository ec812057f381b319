ALTER TABLE oauth_states DROP COLUMN return_to;
DROP TABLE invitations;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE users;
