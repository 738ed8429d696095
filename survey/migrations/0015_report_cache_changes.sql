-- Reports: a changed response is taken back out of its wave's cache, not the cache
-- rebuilt (0005_report_cache, 0013_cache_epoch).
--
-- Until now a completed response changed later (flagged as a duplicate, moved to
-- another site or wave, its language or panel member corrected, reopened) moved its
-- wave's cache epoch, and the next report built the wave's cache from nothing: 20-25 s
-- at half a million responses, for one flag.
--
-- The cache is sums, and a sum can take a term back. What a response added to it
-- depends on its answers, which never change once another transaction completed the
-- response (an edit by hand calls report_cache_invalidate), and on the columns of its
-- row that the trigger below watches. So the trigger keeps those columns as they were
-- before the change, one row per wave concerned, in report_cache_changes. A refresh
-- (survey/sql/report_cache.sql, report-cache-add) then finds, by the same MVCC test it
-- uses for new completions, the changes its cache's snapshot could not see; for each
-- changed response it takes back the version the cache counted (the oldest change it
-- did not see holds that version: changes to one row commit one after another) with
-- sign -1, and adds the response as it is now, if it is complete in the wave, with +1.
-- All in the one statement that records the cache's new snapshot, so nothing changes
-- between what is read and what is recorded.
--
-- Panel rows are not sums: a taken-back response's row is marked `retracted` with the
-- batch that took it back, and stays for the pair tables brought up to date from it
-- (0012): they take away a member's pairs as they saw them (rows appended up to their
-- batch and not retracted by then) and add them as they are now (rows not retracted).
--
-- A deleted response has no answers left to take back: a delete still moves the epoch
-- (0014). Moving the epoch also forgets the wave's recorded changes: every cache of
-- the new epoch has a snapshot that sees the change that moved it, and so every change
-- committed before it.

CREATE TABLE report_cache_changes (
    program_id          bigint NOT NULL,
    wave_id             bigint NOT NULL,
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    xid                 xid8 NOT NULL DEFAULT pg_current_xact_id(),
    response_id         bigint NOT NULL,
    -- The response as it was before the change.
    old_wave_id         bigint NOT NULL,
    old_status          text NOT NULL,
    old_site_id         bigint NOT NULL,
    old_language        text NOT NULL,
    old_panel_member_id bigint,
    old_duplicate       boolean NOT NULL,
    old_submitted_at    timestamptz,
    old_channel         text NOT NULL,
    old_invited         boolean NOT NULL,
    old_completed_xid   xid8,
    PRIMARY KEY (program_id, seq),
    FOREIGN KEY (program_id, wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE
);
CREATE INDEX report_cache_changes_xid ON report_cache_changes (program_id, wave_id, xid);

ALTER TABLE report_cache_panel ADD COLUMN retracted bigint;
CREATE INDEX report_cache_panel_retracted
    ON report_cache_panel (program_id, signature, wave_id, retracted)
    WHERE retracted IS NOT NULL;

CREATE OR REPLACE FUNCTION responses_changed_after_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        INSERT INTO report_cache_changes (
            program_id, wave_id, response_id, old_wave_id, old_status, old_site_id,
            old_language, old_panel_member_id, old_duplicate, old_submitted_at,
            old_channel, old_invited, old_completed_xid)
        SELECT OLD.program_id, w, OLD.id, OLD.wave_id, OLD.status, OLD.site_id,
               OLD.language, OLD.panel_member_id, OLD.duplicate_suspect, OLD.submitted_at,
               OLD.channel, OLD.invitation_id IS NOT NULL, OLD.completed_xid
        FROM unnest(CASE WHEN NEW.wave_id = OLD.wave_id THEN ARRAY[OLD.wave_id]
                         ELSE ARRAY[OLD.wave_id, NEW.wave_id] END) AS w;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE waves SET cache_epoch = cache_epoch + 1, cells_epoch = cells_epoch + 1
    WHERE program_id = p_program AND id = p_wave;
    DELETE FROM report_cache_changes WHERE program_id = p_program AND wave_id = p_wave;
$$;

CREATE OR REPLACE FUNCTION report_cache_invalidate_sums(p_program bigint, p_wave bigint)
RETURNS void LANGUAGE sql AS $$
    UPDATE waves SET cache_epoch = cache_epoch + 1 WHERE program_id = p_program AND id = p_wave;
    DELETE FROM report_cache_changes WHERE program_id = p_program AND wave_id = p_wave;
$$;

-- 0011's plan with the new tenant table: extended, not restated (every caller orders
-- the plan by step).
ALTER FUNCTION survey_distribution_plan() RENAME TO survey_distribution_plan_0011;
CREATE FUNCTION survey_distribution_plan()
RETURNS TABLE (step integer, table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM survey_distribution_plan_0011()
    UNION ALL
    VALUES (32, 'report_cache_changes', 'distributed', 'program_id')
$$;

-- A database already distributed distributes the new table now, as 0011 did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
