DELETE FROM post_media WHERE part > 0;
ALTER TABLE post_media DROP CONSTRAINT post_media_post_id_part_position_key;
ALTER TABLE post_media ADD CONSTRAINT post_media_post_id_position_key UNIQUE (post_id, position);
ALTER TABLE post_media DROP COLUMN part;
