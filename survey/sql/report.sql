-- Report aggregation: frequency tables computed in PostgreSQL.
--
-- Nothing here returns one row per respondent. Each statement returns counts per
-- site × wave × (item or construct) × value, so what the service holds grows with
-- the number of distinct values, not with the number of responses, and each
-- statement filters on one program_id, so on Citus it runs on that program's shard.
--
-- Shared parameters: $1 program_id, $2 wave ids, $3 whether to leave out responses
-- flagged as suspected duplicates. Only complete responses are analysed.
--
-- Weighting cells: when weighting is on, $4 lists the items the margins use
-- (age_band, gender...). A response's cell is its answers to those items as
-- 'age_band=18_24&gender=woman' (items it did not answer are left out), so the
-- service can give every respondent in a cell the same raking weight. With $4 empty
-- the cell is NULL and its subquery never runs. The cell is worked out once per
-- response, by index, next to the response's own columns: joining it back to the
-- answers later would leave the plan at the mercy of row estimates.

-- name: report-waves
-- `answered`: the wave has a complete response (whether, not how many: counting them
-- read a million index entries at every report). An open wave past its closes_at
-- reads closed, as the API shows it (waves.shown_state): its fieldwork is over.
-- `zones`: its sites' time zones, in which its dates are days (wave_dates).
SELECT w.id, w.name, w.phase, w.questionnaire_id, w.questionnaire_hash,
       CASE WHEN w.state = 'open' AND w.closes_at <= now() THEN 'closed'
            ELSE w.state END AS state,
       w.opens_at, w.closes_at, w.closed_at, w.launched_at, w.created_at, w.allow_unreviewed,
       ARRAY(SELECT DISTINCT s.timezone FROM wave_sites ws
             JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
             WHERE ws.program_id = w.program_id AND ws.wave_id = w.id
             ORDER BY s.timezone) AS zones,
       EXISTS (SELECT FROM responses r
               WHERE r.program_id = w.program_id AND r.wave_id = w.id
                 AND r.status = 'complete') AS answered
FROM waves w
WHERE w.program_id = $1
ORDER BY coalesce(w.opens_at, w.launched_at, w.created_at), w.id;

-- name: report-sites
-- `waves`: the waves the site is one of, so a site outside a wave is not reported as
-- suppressed there.
SELECT s.id, s.name, s.comparison,
       ARRAY(SELECT ws.wave_id FROM wave_sites ws
             WHERE ws.program_id = s.program_id AND ws.site_id = s.id) AS waves
FROM sites s WHERE s.program_id = $1 ORDER BY s.name, s.id;

