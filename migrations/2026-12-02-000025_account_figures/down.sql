DROP TABLE account_jobs;
DROP TABLE account_snapshots;
