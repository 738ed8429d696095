-- Exports: each completed response's CSV cells kept pre-rendered, one row a response.
--
-- A CSV line is the response's fixed columns and then one cell per item column. The
-- item cells are what costs: a million-response wave has ~37M answer rows, and reading
-- and pivoting them is slower than PostgreSQL's own raw COPY of those rows, so no
-- writer could reach 100,000 respondent rows/s from them. A completed response's
-- answers do not change (survey/sql/responses.sql refuses writes once another
-- transaction completed it), so its cells are rendered once and an export reads one
-- packed row per response. Partial responses change all the time: their cells are
-- still rendered from the answers at export time (survey/sql/export.sql).
--
-- Cells depend on the wave's export layout (items with columns, their kinds, single
-- choice numbers, multiple choice options: survey/export/cells.py), identified by a
-- hash computed in Python. A wave has one layout at a time (export_cells_state); a
-- different one empties the wave's cells, and an export only uses cells whose layout
-- is its own. Two variants are kept, since evaluators get no free text: `cells` with
-- every item column, `public_cells` without the text items.
--
-- Which cells are current:
-- * new completes are found as the report cache finds them (0005_report_cache.sql):
--   by the MVCC snapshot the wave's cells were last brought up to date from, not by
--   ids or clocks, so responses committed out of order are neither missed nor
--   rendered twice. Once a wave has a layout, each response is also rendered as it
--   completes (export_cells_on_complete, deferred to commit, when its answers are
--   all written), so an export during fieldwork has almost nothing left to render;
-- * cells carry the completing transaction's id: a response completed again after
--   being reopened no longer matches them;
-- * every change that empties a wave's report cache empties its cells too
--   (report_cache_invalidate, replaced below): a completed response changed or
--   deleted by a later transaction, and an edit of answers by hand, which must call
--   report_cache_invalidate(program_id, wave_id) as 0005 says;
-- * on Citus the triggers that do this are dropped (0006_citus.sql), so exports
--   render every response from its answers there and never read this table.

CREATE TABLE export_cells_state (
    program_id bigint NOT NULL,
    wave_id    bigint NOT NULL,
    layout     bigint NOT NULL,
    items      text[] NOT NULL,
    kinds      text[] NOT NULL,
    blanks     text[] NOT NULL,
    singles    jsonb NOT NULL,
    options    jsonb NOT NULL,
    snap       pg_snapshot NOT NULL,
    responses  bigint NOT NULL DEFAULT 0,
    built_at   timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, wave_id),
    FOREIGN KEY (program_id, wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE
);

-- Keyed by wave first, so an export reads its wave's cells in response order.
CREATE TABLE export_cells (
    program_id    bigint NOT NULL,
    wave_id       bigint NOT NULL,
    response_id   bigint NOT NULL,
    layout        bigint NOT NULL,
    completed_xid xid8,
    cells         text NOT NULL,
    public_cells  text NOT NULL,
    PRIMARY KEY (program_id, wave_id, response_id),
    FOREIGN KEY (program_id, response_id) REFERENCES responses (program_id, id) ON DELETE CASCADE
);

