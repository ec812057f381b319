ALTER TABLE posts DROP COLUMN queue_id;
DROP TABLE posting_queues;
DROP INDEX posts_campaign;
DROP TABLE campaigns;
