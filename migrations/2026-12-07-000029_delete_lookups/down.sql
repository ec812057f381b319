DROP INDEX inbox_items_post;
DROP INDEX feed_items_post;
DROP INDEX metric_snapshots_post;
DROP INDEX review_links_post;
DROP INDEX publish_log_delivery;
