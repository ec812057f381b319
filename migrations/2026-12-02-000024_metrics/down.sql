DROP TABLE metric_jobs;
DROP TABLE metric_snapshots;
