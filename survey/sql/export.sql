-- Respondent-level exports and paper imports. Every statement names program_id first.
-- No statement here reads contacts: exports never see phone numbers.

-- name: export-wave
SELECT w.*, p.name AS program_name, qv.version AS questionnaire_version
FROM waves w
JOIN programs p ON p.id = w.program_id
LEFT JOIN questionnaire_versions qv ON qv.content_hash = w.questionnaire_hash
WHERE w.program_id = $1 AND w.id = $2;

-- name: export-site-counts
-- Completes per site of the wave: suppression is decided on these. `unique_completes`
-- leaves out suspected open-link duplicates, as a report that excludes them does.
SELECT ws.site_id, s.name,
       count(r.id) FILTER (WHERE r.status = 'complete') AS completes,
       count(r.id) FILTER (WHERE r.status = 'complete' AND NOT r.duplicate_suspect)
           AS unique_completes,
       count(r.id) AS responses
FROM wave_sites ws
JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
LEFT JOIN responses r ON r.program_id = ws.program_id AND r.wave_id = ws.wave_id
                     AND r.site_id = ws.site_id
WHERE ws.program_id = $1 AND ws.wave_id = $2
GROUP BY ws.site_id, s.name
ORDER BY s.name;

-- name: export-count
SELECT count(*) FROM responses
WHERE program_id = $1 AND wave_id = $2 AND NOT (site_id = ANY($3::bigint[]));

-- name: export-rows
-- One row per response with its answers folded into one jsonb object, streamed by a
-- cursor: the lateral aggregate reads one response's answers at a time.
-- $4, $5: as export-csv-lines' $12, $13 (resp_id a pseudonym, rows in id order).
SELECT r.id, k.resp_id, r.site_id, r.language, r.channel, r.status, r.duplicate_suspect,
       r.submitted_at,
       (r.submitted_at AT TIME ZONE z.zones[array_position(z.ids, r.site_id)])::date
           AS submitted_day,
       qv.questionnaire_id, qv.version, r.questionnaire_hash, pm.pseudonym,
       coalesce(a.answers, '{}'::jsonb) AS answers
FROM responses r
JOIN questionnaire_versions qv ON qv.content_hash = r.questionnaire_hash
CROSS JOIN LATERAL (
    SELECT CASE WHEN $4::bytea IS NULL THEN r.id::text
                ELSE 'r-' || left(encode(sha256($4::bytea || sha256(
                         $5::bytea || convert_to(r.program_id || ':' || r.id, 'UTF8'))),
                                         'hex'), 16) END
) k (resp_id)
CROSS JOIN (  -- one row, as in export-csv-lines
    SELECT array_agg(id) AS ids, array_agg(timezone) AS zones FROM sites WHERE program_id = $1
) z
LEFT JOIN panel_members pm ON pm.program_id = r.program_id AND pm.id = r.panel_member_id
LEFT JOIN LATERAL (
    SELECT jsonb_object_agg(x.item_id, jsonb_build_array(x.value_num, x.value_text,
                                                         x.value_codes, x.missing)) AS answers
    FROM answers x
    WHERE x.program_id = r.program_id AND x.response_id = r.id
) a ON true
WHERE r.program_id = $1 AND r.wave_id = $2 AND NOT (r.site_id = ANY($3::bigint[]))
ORDER BY r.id;

