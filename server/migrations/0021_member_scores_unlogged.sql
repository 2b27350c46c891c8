-- Members' current scores are derived data: every run of the insights job rewrites all of
-- them from purchases. Written to the write-ahead log, a run's 100,000-row upsert sat in front
-- of the redemption writer's commits, which wait for the log to reach the disk, and a drop's
-- slowest redemptions got slower while scores were computed (the benchmark's insights row).
-- Unlogged, the rows cost no log and no flush. After a PostgreSQL crash the table comes back
-- empty (the pages then say there are no scores yet) until the next run, which every server
-- starts when it starts and nightly after that. The weekly snapshots, the only history, stay
-- logged.
ALTER TABLE member_scores SET UNLOGGED;