-- The item cells of one response, as survey.export.csvfile.csv_bytes writes them, in
-- CSV form, joined by commas; `public_cells` leaves out the text items. One place
-- for these rules, used when filling export_cells and for partial responses at
-- export time; an SQL function of one SELECT, so the planner inlines it.
-- tests/export/test_export_csv_copy.py holds the result to the Python writer:
-- - an empty cell is empty, never "": NULL, skipped and unanswered alike;
-- - a cell holding , " CR or LF is quoted, its quotes doubled;
-- - numbers as Python prints them: whole numbers without a decimal point, others in
--   their shortest round-trip form (PostgreSQL's float8 output, written out in full
--   from 1e15 up as Python does), inf and nan in Python's spelling;
-- - don't know and prefer not to say as -99 and -98 (in every cell of a multiple
--   choice), a single choice as its option's number (p_singles: item -> code ->
--   number), a multiple choice as one 0/1 cell per option (p_options: item -> option
--   codes in order), free text as written.
-- p_items, p_kinds, p_blanks: the items that have columns, in column order; their
-- kinds (num, single, multi, text); the cells of an unanswered item (empty, or the
-- commas between a multiple choice's empty cells).
CREATE FUNCTION export_render(p_program bigint, p_response bigint, p_items text[],
                              p_kinds text[], p_blanks text[], p_singles jsonb,
                              p_options jsonb)
RETURNS TABLE (cells text, public_cells text)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(c.cell, ',' ORDER BY c.pos), ''),
           coalesce(string_agg(c.cell, ',' ORDER BY c.pos) FILTER (WHERE c.kind <> 'text'), '')
    FROM (
        SELECT i.pos, i.kind, CASE
            WHEN x.item_id IS NULL THEN i.blank
            WHEN x.missing IS NOT NULL THEN CASE
                WHEN i.kind = 'text' THEN ''
                WHEN x.missing = 'dont_know' THEN repeat('-99,', length(i.blank)) || '-99'
                WHEN x.missing = 'prefer_not' THEN repeat('-98,', length(i.blank)) || '-98'
                ELSE i.blank END
            WHEN i.kind = 'num' THEN CASE
                WHEN x.value_num IS NULL THEN ''
                WHEN x.value_num = 'NaN' THEN 'nan'
                WHEN x.value_num = 'Infinity' THEN 'inf'
                WHEN x.value_num = '-Infinity' THEN '-inf'
                WHEN x.value_num <> trunc(x.value_num) THEN CASE
                    WHEN abs(x.value_num) < 1e15 THEN x.value_num::text
                    ELSE x.value_num::text::numeric::text END
                WHEN abs(x.value_num) < 9e18 THEN x.value_num::bigint::text
                -- Whole numbers past bigint: mantissa times a power of two, exactly.
                ELSE trunc((x.value_num / 2::float8 ^ (floor(log(2, abs(x.value_num)::numeric)) - 54))
                      ::bigint::numeric * 2::numeric ^ (floor(log(2, abs(x.value_num)::numeric)) - 54))
                      ::text
                END
            WHEN i.kind = 'single' THEN coalesce(p_singles -> i.item ->> x.value_codes[1], '')
            WHEN i.kind = 'multi' THEN (
                SELECT string_agg(CASE WHEN o.code = ANY(x.value_codes) THEN '1' ELSE '0' END,
                                  ',' ORDER BY o.n)
                FROM jsonb_array_elements_text(p_options -> i.item) WITH ORDINALITY o (code, n))
            WHEN x.value_text ~ '[",\r\n]' THEN '"' || replace(x.value_text, '"', '""') || '"'
            ELSE coalesce(x.value_text, '')
            END AS cell
        FROM unnest(p_items, p_kinds, p_blanks) WITH ORDINALITY i (item, kind, blank, pos)
        LEFT JOIN (
            -- OFFSET 0 keeps the item out of the index condition: one range scan per
            -- response, not one probe per item.
            SELECT * FROM answers x
            WHERE x.program_id = p_program AND x.response_id = p_response
            OFFSET 0
        ) x ON x.item_id = i.item
    ) c
$$;

-- Render one response into export_cells with its wave's layout, if the wave has one.
-- Deferred to commit: the completing transaction may write answers after the status.
-- A failure here must never cost a resident their submission: the cells are left out
-- (the export renders that response from its answers) and a warning logged.
CREATE FUNCTION export_cells_on_complete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO export_cells (program_id, wave_id, response_id, layout, completed_xid,
                              cells, public_cells)
    SELECT r.program_id, r.wave_id, r.id, s.layout, r.completed_xid, x.cells, x.public_cells
    FROM responses r
    JOIN export_cells_state s ON s.program_id = r.program_id AND s.wave_id = r.wave_id
    CROSS JOIN LATERAL export_render(r.program_id, r.id, s.items, s.kinds, s.blanks,
                                     s.singles, s.options) x
    WHERE r.program_id = NEW.program_id AND r.id = NEW.id AND r.status = 'complete'
    ON CONFLICT (program_id, wave_id, response_id) DO UPDATE SET
        layout = excluded.layout, completed_xid = excluded.completed_xid,
        cells = excluded.cells, public_cells = excluded.public_cells;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'export cells of response % not rendered: %', NEW.id, SQLERRM;
    RETURN NULL;
END $$;

-- Not on a database already distributed: a trigger on a shard cannot query another
-- distributed table (survey_distribute() drops them when it distributes responses).
DO $$
BEGIN
    IF NOT survey_is_distributed() THEN
        CREATE CONSTRAINT TRIGGER export_cells_complete_insert AFTER INSERT ON responses
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (NEW.status = 'complete')
            EXECUTE FUNCTION export_cells_on_complete();
        CREATE CONSTRAINT TRIGGER export_cells_complete_update AFTER UPDATE OF status ON responses
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (NEW.status = 'complete' AND OLD.status <> 'complete')
            EXECUTE FUNCTION export_cells_on_complete();
    END IF;
END $$;

-- As in 0005, plus the wave's export cells: whatever makes a report stale makes them so.
CREATE OR REPLACE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The same lock a refresh holds: a refresh in flight finishes before this one
    -- empties the cache, and the next refresh starts from scratch.
    PERFORM pg_advisory_xact_lock(hashtextextended('report-cache:' || p_program || ':' || p_wave, 0));
    DELETE FROM report_cache_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_rows WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_panel WHERE program_id = p_program AND wave_id = p_wave;
    PERFORM pg_advisory_xact_lock(hashtextextended('export-cells:' || p_program || ':' || p_wave, 0));
    DELETE FROM export_cells_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM export_cells WHERE program_id = p_program AND wave_id = p_wave;
END $$;

-- 0006's plan with the two new tenant tables.
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
        (30, 'sms_inbound_receipts', 'distributed', 'message_sid'),
        (40, 'audit_log', 'local', NULL),
        (41, 'schema_migrations', 'local', NULL)
$$;

-- A database already distributed distributes the new tables now, as 0006 did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
