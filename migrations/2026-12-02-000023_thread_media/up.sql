-- Media per part of a thread: part 0 is the post's own media; part n the n-th part after
-- the body. Positions count within a part.
ALTER TABLE post_media ADD COLUMN part smallint NOT NULL DEFAULT 0 CHECK (part >= 0);
ALTER TABLE post_media DROP CONSTRAINT post_media_post_id_position_key;
ALTER TABLE post_media ADD CONSTRAINT post_media_post_id_part_position_key UNIQUE (post_id, part, position);
