DROP TABLE reply_topics;
