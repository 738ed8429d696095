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
SELECT w.id, w.name, w.phase, w.questionnaire_id, w.questionnaire_hash, w.state,
       w.opens_at, w.closes_at, w.launched_at, w.created_at, w.allow_unreviewed,
       (SELECT count(*) FROM responses r
        WHERE r.program_id = w.program_id AND r.wave_id = w.id AND r.status = 'complete')
           AS completes
FROM waves w
WHERE w.program_id = $1
ORDER BY coalesce(w.opens_at, w.launched_at, w.created_at), w.id;

-- name: report-sites
SELECT id, name, comparison FROM sites WHERE program_id = $1 ORDER BY name, id;

-- name: report-weight-cells
-- Complete responses per site × wave × weighting cell: the rows that get raked.
WITH resp AS MATERIALIZED (
    SELECT r.id, r.site_id, r.wave_id,
           CASE WHEN cardinality($4::text[]) > 0 THEN (
               SELECT string_agg(a.item_id || '=' || a.value_codes[1], '&' ORDER BY a.item_id)
               FROM answers a
               WHERE a.program_id = r.program_id AND a.response_id = r.id
                 AND a.item_id = ANY($4::text[]) AND cardinality(a.value_codes) = 1
           ) END AS cell
    FROM responses r
    WHERE r.program_id = $1 AND r.wave_id = ANY($2::bigint[]) AND r.status = 'complete'
      AND NOT ($3 AND r.duplicate_suspect)
)
SELECT site_id, wave_id, cell, count(*) AS n
FROM resp
GROUP BY site_id, wave_id, cell;

