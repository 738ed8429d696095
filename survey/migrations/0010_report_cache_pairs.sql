-- Reports: panel pairs kept with the report cache (0005_report_cache.sql).
--
-- The paired change needs each panel member's latest response in each wave, which is
-- not a sum, so 0005 worked the pairs out from report_cache_panel at every read. At a
-- million responses that was ~1.9 s of a ~2.3 s read (a quarter of a million panel
-- rows sorted, windowed and unnested per scale), whether or not anything had changed.
-- The result is small (one row per site × scale × distinct difference, a few thousand),
-- so it is kept per report: program, pre and post wave, signature, duplicates left out
-- or not. A row holds the whole table as parallel arrays, so an empty table (no pairs)
-- is told apart from one never computed.
--
-- The pairs are a function of the two waves' report_cache_panel rows of the same
-- signature, and are dropped whenever those can change, under the lock a refresh
-- holds ('report-cache:<program>:<wave>'):
-- * a refresh that appends responses to either wave (report-cache-add) drops the
--   pairs of that wave and signature;
-- * report_cache_invalidate, replaced below, drops every pair table of the wave, for
--   the same reasons it empties the rest of the wave's cache;
-- * deleting a wave deletes them (foreign keys).
-- A report reads or builds its pairs holding both waves' locks, so a concurrent
-- refresh cannot change the panel rows between the build and the insert.

CREATE TABLE report_cache_pairs (
    program_id         bigint NOT NULL,
    pre_wave_id        bigint NOT NULL,
    post_wave_id       bigint NOT NULL,
    signature          text NOT NULL,
    exclude_duplicates boolean NOT NULL,
    site_ids           bigint[] NOT NULL,
    construct_ids      text[] NOT NULL,
    diffs              double precision[] NOT NULL,
    counts             bigint[] NOT NULL,
    built_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, pre_wave_id, post_wave_id, signature, exclude_duplicates),
    FOREIGN KEY (program_id, pre_wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, post_wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE
);

-- As in 0007, plus the wave's pair tables.
CREATE OR REPLACE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The same lock a refresh holds: a refresh in flight finishes before this one
    -- empties the cache, and the next refresh starts from scratch.
    PERFORM pg_advisory_xact_lock(hashtextextended('report-cache:' || p_program || ':' || p_wave, 0));
    DELETE FROM report_cache_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_rows WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_panel WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_pairs
    WHERE program_id = p_program AND (pre_wave_id = p_wave OR post_wave_id = p_wave);
    PERFORM pg_advisory_xact_lock(hashtextextended('export-cells:' || p_program || ':' || p_wave, 0));
    DELETE FROM export_cells_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM export_cells WHERE program_id = p_program AND wave_id = p_wave;
END $$;

-- 0007's plan with the new tenant table.
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
        (40, 'audit_log', 'local', NULL),
        (41, 'schema_migrations', 'local', NULL)
$$;

-- A database already distributed distributes the new table now, as 0007 did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