-- name: paper-site-ids
-- With the local days (the site's zone) a paper form of the wave may carry: from the day
-- it opened (or was launched) to the last day it took answers (closes_at is the first
-- instant it does not; an early close ends it then), never after today.
SELECT ws.site_id, lower(s.name) AS key,
       (coalesce(w.opens_at, w.launched_at, now()) AT TIME ZONE s.timezone)::date AS first_day,
       (least(w.closes_at - interval '1 microsecond', w.closed_at, now())
            AT TIME ZONE s.timezone)::date AS last_day
FROM wave_sites ws
JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
JOIN waves w ON w.program_id = ws.program_id AND w.id = ws.wave_id
WHERE ws.program_id = $1 AND ws.wave_id = $2;

-- name: paper-response-insert
-- Answers collected on paper at an event: complete on arrival, channel 'paper'. $6, the
-- day written on the form, is the site's local day: noon there, so exports and the
-- monitor (which show the site's local day) give the same day back in any zone.
INSERT INTO responses (program_id, wave_id, site_id, language, channel, questionnaire_hash,
                       status, started_at, submitted_at)
SELECT $1, $2, $3, $4, 'paper', $5, 'complete', t.at, t.at
FROM (SELECT coalesce(($6::date + time '12:00') AT TIME ZONE s.timezone, now()) AS at
      FROM sites s WHERE s.program_id = $1 AND s.id = $3) t
RETURNING id;

-- name: paper-answer-insert
INSERT INTO answers (program_id, response_id, item_id, value_num, value_text, value_codes,
                     missing)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: export-wave-program
-- The CLI names a wave by id alone (ids are unique across programs).
SELECT program_id FROM waves WHERE id = $1;

-- name: export-csv-lines
-- The CSV export's data lines, made by PostgreSQL and streamed by COPY (FORMAT text):
-- one column holding the whole line, every cell already in CSV form, so Python only
-- passes bytes on. Cells follow survey.export.codebook and must stay byte-for-byte
-- what the Python writer (survey.export.csvfile.csv_bytes) makes of the same rows;
-- tests/export/test_export_csv_copy.py compares the two. The fixed columns are made
-- here; the item cells of a completed response come pre-rendered from export_cells
-- when they are current ($10: the layout they must have, NULL never; $11: with the
-- free text or without), and are rendered from the answers otherwise (partial
-- responses, and completes not yet rendered): export_render() in
-- 0007_export_cells.sql holds the rules for both.
-- `submitted` is the day the resident answered in their site's time zone (sites.
-- timezone), as the response monitor counts days; never held in export_cells, which
-- render answers only, so no rendered cell carries a day to go stale.
-- $4..$8: the items that have columns, in column order, their kinds, blanks, single
-- choice numbers and multiple choice options (text items are in $4 only for callers
-- who may see them).
-- $12, $13: NULL for a caller who may see identifying data, whose resp_id is the
-- database id; else the outer and inner padded keys of an HMAC-SHA256
-- (survey.export.pseudonym), and resp_id is its pseudonym: the ids' gaps gave back
-- how many responses a withheld site had. Rows stay in id order for everyone, so
-- every export keeps its streamed plan: an order without the ids shows no gap, and
-- tells no more of when a response came than its submitted day does. (Ordered by the
-- pseudonym, an evaluator's 100k-row export took 0.98 s against 0.53 s, a sort
-- before the first line; at 1M rows that sort spills to disk.)
SELECT concat(
    k.resp_id, ',', $2::bigint, ',', $9::text, ',', r.site_id, ',',
    CASE WHEN r.language ~ '[",\r\n]' THEN '"' || replace(r.language, '"', '""') || '"'
         ELSE r.language END, ',',
    r.channel, ',', r.status, ',', CASE WHEN r.duplicate_suspect THEN 1 ELSE 0 END, ',',
    to_char(r.submitted_at AT TIME ZONE z.zones[array_position(z.ids, r.site_id)],
            'YYYY-MM-DD'), ',',
    qv.csv_label, ',',
    CASE WHEN pm.pseudonym ~ '[",\r\n]' THEN '"' || replace(pm.pseudonym, '"', '""') || '"'
         ELSE pm.pseudonym END,
    CASE WHEN cardinality($4::text[]) > 0 THEN ',' END,
    CASE WHEN c.response_id IS NULL THEN (
             SELECT x.cells
             FROM export_render(r.program_id, r.id, $4::text[], $5::text[], $6::text[],
                                $7::jsonb, $8::jsonb) x)
         WHEN $11::boolean THEN c.cells
         ELSE c.public_cells END)
FROM responses r
JOIN questionnaire_versions qv ON qv.content_hash = r.questionnaire_hash
CROSS JOIN (
    -- The sites' zones as one row of arrays, not a join: the planner knows one row
    -- changes no row count, while a join with sites made it guess 13,681 rows for
    -- 997,000 at 1M, hash the responses in 8,192 batches and sort every line on disk
    -- (27.7 s, where the id-ordered plan streams).
    SELECT array_agg(id) AS ids, array_agg(timezone) AS zones FROM sites WHERE program_id = $1
) z
CROSS JOIN LATERAL (
    SELECT CASE WHEN $12::bytea IS NULL THEN r.id::text
                ELSE 'r-' || left(encode(sha256($12::bytea || sha256(
                         $13::bytea || convert_to(r.program_id || ':' || r.id, 'UTF8'))),
                                         'hex'), 16) END
) k (resp_id)
LEFT JOIN panel_members pm ON pm.program_id = r.program_id AND pm.id = r.panel_member_id
LEFT JOIN export_cells c
       ON c.program_id = r.program_id AND c.wave_id = r.wave_id AND c.response_id = r.id
      AND c.layout = $10::bigint AND r.status = 'complete'
      AND c.completed_xid IS NOT DISTINCT FROM r.completed_xid
WHERE r.program_id = $1 AND r.wave_id = $2 AND NOT (r.site_id = ANY($3::bigint[]))
ORDER BY r.id;

-- name: export-lines-streamed
-- In the .sav and .dta exports' transaction, before export-csv-lines: no sort, so
-- the plan is a merge join in id order over the primary keys of responses and
-- export_cells, and COPY sends its first line at once. With a sort (the planner's
-- choice, whose costs are dominated by the render subplan it mostly never runs)
-- every line was made before the first, ~0.6 s at 100k, and Python's parsing could
-- not overlap it; the streamed plan is also faster by itself (0.49 against 0.92 s at
-- 100k in EXPLAIN ANALYZE). ORDER BY still holds: a sort is only made costly.
SELECT set_config('enable_sort', 'off', true);

-- name: export-sort-off
-- The CSV export's streamed plan (export-lines-streamed), for the session: its COPY
-- runs outside a transaction; export-sort-reset puts it back (and a pooled
-- connection's reset on release, RESET ALL).
SELECT set_config('enable_sort', 'off', false);

-- name: export-sort-reset
RESET enable_sort;

-- name: export-cells-usable
-- Keeping export_cells current (0007_export_cells.sql explains the design), in a
-- transaction of its own before the export reads:
--   1. export-cells-usable   not on Citus, nor on a read-only server (a replica);
--   2. export-cells-session  no statement timeout: building a large wave is slow;
--   3. export-cells-lock     one fill of a wave at a time;
--   4. export-cells-state    the wave's layout, if its cells were ever built, and
--                            whether the wave's answers were edited since (its cells
--                            epoch, 0013_cache_epoch and 0014_cells_epoch);
--   5. the same layout, not invalidated: export-cells-add renders the completes its
--      snapshot missed; else export-cells-reset, then export-cells-build renders them
--      all.
SELECT NOT survey_is_distributed() AND NOT pg_is_in_recovery()
       AND current_setting('transaction_read_only') = 'off';

-- name: export-cells-session
SELECT set_config('statement_timeout', '0', true);

-- name: export-cells-lock
SELECT pg_advisory_xact_lock(hashtextextended('export-cells:' || $1::bigint || ':' || $2::bigint, 0));

-- name: export-cells-state
SELECT s.layout, s.responses, s.epoch <> w.cells_epoch AS stale
FROM export_cells_state s
JOIN waves w ON w.program_id = s.program_id AND w.id = s.wave_id
WHERE s.program_id = $1 AND s.wave_id = $2;

-- name: export-cells-reset
WITH state AS (DELETE FROM export_cells_state WHERE program_id = $1 AND wave_id = $2)
DELETE FROM export_cells WHERE program_id = $1 AND wave_id = $2;

-- name: export-cells-build
-- $1 program, $2 wave, $3 layout hash, $4..$8 the layout (as export-csv-lines' $4..$8,
-- text items included). Every complete response this statement sees, and its
-- snapshot, from which the next export-cells-add starts. Responses completed before
-- 0005 have no completing transaction recorded: built here, never added.
WITH added AS (
    INSERT INTO export_cells (program_id, wave_id, response_id, layout, completed_xid,
                              cells, public_cells)
    SELECT r.program_id, r.wave_id, r.id, $3::bigint, r.completed_xid, x.cells, x.public_cells
    FROM responses r
    CROSS JOIN LATERAL export_render(r.program_id, r.id, $4::text[], $5::text[], $6::text[],
                                     $7::jsonb, $8::jsonb) x
    WHERE r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
    -- A response completed after the reset but visible here was rendered as it completed.
    ON CONFLICT (program_id, wave_id, response_id) DO UPDATE SET
        layout = excluded.layout, completed_xid = excluded.completed_xid,
        cells = excluded.cells, public_cells = excluded.public_cells
    RETURNING 1
)
INSERT INTO export_cells_state (program_id, wave_id, layout, items, kinds, blanks, singles,
                                options, snap, responses, epoch)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, pg_current_snapshot(), count(*),
       (SELECT cells_epoch FROM waves WHERE program_id = $1 AND id = $2)
FROM added
RETURNING responses;

-- name: export-cells-register
-- A wave being launched: no responses yet, none missed by this snapshot.
INSERT INTO export_cells_state (program_id, wave_id, layout, items, kinds, blanks, singles,
                                options, snap, epoch)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_current_snapshot(),
        (SELECT cells_epoch FROM waves WHERE program_id = $1 AND id = $2))
