DROP TABLE post_comments;
ALTER TABLE posts DROP COLUMN review, DROP COLUMN requires_approval, DROP COLUMN rejection_count,
    DROP COLUMN approved_at, DROP COLUMN approved_by;
DROP TABLE workspace_settings;