-- name: report-counts
-- Everything the statistics need, in one statement so the responses (and their
-- weighting cells) are read once and each answer is joined once per use. Rows of
-- five kinds, told apart by `kind`, each a count `n`:
--
--   cell   site × wave × cell                           (complete responses: raked)
--   item   site × wave × item × cell × value            (Likert items listed in $5)
--   score  site × wave × construct × cell × (total, answered)
--   pair   site × construct × (post score − pre score)
--   alpha  site × wave × language × construct: Σ total, Σ total², Σ Σ item²  (v1, v2, v3)
--   alpha_item  the same × item (its place in a1): Σ item                         (v1)
--
-- Scale scores: the construct spec comes as parallel arrays, one entry per
-- (construct, item): $6 construct ids, $7 item ids, $8 reverse-coded or not, $9 the
-- scale's min + max, $10 the scale's min, $11 the item's place value in a pattern
-- -- code. A reverse-coded answer x scores (min + max) − x. The score is the mean of
-- the answered items, kept only when more than half of the construct's items are
-- answered (survey.questionnaire.scoring); it comes back as the exact sum and count
-- of the answered values, so the service divides once, as the reference does.
-- Missing answers (don't know, prefer not, skipped) are never a value.
--
-- Returned as one row per kind × site × wave × key × language with the rest as
-- parallel arrays (cells, v1, a1, v2, v3, n): a weighted report at a million
-- responses has 76,000 counts, and as rows the driver and the parser took 0.1-0.2 s
-- more (report-cache-read returns the same shape).
--
-- Pairs: the same panel member at the same site in the pre wave ($2[1]) and the post
-- wave ($2[2]), one response per member and wave (the latest submitted), both
-- scores present. The paired tests need only each pair's difference, so pairs are
-- counted by difference, computed with the same two divisions and one subtraction
-- a reference in float64 makes.
--
-- Alpha: over listwise-complete respondents, alpha needs only the item sums, the sum
-- of squared items and the sums of the total and its square: sums of whole numbers,
-- exact in float8. The items of a response travel as one integer pattern,
-- Σ (score − min) × place with place = (max − min + 1)^position, so grouping per
-- response stays a hash of sums and counts; the per-item sums decode its digits.
-- Site-waves with fewer than $12 complete responses are left out: the report
-- suppresses them (by the same count, from the `cell` rows), and program-level
-- figures must not carry what a suppressed cell hides. Per site, so the engine sums
-- the sites the report compares (shown in both waves) and no others.
WITH spec AS (
    SELECT * FROM unnest($6::text[], $7::text[], $8::boolean[], $9::float8[], $10::float8[],
                         $11::bigint[])
        AS s(construct_id, item_id, reverse, flip, low, place)
),
sizes AS (SELECT construct_id, count(*) AS k FROM spec GROUP BY construct_id),
resp AS MATERIALIZED (
    SELECT r.id, r.site_id, r.wave_id, r.language, r.panel_member_id,
           CASE WHEN cardinality($4::text[]) > 0 THEN (
               SELECT string_agg(a.item_id || '=' || a.value_codes[1], '&' ORDER BY a.item_id)
               FROM answers a
               WHERE a.program_id = r.program_id AND a.response_id = r.id
                 AND a.item_id = ANY($4::text[]) AND cardinality(a.value_codes) = 1
           ) END AS cell,
           r.panel_member_id IS NOT NULL AND row_number() OVER (
               PARTITION BY r.panel_member_id, r.wave_id
               ORDER BY r.submitted_at DESC, r.id DESC) = 1 AS latest_of_member,
           count(*) OVER (PARTITION BY r.site_id, r.wave_id) >= $12 AS in_alpha
    FROM responses r
    WHERE r.program_id = $1 AND r.wave_id = ANY($2::bigint[]) AND r.status = 'complete'
      AND NOT ($3 AND r.duplicate_suspect)
),
scored AS MATERIALIZED (
    SELECT a.response_id, s.construct_id,
           sum(CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END) AS total,
           count(*) AS answered,
           sum((CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END) ^ 2)
               AS squares,
           sum((CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END
                - s.low)::bigint * s.place)::bigint AS pattern
    FROM answers a
    JOIN resp r ON r.id = a.response_id
    JOIN spec s ON s.item_id = a.item_id
    WHERE a.program_id = $1 AND a.value_num IS NOT NULL AND a.missing IS NULL
    GROUP BY a.response_id, s.construct_id
),
valid AS (
    SELECT sc.construct_id, sc.total, sc.answered, sc.squares, sc.pattern, z.k, r.*
    FROM scored sc
    JOIN sizes z ON z.construct_id = sc.construct_id
    JOIN resp r ON r.id = sc.response_id
    WHERE 2 * sc.answered > z.k
),
pairs AS (
    -- Grouping instead of a self-join keeps the plan linear whatever the estimates.
    SELECT site_id, construct_id,
           max(total / answered) FILTER (WHERE wave_id = ($2::bigint[])[2])
           - max(total / answered) FILTER (WHERE wave_id = ($2::bigint[])[1]) AS diff
    FROM valid
    WHERE latest_of_member
    GROUP BY site_id, panel_member_id, construct_id
    HAVING count(*) FILTER (WHERE wave_id = ($2::bigint[])[1]) = 1
       AND count(*) FILTER (WHERE wave_id = ($2::bigint[])[2]) = 1
),
complete AS (
    SELECT * FROM valid WHERE in_alpha AND k >= 2 AND answered = k
),
counted AS (
SELECT 'cell' AS kind, site_id, wave_id, NULL::text AS key, cell, NULL::text AS language,
       NULL::float8 AS v1, NULL::bigint AS a1, NULL::float8 AS v2, NULL::float8 AS v3,
       count(*) AS n
FROM resp
GROUP BY site_id, wave_id, cell
UNION ALL
SELECT 'item', r.site_id, r.wave_id, a.item_id, r.cell, NULL, a.value_num, NULL, NULL, NULL,
       count(*)
FROM answers a
JOIN resp r ON r.id = a.response_id
WHERE a.program_id = $1 AND a.item_id = ANY($5::text[])
  AND a.value_num IS NOT NULL AND a.missing IS NULL
GROUP BY r.site_id, r.wave_id, a.item_id, r.cell, a.value_num
UNION ALL
SELECT 'score', site_id, wave_id, construct_id, cell, NULL, total, answered, NULL, NULL,
       count(*)
FROM valid
GROUP BY site_id, wave_id, construct_id, cell, total, answered
UNION ALL
SELECT 'pair', site_id, NULL, construct_id, NULL, NULL, diff, NULL, NULL, NULL, count(*)
FROM pairs
GROUP BY site_id, construct_id, diff
UNION ALL
SELECT 'alpha', site_id, wave_id, construct_id, NULL, language, sum(total), NULL,
       sum(total ^ 2), sum(squares), count(*)
FROM complete
GROUP BY site_id, wave_id, language, construct_id
UNION ALL
SELECT 'alpha_item', c.site_id, c.wave_id, c.construct_id, NULL, c.language,
       sum((c.pattern / s.place) % (s.flip - 2 * s.low + 1)::bigint + s.low), s.place, NULL,
       NULL, count(*)
FROM complete c
JOIN spec s ON s.construct_id = c.construct_id
GROUP BY c.site_id, c.wave_id, c.language, c.construct_id, s.place
)
SELECT kind, site_id, wave_id, key, language, array_agg(cell) AS cells, array_agg(v1) AS v1,
       array_agg(a1) AS a1, array_agg(v2) AS v2, array_agg(v3) AS v3, array_agg(n) AS n
FROM counted
GROUP BY kind, site_id, wave_id, key, language;

-- name: report-session
-- Reports scan every answer of a few waves: they may take longer than a request, and
-- their per-response grouping sorts in memory rather than on disk with more work_mem.
-- Both settings are local to the report's transaction.
SELECT set_config('statement_timeout', $1::text, true), set_config('work_mem', $2::text, true);

-- name: report-reserve-response-ids
-- Synthetic data (demo, benchmark) is COPYed with ids reserved here first.
SELECT array_agg(nextval(pg_get_serial_sequence('responses', 'id'))) FROM generate_series(1, $1);

-- name: report-render-export-cells
-- After a COPY of completed responses ($1 program, $2 their ids): their export cells
-- in one statement. The per-response trigger at commit then finds them rendered
-- (0009_submit_path.sql) instead of rendering each one alone, about 1 ms apiece.
SELECT export_cells_render(array_fill($1::bigint, ARRAY[cardinality($2::bigint[])]),
                           $2::bigint[]);

-- name: report-reserve-panel-ids
SELECT array_agg(nextval(pg_get_serial_sequence('panel_members', 'id')))
FROM generate_series(1, $1);

-- name: report-reserve-invitation-ids
SELECT array_agg(nextval(pg_get_serial_sequence('invitations', 'id')))
FROM generate_series(1, $1);

-- name: report-analyze
-- After a bulk COPY: fresh statistics, so the report's joins are planned on real sizes.
ANALYZE responses, answers, invitations, panel_members;
