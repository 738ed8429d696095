-- Reports: fieldwork counts of complete responses kept with the report cache
-- (0005_report_cache.sql).
--
-- The report's fieldwork section counts responses per wave × site × channel × language,
-- invited or not, flagged as duplicates or not. It scanned every response of both waves
-- at every report: 0.3 s of a 1.2 s report at a million responses, the largest part
-- still growing with the responses. Complete responses are what the cache already
-- follows, so their counts are appended by the same refresh, for the same responses:
-- report_cache_fieldwork, one row per group and batch, summed at read time. Partial
-- responses are still counted by the report itself (survey/sql/report_cache.sql,
-- report-cache-fieldwork); they are the ones that change.
--
-- The counts are exact for the same reason the rest of the cache is: a completed
-- response that changes empties its wave's cache. Channel and invitation are now
-- among what that trigger watches, since these counts depend on them.

CREATE TABLE report_cache_fieldwork (
    program_id bigint NOT NULL,
    wave_id    bigint NOT NULL,
    signature  text NOT NULL,
    site_id    bigint NOT NULL,
    channel    text NOT NULL,
    language   text NOT NULL,
    invited    boolean NOT NULL,
    duplicate  boolean NOT NULL,
    n          bigint NOT NULL
);
CREATE INDEX report_cache_fieldwork_key ON report_cache_fieldwork (program_id, signature, wave_id);

-- As in 0010, plus the wave's fieldwork counts.
CREATE OR REPLACE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The same lock a refresh holds: a refresh in flight finishes before this one
    -- empties the cache, and the next refresh starts from scratch.
    PERFORM pg_advisory_xact_lock(
        hashtextextended('report-cache:' || p_program || ':' || p_wave, 0));
    DELETE FROM report_cache_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_rows WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_panel WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_fieldwork WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_pairs
    WHERE program_id = p_program AND (pre_wave_id = p_wave OR post_wave_id = p_wave);
    PERFORM pg_advisory_xact_lock(
        hashtextextended('export-cells:' || p_program || ':' || p_wave, 0));
    DELETE FROM export_cells_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM export_cells WHERE program_id = p_program AND wave_id = p_wave;
END $$;

-- As in 0005, with channel and invitation_id watched too. On Citus the trigger was
-- dropped when responses was distributed (0006_citus.sql), and the cache is not used:
-- nothing to replace, and no cache to fill.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'responses'::regclass
                   AND tgname = 'responses_changed_after_complete') THEN
        RETURN;
    END IF;
    DROP TRIGGER responses_changed_after_complete ON responses;
    CREATE TRIGGER responses_changed_after_complete AFTER UPDATE ON responses
        FOR EACH ROW WHEN (OLD.status = 'complete' AND (
            NEW.status, NEW.wave_id, NEW.site_id, NEW.language, NEW.panel_member_id,
            NEW.duplicate_suspect, NEW.submitted_at, NEW.channel, NEW.invitation_id
        ) IS DISTINCT FROM (
            OLD.status, OLD.wave_id, OLD.site_id, OLD.language, OLD.panel_member_id,
            OLD.duplicate_suspect, OLD.submitted_at, OLD.channel, OLD.invitation_id
        ))
        EXECUTE FUNCTION responses_changed_after_complete();

    -- Caches built before this migration get the counts of the responses they hold:
    -- the complete responses whose completing transaction their snapshot sees (or
    -- that were completed before 0005 recorded it), exactly those a refresh would not
    -- add again. One batch per cache, whatever its number of batches: reads sum rows.
    INSERT INTO report_cache_fieldwork (program_id, wave_id, signature, site_id, channel,
                                        language, invited, duplicate, n)
    SELECT s.program_id, s.wave_id, s.signature, r.site_id, r.channel, r.language,
           r.invitation_id IS NOT NULL, r.duplicate_suspect, count(*)
    FROM report_cache_state s
    JOIN responses r ON r.program_id = s.program_id AND r.wave_id = s.wave_id
    WHERE r.status = 'complete'
      AND (r.completed_xid IS NULL OR pg_visible_in_snapshot(r.completed_xid, s.snap))
    GROUP BY s.program_id, s.wave_id, s.signature, r.site_id, r.channel, r.language,
             r.invitation_id IS NOT NULL, r.duplicate_suspect;
END $$;

-- 0010's plan with the new tenant table.
CREATE OR REPLACE FUNCTION survey_distribution_plan()
RETURNS TABLE (step integer, table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES
        (1, 'users', 'reference', NULL),
        (2, 'api_keys', 'reference', NULL),
        (3, 'sessions', 'reference', NULL),
        (4, 'questionnaire_versions', 'reference', NULL),
        (5, 'programs', 'reference', NULL),
        (6, 'program_members', 'reference', NULL),
        (7, 'sms_opt_outs', 'reference', NULL),
        (8, 'sms_senders', 'reference', NULL),
        (10, 'sites', 'distributed', 'program_id'),
        (11, 'waves', 'distributed', 'program_id'),
        (12, 'wave_sites', 'distributed', 'program_id'),
        (13, 'panel_members', 'distributed', 'program_id'),
        (14, 'contacts', 'distributed', 'program_id'),
        (15, 'invitations', 'distributed', 'program_id'),
        (16, 'open_links', 'distributed', 'program_id'),
        (17, 'responses', 'distributed', 'program_id'),
        (18, 'answers', 'distributed', 'program_id'),
        (19, 'open_link_clients', 'distributed', 'program_id'),
        (20, 'weight_margins', 'distributed', 'program_id'),
        (21, 'sms_consents', 'distributed', 'program_id'),
        (22, 'sms_conversations', 'distributed', 'program_id'),
        (23, 'sms_messages', 'distributed', 'program_id'),
        (24, 'report_cache_state', 'distributed', 'program_id'),
        (25, 'report_cache_rows', 'distributed', 'program_id'),
        (26, 'report_cache_panel', 'distributed', 'program_id'),
        (27, 'export_cells_state', 'distributed', 'program_id'),
        (28, 'export_cells', 'distributed', 'program_id'),
        (29, 'report_cache_pairs', 'distributed', 'program_id'),
        (30, 'sms_inbound_receipts', 'distributed', 'message_sid'),
        (31, 'report_cache_fieldwork', 'distributed', 'program_id'),
        (40, 'audit_log', 'local', NULL),
        (41, 'schema_migrations', 'local', NULL)
$$;

-- A database already distributed distributes the new table now, as 0010 did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