-- name: report-item-counts
-- Answer frequencies per site × wave × item × cell × value, for the Likert items in $5.
-- Missing answers (don't know, prefer not, skipped) are never a value.
WITH resp AS MATERIALIZED (
    SELECT r.id, r.site_id, r.wave_id,
           CASE WHEN cardinality($4::text[]) > 0 THEN (
               SELECT string_agg(a.item_id || '=' || a.value_codes[1], '&' ORDER BY a.item_id)
               FROM answers a
               WHERE a.program_id = r.program_id AND a.response_id = r.id
                 AND a.item_id = ANY($4::text[]) AND cardinality(a.value_codes) = 1
           ) END AS cell
    FROM responses r
    WHERE r.program_id = $1 AND r.wave_id = ANY($2::bigint[]) AND r.status = 'complete'
      AND NOT ($3 AND r.duplicate_suspect)
)
SELECT r.site_id, r.wave_id, a.item_id, r.cell, a.value_num AS value, count(*) AS n
FROM answers a
JOIN resp r ON r.id = a.response_id
WHERE a.program_id = $1 AND a.item_id = ANY($5::text[])
  AND a.value_num IS NOT NULL AND a.missing IS NULL
GROUP BY r.site_id, r.wave_id, a.item_id, r.cell, a.value_num;

-- name: report-construct-scores
-- Scale scores in SQL, counted per site × wave × construct × cell × score.
-- The construct spec comes as parallel arrays, one entry per (construct, item):
-- $5 construct ids, $6 item ids, $7 reverse-coded or not, $8 the scale's min + max.
-- A reverse-coded answer x scores (min + max) − x. The score is the mean of the
-- answered items, kept only when more than half the construct's items are answered
-- (survey.questionnaire.scoring). It comes back as the exact sum and count
-- of the answered values, so the service divides once, as the reference does.
WITH spec AS (
    SELECT * FROM unnest($5::text[], $6::text[], $7::boolean[], $8::float8[])
        AS s(construct_id, item_id, reverse, flip)
),
sizes AS (SELECT construct_id, count(*) AS k FROM spec GROUP BY construct_id),
resp AS MATERIALIZED (
    SELECT r.id, r.site_id, r.wave_id,
           CASE WHEN cardinality($4::text[]) > 0 THEN (
               SELECT string_agg(a.item_id || '=' || a.value_codes[1], '&' ORDER BY a.item_id)
               FROM answers a
               WHERE a.program_id = r.program_id AND a.response_id = r.id
                 AND a.item_id = ANY($4::text[]) AND cardinality(a.value_codes) = 1
           ) END AS cell
    FROM responses r
    WHERE r.program_id = $1 AND r.wave_id = ANY($2::bigint[]) AND r.status = 'complete'
      AND NOT ($3 AND r.duplicate_suspect)
),
scored AS (
    SELECT r.id, r.site_id, r.wave_id, r.cell, s.construct_id,
           sum(CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END) AS total,
           count(*) AS answered
    FROM answers a
    JOIN resp r ON r.id = a.response_id
    JOIN spec s ON s.item_id = a.item_id
    WHERE a.program_id = $1 AND a.value_num IS NOT NULL AND a.missing IS NULL
    GROUP BY r.id, r.site_id, r.wave_id, r.cell, s.construct_id
)
SELECT sc.site_id, sc.wave_id, sc.construct_id, sc.cell, sc.total, sc.answered, count(*) AS n
FROM scored sc
JOIN sizes z ON z.construct_id = sc.construct_id
WHERE 2 * sc.answered > z.k
GROUP BY sc.site_id, sc.wave_id, sc.construct_id, sc.cell, sc.total, sc.answered;

-- name: report-paired-scores
-- Linked panel respondents: the same panel member at the same site in the pre wave
-- ($2[1]) and the post wave ($2[2]), one response per member and wave (the latest
-- submitted). Returns counts of (pre score, post score) pairs per site × construct,
-- only where both scores exist; the construct spec is $4–$7 (as $5–$8 above).
WITH spec AS (
    SELECT * FROM unnest($4::text[], $5::text[], $6::boolean[], $7::float8[])
        AS s(construct_id, item_id, reverse, flip)
),
sizes AS (SELECT construct_id, count(*) AS k FROM spec GROUP BY construct_id),
resp AS MATERIALIZED (
    SELECT DISTINCT ON (panel_member_id, wave_id) id, site_id, wave_id, panel_member_id
    FROM responses
    WHERE program_id = $1 AND wave_id = ANY($2::bigint[]) AND status = 'complete'
      AND panel_member_id IS NOT NULL AND NOT ($3 AND duplicate_suspect)
    ORDER BY panel_member_id, wave_id, submitted_at DESC, id DESC
),
scored AS (
    SELECT r.site_id, r.wave_id, r.panel_member_id, s.construct_id,
           sum(CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END) AS total,
           count(*) AS answered
    FROM answers a
    JOIN resp r ON r.id = a.response_id
    JOIN spec s ON s.item_id = a.item_id
    WHERE a.program_id = $1 AND a.value_num IS NOT NULL AND a.missing IS NULL
    GROUP BY r.site_id, r.wave_id, r.panel_member_id, s.construct_id
),
valid AS (
    SELECT sc.* FROM scored sc JOIN sizes z ON z.construct_id = sc.construct_id
    WHERE 2 * sc.answered > z.k
),
-- One row per member, site and construct with both waves side by side; grouping
-- instead of a self-join keeps the plan linear whatever the row estimates say.
pairs AS (
    SELECT site_id, construct_id,
           max(total) FILTER (WHERE wave_id = ($2::bigint[])[1]) AS pre_total,
           max(answered) FILTER (WHERE wave_id = ($2::bigint[])[1]) AS pre_answered,
           max(total) FILTER (WHERE wave_id = ($2::bigint[])[2]) AS post_total,
           max(answered) FILTER (WHERE wave_id = ($2::bigint[])[2]) AS post_answered
    FROM valid
    GROUP BY site_id, panel_member_id, construct_id
    HAVING count(*) FILTER (WHERE wave_id = ($2::bigint[])[1]) = 1
       AND count(*) FILTER (WHERE wave_id = ($2::bigint[])[2]) = 1
)
SELECT site_id, construct_id, pre_total, pre_answered, post_total, post_answered,
       count(*) AS n
FROM pairs
GROUP BY site_id, construct_id, pre_total, pre_answered, post_total, post_answered;

-- name: report-alpha-patterns
-- Reliability: listwise-complete answer patterns (reverse-coded, in the construct's
-- item order) counted per wave × language × construct. Site-waves listed in
-- $9 (waves) and $10 (sites) are left out: they are suppressed in the report, and
-- program-level figures must not carry what a suppressed cell hides.
-- The construct spec is $4–$7 (as $5–$8 above), plus $8 each item's position.
WITH spec AS (
    SELECT * FROM unnest($4::text[], $5::text[], $6::boolean[], $7::float8[], $8::int[])
        AS s(construct_id, item_id, reverse, flip, ord)
),
sizes AS (SELECT construct_id, count(*) AS k FROM spec GROUP BY construct_id),
resp AS MATERIALIZED (
    SELECT r.id, r.wave_id, r.language FROM responses r
    WHERE r.program_id = $1 AND r.wave_id = ANY($2::bigint[]) AND r.status = 'complete'
      AND NOT ($3 AND r.duplicate_suspect)
      AND NOT EXISTS (SELECT 1 FROM unnest($9::bigint[], $10::bigint[]) AS x(wave_id, site_id)
                      WHERE x.wave_id = r.wave_id AND x.site_id = r.site_id)
),
patterns AS (
    SELECT r.wave_id, r.language, s.construct_id,
           array_agg(CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END
                     ORDER BY s.ord) AS pattern
    FROM answers a
    JOIN resp r ON r.id = a.response_id
    JOIN spec s ON s.item_id = a.item_id
    WHERE a.program_id = $1 AND a.value_num IS NOT NULL AND a.missing IS NULL
    GROUP BY r.id, r.wave_id, r.language, s.construct_id
)
SELECT p.wave_id, p.language, p.construct_id, p.pattern, count(*) AS n
FROM patterns p JOIN sizes z ON z.construct_id = p.construct_id
WHERE cardinality(p.pattern) = z.k AND z.k >= 2
GROUP BY p.wave_id, p.language, p.construct_id, p.pattern;

-- name: report-statement-timeout
-- Reports scan every answer of a few waves; they may take longer than a request.
SELECT set_config('statement_timeout', $1::text, true);

-- name: report-reserve-response-ids
-- Synthetic data (demo, benchmark) is COPYed with ids reserved here first.
SELECT array_agg(nextval(pg_get_serial_sequence('responses', 'id'))) FROM generate_series(1, $1);

-- name: report-reserve-panel-ids
SELECT array_agg(nextval(pg_get_serial_sequence('panel_members', 'id')))
FROM generate_series(1, $1);

-- name: report-reserve-invitation-ids
SELECT array_agg(nextval(pg_get_serial_sequence('invitations', 'id')))
FROM generate_series(1, $1);

-- name: report-analyze
-- After a bulk COPY: fresh statistics, so the report's joins are planned on real sizes.
ANALYZE responses, answers, invitations, panel_members;
