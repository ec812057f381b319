DROP TABLE rewrite_jobs;
