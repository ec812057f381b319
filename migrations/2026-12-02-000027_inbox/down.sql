DROP TABLE post_replies;
DROP TABLE inbox_polls;
DROP TABLE inbox_items;
