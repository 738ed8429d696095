-- Respondent-level exports and paper imports. Every statement names program_id first.
-- No statement here reads contacts: exports never see phone numbers.

-- name: export-wave
SELECT w.*, p.name AS program_name, qv.version AS questionnaire_version
FROM waves w
JOIN programs p ON p.id = w.program_id
LEFT JOIN questionnaire_versions qv ON qv.content_hash = w.questionnaire_hash
WHERE w.program_id = $1 AND w.id = $2;

-- name: export-site-counts
-- Completes per site of the wave: suppression is decided on these.
SELECT ws.site_id, s.name,
       count(r.id) FILTER (WHERE r.status = 'complete') AS completes,
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
SELECT r.id, r.site_id, r.language, r.channel, r.status, r.submitted_at,
       qv.questionnaire_id, qv.version, r.questionnaire_hash, pm.pseudonym,
       coalesce(a.answers, '{}'::jsonb) AS answers
FROM responses r
JOIN questionnaire_versions qv ON qv.content_hash = r.questionnaire_hash
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
SELECT ws.site_id, lower(s.name) AS key
FROM wave_sites ws JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
WHERE ws.program_id = $1 AND ws.wave_id = $2;

-- name: paper-response-insert
-- Answers collected on paper at an event: complete on arrival, channel 'paper'.
INSERT INTO responses (program_id, wave_id, site_id, language, channel, questionnaire_hash,
                       status, started_at, submitted_at)
VALUES ($1, $2, $3, $4, 'paper', $5, 'complete', coalesce($6, now()), coalesce($6, now()))
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
-- tests/export/test_export_csv_copy.py compares the two:
-- - an empty cell is empty, never "": NULL, skipped and unanswered alike;
-- - a cell holding , " CR or LF is quoted, its quotes doubled;
-- - numbers as Python prints them: whole numbers without a decimal point, others in
--   their shortest round-trip form (PostgreSQL's float8 output, written out in full
--   from 1e15 up as Python does), inf and nan in Python's spelling;
-- - don't know and prefer not to say as -99 and -98 (in every cell of a multiple
--   choice), a single choice as its option's number ($7: item -> code -> number), a
--   multiple choice as one 0/1 cell per option ($8: item -> option codes in order),
--   free text as written (text items are in $4 only for callers who may see it).
-- $4..$6: the items that have columns, in column order; their kinds (num, single,
-- multi, text); the cells of an unanswered item (empty, or the commas between a
-- multiple choice's empty cells). Each response's answers are one range of the
-- primary key, matched to the items by a hash join whose table is built once.
SELECT concat(
    r.id, ',', $2::bigint, ',', $9::text, ',', r.site_id, ',',
    CASE WHEN r.language ~ '[",\r\n]' THEN '"' || replace(r.language, '"', '""') || '"'
         ELSE r.language END, ',',
    r.channel, ',', r.status, ',',
    to_char(r.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ',',
    CASE WHEN v.qversion ~ '[",\r\n]' THEN '"' || replace(v.qversion, '"', '""') || '"'
         ELSE v.qversion END, ',',
    CASE WHEN pm.pseudonym ~ '[",\r\n]' THEN '"' || replace(pm.pseudonym, '"', '""') || '"'
         ELSE pm.pseudonym END,
    CASE WHEN cardinality($4::text[]) > 0 THEN ',' END,
    a.cells)
FROM responses r
JOIN questionnaire_versions qv ON qv.content_hash = r.questionnaire_hash
CROSS JOIN LATERAL (
    SELECT qv.questionnaire_id || ' ' || qv.version || ' ' || left(r.questionnaire_hash, 12)
) v (qversion)
LEFT JOIN panel_members pm ON pm.program_id = r.program_id AND pm.id = r.panel_member_id
LEFT JOIN LATERAL (
    SELECT string_agg(CASE
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
        WHEN i.kind = 'single' THEN coalesce($7::jsonb -> i.item ->> x.value_codes[1], '')
        WHEN i.kind = 'multi' THEN (
            SELECT string_agg(CASE WHEN o.code = ANY(x.value_codes) THEN '1' ELSE '0' END,
                              ',' ORDER BY o.n)
            FROM jsonb_array_elements_text($8::jsonb -> i.item) WITH ORDINALITY o (code, n))
        WHEN x.value_text ~ '[",\r\n]' THEN '"' || replace(x.value_text, '"', '""') || '"'
        ELSE coalesce(x.value_text, '')
        END, ',' ORDER BY i.pos) AS cells
    FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY i (item, kind, blank, pos)
    LEFT JOIN (
        -- OFFSET 0 keeps the item out of the index condition: one range scan per
        -- response, not one probe per item.
        SELECT * FROM answers x
        WHERE x.program_id = r.program_id AND x.response_id = r.id
        OFFSET 0
    ) x ON x.item_id = i.item
) a ON true
WHERE r.program_id = $1 AND r.wave_id = $2 AND NOT (r.site_id = ANY($3::bigint[]))
ORDER BY r.id;
