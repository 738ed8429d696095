-- Export cells: a change to a completed response no longer renders its wave again.
--
-- Since 0007 whatever made a wave's report caches stale made its export cells stale
-- too, and since 0013 both follow waves.cache_epoch. But a response's cells are its
-- answers rendered (export_render reads answers only), and an export joins them to
-- the response as it is now: the fixed columns (site, language, channel, status,
-- date, pseudonym) come from the response row, and a cell is used only while the
-- response is complete in the same wave with the same completing transaction
-- (export-csv-lines); any other response is rendered from its answers. So a flagged
-- duplicate, a moved site, a reopened or deleted response leave every cell right,
-- and rendering the whole wave again (80 s at a million responses) bought nothing.
-- The report caches do need building again: they are sums over responses grouped by
-- exactly those columns.
--
-- The wave now has an epoch for its cells, moved on only by report_cache_invalidate,
-- which whoever edits answers by hand calls (0005): then both are stale. The triggers
-- on responses move the report epoch alone.

ALTER TABLE waves ADD COLUMN cells_epoch bigint NOT NULL DEFAULT 0;
-- Cells current or stale now stay so.
UPDATE waves SET cells_epoch = cache_epoch;

CREATE OR REPLACE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE waves SET cache_epoch = cache_epoch + 1, cells_epoch = cells_epoch + 1
    WHERE program_id = p_program AND id = p_wave;
$$;

-- The report caches of one wave, not its export cells.
CREATE FUNCTION report_cache_invalidate_sums(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE waves SET cache_epoch = cache_epoch + 1 WHERE program_id = p_program AND id = p_wave;
$$;

CREATE OR REPLACE FUNCTION responses_changed_after_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        PERFORM report_cache_invalidate_sums(OLD.program_id, OLD.wave_id);
        IF NEW.wave_id <> OLD.wave_id THEN
            PERFORM report_cache_invalidate_sums(NEW.program_id, NEW.wave_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- A deleted response's cells go with it (foreign key, 0007).
CREATE OR REPLACE FUNCTION responses_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    w record;
BEGIN
    FOR w IN SELECT DISTINCT program_id, wave_id FROM old_rows WHERE status = 'complete' LOOP
        PERFORM report_cache_invalidate_sums(w.program_id, w.wave_id);
    END LOOP;
    RETURN NULL;
END $$;
