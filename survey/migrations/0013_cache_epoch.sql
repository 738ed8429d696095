-- Caches: a change to a completed response never waits for a cache build.
--
-- report_cache_invalidate (0005, last replaced in 0011) emptied a wave's report cache
-- and export cells under the locks their builds hold, so a build in flight finished
-- before the cache was emptied. But building a wave of half a million responses from
-- nothing takes about a minute, and the change waited for it: an administrator who
-- flagged a duplicate or deleted a response during a first report got an error after
-- the statement timeout (15 s), for a change that has nothing to wait for.
--
-- Now a wave has a cache epoch, and invalidating the wave moves it on. Nothing is
-- emptied then and no build lock is taken: the invalidating transaction holds its
-- wave's row lock for as long as it runs, as any update of the wave would, and builds
-- never take that lock. Each report cache and each wave's export cells record the
-- epoch of the data they were built from, read by the statement that built them, so
-- from the same snapshot as the responses. The next refresh of a cache whose epoch is
-- behind the wave's (survey/sql/report_cache.sql, report-cache-delta; export.sql,
-- export-cells-state) empties it under its own lock and builds it from nothing.
--
-- That is exact in every order:
-- * a change that commits before a build's statement takes its snapshot: the build
--   sees the change and the new epoch;
-- * one that commits after: the build sees neither, and records the old epoch, which
--   is then behind the wave's, so the next refresh builds again;
-- * a refresh that adds to a cache (its epoch current when it looked) while a change
--   commits: the cache keeps its old epoch and is built again next time, as 0005's
--   lock would have had the change wait for that refresh to commit.
-- Caches built before this migration and the waves they belong to are both epoch 0.

ALTER TABLE waves ADD COLUMN cache_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE report_cache_state ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE export_cells_state ADD COLUMN epoch bigint NOT NULL DEFAULT 0;

-- Called by the triggers of 0005 (a completed response changed or deleted by a later
-- transaction) and by whoever edits answers by hand. A deleted wave has no row: its
-- caches went with it (foreign keys).
CREATE OR REPLACE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE waves SET cache_epoch = cache_epoch + 1 WHERE program_id = p_program AND id = p_wave;
$$;
