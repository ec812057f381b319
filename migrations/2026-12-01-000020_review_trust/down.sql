DELETE FROM publish_log WHERE kind IN ('post.review', 'comment.created', 'comment.picked_up', 'comment.deleted');
ALTER TABLE publish_log DROP CONSTRAINT publish_log_kind_check;
ALTER TABLE publish_log ADD CONSTRAINT publish_log_kind_check CHECK (kind IN (
    'post.accepted', 'post.queued', 'post.scheduled', 'delivery.published', 'delivery.failed',
    'delivery.manual_retry', 'post.canceled', 'post.completed'));
DROP TABLE review_links;
ALTER TABLE post_comments DROP COLUMN anchor, DROP COLUMN stale, DROP COLUMN version;
ALTER TABLE api_keys DROP COLUMN policy;
ALTER TABLE invitations DROP COLUMN role;
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
UPDATE memberships SET role = 'member' WHERE role <> 'owner';
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'member'));
DROP TABLE post_versions;
ALTER TABLE posts DROP COLUMN version, DROP COLUMN review_version, DROP COLUMN approved_version,
    DROP COLUMN created_by;