ON CONFLICT (program_id, wave_id) DO NOTHING;

-- name: export-cells-add
-- The wave's completes whose completing transaction this statement sees and the
-- state's snapshot did not, unless they were rendered as they completed; then this
-- statement's snapshot becomes the state's. Returns how many were rendered.
WITH state AS (
    SELECT snap FROM export_cells_state WHERE program_id = $1 AND wave_id = $2 AND layout = $3
),
missed AS MATERIALIZED (
    -- Planned apart, so that the snapshot's oldest transaction bounds the scan of the
    -- index on the completing transaction: in one plan with the rendering, the join
    -- read every complete of the wave to find none (0.87 s at 1M).
    SELECT r.program_id, r.wave_id, r.id, r.completed_xid
    FROM state s
    JOIN responses r
      ON r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
     AND r.completed_xid >= pg_snapshot_xmin(s.snap)
     AND NOT pg_visible_in_snapshot(r.completed_xid, s.snap)
),
added AS (
    INSERT INTO export_cells (program_id, wave_id, response_id, layout, completed_xid,
                              cells, public_cells)
    SELECT r.program_id, r.wave_id, r.id, $3::bigint, r.completed_xid, x.cells, x.public_cells
    FROM missed r
    CROSS JOIN LATERAL export_render(r.program_id, r.id, $4::text[], $5::text[], $6::text[],
                                     $7::jsonb, $8::jsonb) x
    WHERE NOT EXISTS (
        SELECT FROM export_cells c
        WHERE c.program_id = $1 AND c.wave_id = $2 AND c.response_id = r.id
          AND c.layout = $3 AND c.completed_xid = r.completed_xid
    )
    ON CONFLICT (program_id, wave_id, response_id) DO UPDATE SET
        layout = excluded.layout, completed_xid = excluded.completed_xid,
        cells = excluded.cells, public_cells = excluded.public_cells
    RETURNING 1
),
counted AS (SELECT count(*) AS n FROM added)
UPDATE export_cells_state st
SET snap = pg_current_snapshot(), responses = st.responses + counted.n, refreshed_at = now()
FROM counted
WHERE st.program_id = $1 AND st.wave_id = $2
RETURNING counted.n;

-- name: export-text-widths
-- The longest answer, in UTF-8 bytes, of each free-text item ($3) among the wave's
-- responses outside the withheld sites ($4): what a .sav string variable needs,
-- where the codebook allows up to four bytes a character of the item's limit.
-- Reads the program's free-text answers only (index answers_text, 0008).
SELECT a.item_id, max(octet_length(a.value_text)) AS width
FROM answers a
JOIN responses r ON r.program_id = a.program_id AND r.id = a.response_id
WHERE a.program_id = $1 AND a.item_id = ANY($3::text[]) AND a.value_text IS NOT NULL
  AND r.wave_id = $2 AND NOT (r.site_id = ANY($4::bigint[]))
GROUP BY a.item_id;
