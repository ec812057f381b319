DROP TABLE delivery_parts;
ALTER TABLE posts DROP COLUMN thread;
