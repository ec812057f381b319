DROP TABLE webhook_cursor, webhook_attempts, webhook_endpoints;
