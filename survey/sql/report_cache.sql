-- The report cache (survey/migrations/0005_report_cache.sql explains the design).
--
-- A refresh of one wave's cache, inside the report's transaction:
--   1. report-cache-lock     serialise with other refreshes;
--   2. report-cache-delta    whether there is anything the cache's snapshot could not
--                            see: responses completed or changed since (0015);
--                            if the wave was invalidated since, report-cache-reset
--                            empties the cache, which is then built from nothing;
--   3. report-cache-add      in one statement, find those responses (none cached:
--                            every one), aggregate them, changed ones taken back as
--                            they were counted, append the rows, and record this
--                            statement's snapshot, so nothing is lost or counted twice;
--   4. report-cache-compact  now and then, fold the appended batches into one.
-- Then, still holding both waves' locks, report-cache-pairs-get returns the panel pairs
-- kept for this pair of waves (0010_report_cache_pairs.sql), or report-cache-pairs-refresh
-- brings them up to date with the panel rows appended since (0012), or works them out,
-- and keeps them; report-cache-read returns the other rows report-counts would, from
-- the cache, and report-cache-fieldwork the fieldwork counts.

-- name: report-cache-usable
-- On Citus the triggers that keep the cache exact are dropped (0006_citus.sql): reports
-- scan instead, spread over the workers.
SELECT NOT survey_is_distributed();

-- name: lock-wait
-- How long the rest of this transaction waits for any lock ($1, e.g. '10s'; '0' for
-- ever, the default); waiting longer raises LockNotAvailable. Local to the
-- transaction. A report cache refresh waits 10 s for another (a build from nothing
-- holds the lock for 20-25 s per wave at a million responses; a report waiting that
-- long is better answered "try again", 503 with Retry-After); the SMS worker's
-- outcome waits 5 s for a removal of contacts (worker connections have no
-- statement_timeout, and a removal holds its program's lock while it runs).
SELECT set_config('lock_timeout', $1::text, true);

-- name: report-cache-lock
SELECT pg_advisory_xact_lock(hashtextextended('report-cache:' || $1::bigint || ':' || $2::bigint, 0));

-- name: report-cache-delta
-- $1 program, $2 wave, $3 signature. `cached`: a cache exists; `pending`: it has
-- something to add or take back, responses completed or changed by transactions its
-- snapshot could not see (report-cache-add works out which, in its own snapshot);
-- `batches` how many appended batches the cache holds (NULL: none). `stale`: the wave
-- was invalidated since the cache was built (0013_cache_epoch), which must then be
-- emptied (report-cache-reset) and built from nothing.
WITH state AS (
    SELECT snap, epoch, batches FROM report_cache_state
    WHERE program_id = $1 AND wave_id = $2 AND signature = $3
)
SELECT EXISTS (SELECT FROM state) AS cached,
       EXISTS (SELECT FROM state s JOIN waves w ON w.program_id = $1 AND w.id = $2
               WHERE w.cache_epoch <> s.epoch) AS stale,
       (SELECT batches FROM state) AS batches,
       -- Counted, not EXISTS: for EXISTS the planner hopes to meet a row early and scans
       -- the wave's responses in order (0.15-0.24 s at 1M, for none); counting, it takes
       -- the index on the completing transaction (a few pages).
       (SELECT count(*) FROM responses r, state s
        WHERE r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
          AND r.completed_xid >= pg_snapshot_xmin(s.snap)
          AND NOT pg_visible_in_snapshot(r.completed_xid, s.snap))
       + (SELECT count(*) FROM report_cache_changes c, state s
          WHERE c.program_id = $1 AND c.wave_id = $2
            AND c.xid >= pg_snapshot_xmin(s.snap)
            AND NOT pg_visible_in_snapshot(c.xid, s.snap)) > 0 AS pending;

-- name: report-cache-cold
-- The waves among $2 whose next refresh builds their cache of signature $3 from nothing:
-- those with none yet, and those whose cache is behind the wave's epoch (`stale`: it
-- must be emptied first, report-cache-reset).
SELECT w.id AS wave_id, s.epoch IS NOT NULL AS stale
FROM waves w
LEFT JOIN report_cache_state s
  ON s.program_id = $1 AND s.wave_id = w.id AND s.signature = $3
WHERE w.program_id = $1 AND w.id = ANY($2::bigint[])
  AND s.epoch IS DISTINCT FROM w.cache_epoch
ORDER BY w.id;

-- name: report-cache-reset
-- Empty one wave's cache of one signature ($1 program, $2 wave, $3 signature), and the
-- pair tables worked out from it, under the wave's refresh lock.
WITH pairs AS (
    DELETE FROM report_cache_pairs
    WHERE program_id = $1 AND signature = $3 AND $2 IN (pre_wave_id, post_wave_id)
),
cached_rows AS (
    DELETE FROM report_cache_rows WHERE program_id = $1 AND wave_id = $2 AND signature = $3
),
panel AS (
    DELETE FROM report_cache_panel WHERE program_id = $1 AND wave_id = $2 AND signature = $3
),
fieldwork AS (
    DELETE FROM report_cache_fieldwork
    WHERE program_id = $1 AND wave_id = $2 AND signature = $3
)
DELETE FROM report_cache_state WHERE program_id = $1 AND wave_id = $2 AND signature = $3;

-- name: report-cache-add
-- $1 program, $2 wave, $3 signature, $4 weighting items, $5 Likert items, $6–$11 the
-- construct spec as in report-counts. With no cache yet: every complete response this
-- statement sees. With one: what its snapshot could not see, found in this statement's
-- snapshot, which it then records, so nothing changes between what is read and what is
-- recorded (0015_report_cache_changes):
--   +1  responses completed since;
--   +1  responses changed since, as they are now, if complete in the wave (and not
--       completed since: those are the line above);
--   -1  responses changed since, as the cache counted them: the oldest change the
--       snapshot did not see holds that version, with its answers (0016: a reopened
--       response may have taken other answers since).
-- Rows as report_cache_rows documents, every count and sum signed; the scoring is the
-- same as report-counts', which the tests check the cache against. The panel rows are
-- numbered with this append's batch, so pair tables can catch up with them
-- (0012_report_cache_pairs_delta), and rows taken back are marked with it. The
-- responses' fieldwork counts go to report_cache_fieldwork (0011_report_cache_fieldwork).
WITH batch AS (
    SELECT nextval('report_cache_batch_seq') AS batch
),
prior AS (
    SELECT snap FROM report_cache_state
    WHERE program_id = $1 AND wave_id = $2 AND signature = $3
),
changed AS MATERIALIZED (
    SELECT DISTINCT ON (c.response_id) c.*
    FROM report_cache_changes c, prior p
    WHERE c.program_id = $1 AND c.wave_id = $2
      AND c.xid >= pg_snapshot_xmin(p.snap) AND NOT pg_visible_in_snapshot(c.xid, p.snap)
    ORDER BY c.response_id, c.seq
),
versions AS (
    -- A version taken back (-1) brings the answers it was counted with, kept with the
    -- change (0016_report_cache_changes_answers); the others read theirs.
    SELECT r.id, 1 AS sign, r.site_id, r.language, r.panel_member_id, r.submitted_at,
           r.duplicate_suspect AS duplicate, r.channel, r.invitation_id IS NOT NULL AS invited,
           NULL::text[] AS num_items, NULL::float8[] AS num_values,
           NULL::text[] AS code_items, NULL::text[] AS codes
    FROM responses r
    WHERE r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
      AND NOT EXISTS (SELECT FROM prior)
    UNION ALL
    SELECT r.id, 1, r.site_id, r.language, r.panel_member_id, r.submitted_at,
           r.duplicate_suspect, r.channel, r.invitation_id IS NOT NULL, NULL, NULL, NULL, NULL
    FROM responses r, prior p
    WHERE r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
      AND r.completed_xid >= pg_snapshot_xmin(p.snap)
      AND NOT pg_visible_in_snapshot(r.completed_xid, p.snap)
    UNION ALL
    SELECT r.id, 1, r.site_id, r.language, r.panel_member_id, r.submitted_at,
           r.duplicate_suspect, r.channel, r.invitation_id IS NOT NULL, NULL, NULL, NULL, NULL
    FROM changed c
    JOIN responses r ON r.program_id = $1 AND r.id = c.response_id
    CROSS JOIN prior p
    WHERE r.wave_id = $2 AND r.status = 'complete'
      AND (r.completed_xid IS NULL OR pg_visible_in_snapshot(r.completed_xid, p.snap))
    UNION ALL
    SELECT c.response_id, -1, c.old_site_id, c.old_language, c.old_panel_member_id,
           c.old_submitted_at, c.old_duplicate, c.old_channel, c.old_invited,
           c.old_num_items, c.old_num_values, c.old_code_items, c.old_codes
    FROM changed c, prior p
    WHERE c.old_wave_id = $2 AND c.old_status = 'complete'
      AND (c.old_completed_xid IS NULL OR pg_visible_in_snapshot(c.old_completed_xid, p.snap))
),
wanted AS (
    -- Items and constructs are numbered for the statement: at a million responses
    -- millions of answer rows are joined and grouped, and small integer keys cost less
    -- to carry, hash and compare than text (a build from nothing 23.5 -> 20.5 s per
    -- wave at 1M).
    SELECT item_id, (row_number() OVER ())::int AS ix
    FROM (SELECT DISTINCT item_id FROM unnest($5::text[] || $7::text[]) AS u(item_id)) d
),
spec AS (
    SELECT s.*, c.cx, w.ix FROM unnest($6::text[], $7::text[], $8::boolean[], $9::float8[],
                                 $10::float8[], $11::bigint[])
        AS s(construct_id, item_id, reverse, flip, low, place)
    JOIN (SELECT construct_id, (row_number() OVER ())::int AS cx
          FROM (SELECT DISTINCT construct_id FROM unnest($6::text[]) AS u(construct_id)) d) c
      USING (construct_id)
    JOIN wanted w USING (item_id)
),
sizes AS (SELECT cx, min(construct_id) AS construct_id, count(*) AS k FROM spec GROUP BY cx),
resp AS MATERIALIZED (
    SELECT v.*,
           CASE WHEN cardinality($4::text[]) > 0 AND v.sign = 1 THEN (
               SELECT string_agg(a.item_id || '=' || a.value_codes[1], '&' ORDER BY a.item_id)
               FROM answers a
               WHERE a.program_id = $1 AND a.response_id = v.id
                 AND a.item_id = ANY($4::text[]) AND cardinality(a.value_codes) = 1
           ) WHEN cardinality($4::text[]) > 0 THEN (
               SELECT string_agg(u.item_id || '=' || u.code, '&' ORDER BY u.item_id)
               FROM unnest(v.code_items, v.codes) AS u(item_id, code)
               WHERE u.item_id = ANY($4::text[])
           ) END AS cell
    FROM versions v
),
ans AS MATERIALIZED (
    -- The answers the scores and the item counts need, read once for both; a response
    -- taken back and added again has its answers here once per version (those taken
    -- back from its change row, the others from answers). Two ways, of
    -- which the one that applies runs: the planner cannot tell how many responses there
    -- are, and a build from nothing joins every answer of the program at once, while a
    -- refresh of a few responses must look theirs up by index (on a guess of "many" it
    -- hashed 13M answers for one flagged response, 4 s at 1M).
    SELECT a.response_id, r.sign, w.ix, a.value_num, r.site_id, r.duplicate, r.cell
    FROM answers a
    JOIN wanted w ON w.item_id = a.item_id
    JOIN resp r ON r.id = a.response_id
    WHERE a.program_id = $1 AND a.value_num IS NOT NULL AND a.missing IS NULL
      AND NOT EXISTS (SELECT FROM prior)
    UNION ALL
    SELECT x.id, x.sign, w.ix, x.value_num, x.site_id, x.duplicate, x.cell
    FROM (
        SELECT r.id, r.sign, r.site_id, r.duplicate, r.cell, a.item_id, a.value_num
        FROM resp r
        CROSS JOIN LATERAL (
            SELECT a.item_id, a.value_num FROM answers a
            WHERE r.sign = 1 AND a.program_id = $1 AND a.response_id = r.id
              AND a.value_num IS NOT NULL AND a.missing IS NULL
            UNION ALL
            SELECT u.item_id, u.value_num
            FROM unnest(r.num_items, r.num_values) AS u(item_id, value_num)
            WHERE r.sign = -1
            OFFSET 0  -- kept a subquery, so it stays a lookup per response
        ) a
        WHERE EXISTS (SELECT FROM prior)
        OFFSET 0  -- and the items matched once, after the lookups, not in each
    ) x
    JOIN wanted w ON w.item_id = x.item_id
),
scored AS MATERIALIZED (
    SELECT a.response_id, a.sign, s.cx,
           sum(v) AS total,
           count(*) AS answered,
           sum(v ^ 2) AS squares,
           sum((v - s.low)::bigint * s.place)::bigint AS pattern
    FROM ans a
    JOIN spec s ON s.ix = a.ix,
    LATERAL (SELECT CASE WHEN s.reverse THEN s.flip - a.value_num ELSE a.value_num END AS v) x
    GROUP BY a.response_id, a.sign, s.cx
),
valid AS MATERIALIZED (
    SELECT z.construct_id, sc.cx, sc.total, sc.answered, sc.squares, sc.pattern, z.k,
           r.id, r.sign, r.site_id, r.duplicate, r.cell, r.language, r.panel_member_id
    FROM scored sc
    JOIN sizes z ON z.cx = sc.cx
    JOIN resp r ON r.id = sc.response_id AND r.sign = sc.sign
    WHERE 2 * sc.answered > z.k
),
complete AS (
    SELECT * FROM valid WHERE k >= 2 AND answered = k
),
agg AS (
    -- Groups whose terms cancel are left out, except for alpha's: their sums need not.
    SELECT 'cell' AS kind, site_id, duplicate, NULL::text AS key, cell, NULL::text AS language,
           NULL::float8 AS g1, NULL::bigint AS g2, NULL::float8 AS s1, NULL::float8 AS s2,
           NULL::float8 AS s3, sum(sign) AS n
    FROM resp
    GROUP BY site_id, duplicate, cell
    HAVING sum(sign) <> 0
    UNION ALL
    SELECT 'item', a.site_id, a.duplicate, w.item_id, a.cell, NULL, a.value_num, NULL, NULL,
           NULL, NULL, a.n
    FROM (SELECT site_id, duplicate, ix, cell, value_num, sum(sign) AS n
          FROM ans GROUP BY site_id, duplicate, ix, cell, value_num
          HAVING sum(sign) <> 0) a
    JOIN wanted w ON w.ix = a.ix
    WHERE w.item_id = ANY($5::text[])
    UNION ALL
    SELECT 'score', site_id, duplicate, construct_id, cell, NULL, total, answered, NULL, NULL,
           NULL, sum(sign)
    FROM valid
    GROUP BY site_id, duplicate, construct_id, cell, total, answered
    HAVING sum(sign) <> 0
    UNION ALL
    SELECT 'alpha', site_id, duplicate, construct_id, NULL, language, NULL, NULL,
           sum(sign * total), sum(sign * total ^ 2), sum(sign * squares), sum(sign)
    FROM complete
    GROUP BY site_id, duplicate, language, construct_id
    UNION ALL
    SELECT 'alpha_item', c.site_id, c.duplicate, c.construct_id, NULL, c.language, NULL,
           s.place,
           sum(c.sign * ((c.pattern / s.place) % (s.flip - 2 * s.low + 1)::bigint + s.low)),
           NULL, NULL, sum(c.sign)
    FROM complete c
    JOIN spec s ON s.cx = c.cx
    GROUP BY c.site_id, c.duplicate, c.language, c.construct_id, s.place
),
added_rows AS (
    INSERT INTO report_cache_rows (program_id, wave_id, signature, kind, site_id, duplicate,
                                   key, cell, language, g1, g2, s1, s2, s3, n)
    SELECT $1, $2, $3, kind, site_id, duplicate, key, cell, language, g1, g2, s1, s2, s3, n
    FROM agg
    RETURNING 1
),
added_panel AS (
    INSERT INTO report_cache_panel (program_id, wave_id, signature, response_id, site_id,
                                    panel_member_id, submitted_at, duplicate, constructs,
                                    totals, answered, batch)
    SELECT $1, $2, $3, r.id, r.site_id, r.panel_member_id, r.submitted_at, r.duplicate,
           coalesce(v.constructs, '{}'), coalesce(v.totals, '{}'), coalesce(v.answered, '{}'),
           (SELECT batch FROM batch)
    FROM resp r
    LEFT JOIN (
        SELECT id, array_agg(construct_id ORDER BY construct_id) AS constructs,
               array_agg(total ORDER BY construct_id) AS totals,
               array_agg(answered ORDER BY construct_id) AS answered
        FROM valid WHERE panel_member_id IS NOT NULL AND sign = 1
        GROUP BY id
    ) v ON v.id = r.id
    WHERE r.panel_member_id IS NOT NULL AND r.sign = 1
    RETURNING 1
),
retracted_panel AS (
    -- Found by member (index report_cache_panel_member), the members and responses
    -- given as arrays: panel rows are written in bulk, and on statistics from before
    -- they came the planner took the wave's rows for one and looped over the responses
    -- for each (35 s after 1% more at 1M in the report benchmark). The row this
    -- statement adds for the same response is not among the rows it sees.
    UPDATE report_cache_panel c SET retracted = (SELECT batch FROM batch)
    WHERE c.program_id = (SELECT $1::bigint) AND c.signature = (SELECT $3::text)
      AND c.panel_member_id = ANY(ARRAY(
          SELECT panel_member_id FROM resp WHERE sign = -1 AND panel_member_id IS NOT NULL))
      AND c.response_id = ANY(ARRAY(
          SELECT id FROM resp WHERE sign = -1 AND panel_member_id IS NOT NULL))
      AND c.wave_id = $2 AND c.retracted IS NULL
      AND EXISTS (SELECT FROM resp WHERE sign = -1 AND panel_member_id IS NOT NULL)
    RETURNING 1
),
added_fieldwork AS (
    INSERT INTO report_cache_fieldwork (program_id, wave_id, signature, site_id, channel,
                                        language, invited, duplicate, n)
    SELECT $1, $2, $3, site_id, channel, language, invited, duplicate, sum(sign)
    FROM resp
    GROUP BY site_id, channel, language, invited, duplicate
    HAVING sum(sign) <> 0
),
state AS (
    -- Built from nothing: the wave's cache epoch as this statement sees it, with the
    -- responses (0013_cache_epoch). Added to: the epoch stays the cache's.
    INSERT INTO report_cache_state AS st (program_id, wave_id, signature, snap, responses,
                                          panel_batch, epoch)
    VALUES ($1, $2, $3, pg_current_snapshot(), (SELECT coalesce(sum(sign), 0) FROM resp),
            (SELECT batch FROM batch),
            (SELECT cache_epoch FROM waves WHERE program_id = $1 AND id = $2))
    ON CONFLICT (program_id, wave_id, signature) DO UPDATE SET
        snap = excluded.snap,
        batches = st.batches + 1,
        responses = st.responses + excluded.responses,
        panel_batch = excluded.panel_batch,
        refreshed_at = now()
    RETURNING batches, responses
)
SELECT (SELECT count(*) FROM added_rows) AS rows, (SELECT count(*) FROM added_panel) AS panel,
       (SELECT count(*) FROM retracted_panel) AS retracted,
       (SELECT count(*) FROM resp) AS versions, batches, responses
FROM state;

-- name: report-cache-compact
-- Fold a wave's appended batches into one row per group. Reads sum the rows either
-- way; this only keeps them few. A group whose count is back to nothing, every
-- response in it taken back (0015), goes: its sums are nothing too.
WITH old_fieldwork AS (
    DELETE FROM report_cache_fieldwork
    WHERE program_id = $1 AND wave_id = $2 AND signature = $3
    RETURNING *
),
folded_fieldwork AS (
    INSERT INTO report_cache_fieldwork (program_id, wave_id, signature, site_id, channel,
                                        language, invited, duplicate, n)
    SELECT program_id, wave_id, signature, site_id, channel, language, invited, duplicate,
           sum(n)
    FROM old_fieldwork
    GROUP BY program_id, wave_id, signature, site_id, channel, language, invited, duplicate
    HAVING sum(n) <> 0
),
old AS (
    DELETE FROM report_cache_rows
    WHERE program_id = $1 AND wave_id = $2 AND signature = $3
    RETURNING *
),
folded AS (
    INSERT INTO report_cache_rows (program_id, wave_id, signature, kind, site_id, duplicate,
                                   key, cell, language, g1, g2, s1, s2, s3, n)
    SELECT program_id, wave_id, signature, kind, site_id, duplicate, key, cell, language, g1,
           g2, sum(s1), sum(s2), sum(s3), sum(n)
    FROM old
    GROUP BY program_id, wave_id, signature, kind, site_id, duplicate, key, cell, language,
             g1, g2
    HAVING sum(n) <> 0
    RETURNING 1
)
UPDATE report_cache_state SET batches = 1
WHERE program_id = $1 AND wave_id = $2 AND signature = $3
RETURNING (SELECT count(*) FROM folded) AS rows;

-- name: report-cache-read
-- The rows report-counts returns, from the caches of the two waves ($2: pre, post),
-- but the pairs (report-cache-pairs-get). $1 program, $3 leave out suspected
-- duplicates, $4 signature, $5 the suppression threshold: alpha leaves out site-waves
-- with fewer complete responses, as report-counts does. Windows rather than joins: the
-- cache tables are young and often not analysed yet, and a join planned on a guess of
-- one row can cost minutes. Groups whose responses were all taken back (0015) count
-- nothing and are left out, as a scan would never have them.
WITH grouped AS MATERIALIZED (
    SELECT kind, site_id, wave_id, key, cell, language, g1, g2, sum(s1) AS s1,
           sum(s2) AS s2, sum(s3) AS s3, sum(n)::bigint AS n
    FROM report_cache_rows
    WHERE program_id = $1 AND signature = $4 AND wave_id = ANY($2::bigint[])
      AND NOT ($3 AND duplicate)
    GROUP BY kind, site_id, wave_id, key, cell, language, g1, g2
    HAVING sum(n) <> 0
),
sized AS (
    -- Only the rows the window needs (a site-wave's cells give its size): weighted, the
    -- item and score rows are split by weighting cell, 76,000 of 78,000 rows at 1M.
    SELECT *, sum(n) FILTER (WHERE kind = 'cell') OVER (PARTITION BY site_id, wave_id)
               AS site_wave_n
    FROM grouped
    WHERE kind IN ('cell', 'alpha', 'alpha_item')
),
counted AS (
    SELECT kind, site_id, wave_id, key, cell, NULL::text AS language, g1 AS v1, g2 AS a1,
           NULL::float8 AS v2, NULL::float8 AS v3, n
    FROM grouped
    WHERE kind IN ('cell', 'item', 'score')
    UNION ALL
    SELECT kind, site_id, wave_id, key, NULL, language, sum(s1), g2, sum(s2), sum(s3),
           sum(n)::bigint
    FROM sized
    WHERE kind IN ('alpha', 'alpha_item') AND site_wave_n >= $5
    GROUP BY kind, site_id, wave_id, key, language, g2
    HAVING sum(n) <> 0
)
SELECT kind, site_id, wave_id, key, language, array_agg(cell) AS cells, array_agg(v1) AS v1,
       array_agg(a1) AS a1, array_agg(v2) AS v2, array_agg(v3) AS v3, array_agg(n) AS n
FROM counted
GROUP BY kind, site_id, wave_id, key, language;

-- name: report-cache-fieldwork
-- The rows report-fieldwork-responses returns, complete responses from the two waves'
-- caches ($1 program, $2 waves, $3 signature) and partial ones counted now: those are
-- not cached, and they are few next to the complete ones (the index on status finds
-- them). Read after the refresh, under its locks, like the rest of the cache.
SELECT wave_id, site_id, channel, language, 'complete' AS status, invited,
       duplicate AS duplicate_suspect, sum(n)::bigint AS n
FROM report_cache_fieldwork
WHERE program_id = $1 AND signature = $3 AND wave_id = ANY($2::bigint[])
GROUP BY wave_id, site_id, channel, language, invited, duplicate
HAVING sum(n) <> 0
UNION ALL
SELECT wave_id, site_id, channel, language, status, invitation_id IS NOT NULL,
       duplicate_suspect, count(*)
FROM responses
WHERE program_id = $1 AND wave_id = ANY($2::bigint[]) AND status = 'partial'
GROUP BY wave_id, site_id, channel, language, status, invitation_id IS NOT NULL,
         duplicate_suspect;


-- name: report-cache-pairs-get
-- The panel pairs kept for this report, or no row: $1 program, $2 waves (pre, post),
-- $3 leave out suspected duplicates, $4 signature. Parallel arrays, one element per
-- site × construct × difference (post − pre score), with the number of pairs.
-- `current`: no panel rows were appended to either wave since they were worked out.
SELECT p.site_ids, p.construct_ids, p.diffs, p.counts,
       (p.pre_batch, p.post_batch) = (
           SELECT max(panel_batch) FILTER (WHERE wave_id = p.pre_wave_id),
                  max(panel_batch) FILTER (WHERE wave_id = p.post_wave_id)
           FROM report_cache_state
           WHERE program_id = $1 AND signature = $4 AND wave_id = ANY($2::bigint[])
       ) IS TRUE AS current
FROM report_cache_pairs p
WHERE p.program_id = $1 AND p.pre_wave_id = ($2::bigint[])[1]
  AND p.post_wave_id = ($2::bigint[])[2] AND p.signature = $4 AND p.exclude_duplicates = $3;

-- name: report-cache-pairs-refresh
-- Bring the kept pairs up to date with the panel rows appended since, or work them out
-- from nothing when none are kept, and keep them (parameters and result as
-- report-cache-pairs-get). 0012_report_cache_pairs_delta explains the method: each
-- member with a row newer than the kept table takes away the pairs of their rows as
-- the table saw them (sign −1) and adds those of their rows now (+1); with nothing kept
-- every member is new and nothing is taken away. DISTINCT ON and a window rather than
-- joins, for the reason report-cache-read gives.
WITH kept AS (
    SELECT coalesce(p.pre_batch, -1) AS pre_upto, coalesce(p.post_batch, -1) AS post_upto,
           coalesce(p.site_ids, '{}') AS site_ids,
           coalesce(p.construct_ids, '{}') AS construct_ids,
           coalesce(p.diffs, '{}') AS diffs, coalesce(p.counts, '{}') AS counts
    FROM (SELECT) AS one
    LEFT JOIN report_cache_pairs p
        ON p.program_id = $1 AND p.pre_wave_id = ($2::bigint[])[1]
       AND p.post_wave_id = ($2::bigint[])[2] AND p.signature = $4
       AND p.exclude_duplicates = $3
),
touched AS MATERIALIZED (
    -- Kept: the members with a row newer than the table, as arrays; their rows are then
    -- found by `= ANY`, in one index scan. The program and signature are compared as
    -- `(SELECT $n)`, values the planner cannot see: panel rows are written in bulk, and
    -- statistics taken before a program's or a signature's rows arrived say it has
    -- none. On such guesses the planner had expected one touched member of one row and
    -- looped over all the signature's rows for each of 1,213 members: 154 s, at a
    -- million responses in the report benchmark. Hidden, the guess is the average
    -- share; the same refresh takes 0.05 s whether the statistics are current or not
    -- (0.2 s before, with current statistics).
    SELECT array_agg(DISTINCT c.panel_member_id) AS members
    FROM kept k
    JOIN report_cache_panel c
        ON c.program_id = (SELECT $1::bigint) AND c.signature = (SELECT $4::text)
       AND c.wave_id = ($2::bigint[])[1] AND c.batch > k.pre_upto
    WHERE k.pre_upto >= 0
    UNION ALL
    SELECT array_agg(DISTINCT c.panel_member_id)
    FROM kept k
    JOIN report_cache_panel c
        ON c.program_id = (SELECT $1::bigint) AND c.signature = (SELECT $4::text)
       AND c.wave_id = ($2::bigint[])[2] AND c.batch > k.post_upto
    WHERE k.pre_upto >= 0
    UNION ALL
    -- And those with a row taken back since (0015_report_cache_changes).
    SELECT array_agg(DISTINCT c.panel_member_id)
    FROM kept k
    JOIN report_cache_panel c
        ON c.program_id = (SELECT $1::bigint) AND c.signature = (SELECT $4::text)
       AND c.wave_id = ANY($2::bigint[]) AND c.retracted IS NOT NULL
       AND c.retracted > CASE WHEN c.wave_id = ($2::bigint[])[1] THEN k.pre_upto
                              ELSE k.post_upto END
    WHERE k.pre_upto >= 0
),
versions AS (
    -- Nothing kept: every row, as it is (+1): not taken back. No join here: a join
    -- planned on the young table's guesses can loop over a quarter of a million members
    -- for each of them.
    SELECT 1 AS sign, c.site_id, c.wave_id, c.panel_member_id, c.submitted_at,
           c.response_id, c.constructs, c.totals, c.answered
    FROM kept k
    JOIN report_cache_panel c
        ON c.program_id = $1 AND c.signature = $4 AND c.wave_id = ANY($2::bigint[])
    WHERE k.pre_upto < 0 AND NOT ($3 AND c.duplicate) AND c.retracted IS NULL
    UNION ALL
    -- Kept: the touched members' rows as the table saw them (−1: appended by then and
    -- not yet taken back) and as they are (+1: not taken back).
    SELECT v.sign, c.site_id, c.wave_id, c.panel_member_id, c.submitted_at, c.response_id,
           c.constructs, c.totals, c.answered
    FROM report_cache_panel c
    CROSS JOIN kept k
    CROSS JOIN (VALUES (1), (-1)) AS v(sign)
    WHERE c.program_id = (SELECT $1::bigint) AND c.signature = (SELECT $4::text)
      AND c.panel_member_id = ANY(
          ARRAY(SELECT DISTINCT unnest(members) FROM touched WHERE members IS NOT NULL))
      AND c.wave_id = ANY($2::bigint[]) AND NOT ($3 AND c.duplicate)
      AND CASE WHEN v.sign = 1 THEN c.retracted IS NULL
               ELSE c.batch <= CASE WHEN c.wave_id = ($2::bigint[])[1]
                                    THEN k.pre_upto ELSE k.post_upto END
                    AND (c.retracted IS NULL
                         OR c.retracted > CASE WHEN c.wave_id = ($2::bigint[])[1]
                                               THEN k.pre_upto ELSE k.post_upto END) END
),
latest AS (
    -- Each member's latest response in each wave, whether or not it has valid scores.
    SELECT DISTINCT ON (sign, panel_member_id, wave_id)
           sign, site_id, wave_id, panel_member_id, constructs, totals, answered
    FROM versions
    ORDER BY sign, panel_member_id, wave_id, submitted_at DESC, response_id DESC
),
linked AS (
    -- Next to each member's latest post response, the latest pre one (a member has at
    -- most one row per wave here, and pre sorts first). A window, not a join of
    -- `latest` with itself: joins are planned on the young tables' guesses, and a
    -- nested loop over a quarter of a million members never ends.
    SELECT sign, site_id, wave_id, constructs, totals, answered,
           lag(site_id) OVER w AS pre_site, lag(wave_id) OVER w AS pre_wave,
           lag(constructs) OVER w AS pre_constructs, lag(totals) OVER w AS pre_totals,
           lag(answered) OVER w AS pre_answered
    FROM latest
    WINDOW w AS (PARTITION BY sign, panel_member_id ORDER BY wave_id = ($2::bigint[])[2])
),
pairs AS (
    -- Pairs at the same site only, scale by scale.
    SELECT k.sign, k.site_id, x.construct_id,
           y.total / y.answered - x.total / x.answered AS diff
    FROM linked k
    CROSS JOIN LATERAL unnest(k.pre_constructs, k.pre_totals, k.pre_answered)
        AS x(construct_id, total, answered)
    JOIN LATERAL unnest(k.constructs, k.totals, k.answered)
        AS y(construct_id, total, answered) ON y.construct_id = x.construct_id
    WHERE k.wave_id = ($2::bigint[])[2] AND k.pre_wave = ($2::bigint[])[1]
      AND k.pre_site = k.site_id
),
counted AS (
    SELECT site_id, construct_id, diff, sum(n)::bigint AS n
    FROM (
        SELECT site_id, construct_id, diff, sign AS n FROM pairs
        UNION ALL
        SELECT u.site_id, u.construct_id, u.diff, u.n
        FROM kept k
        CROSS JOIN LATERAL unnest(k.site_ids, k.construct_ids, k.diffs, k.counts)
            AS u(site_id, construct_id, diff, n)
    ) AS summed
    GROUP BY site_id, construct_id, diff
    HAVING sum(n) <> 0
),
marks AS (
    SELECT coalesce(max(panel_batch) FILTER (WHERE wave_id = ($2::bigint[])[1]), 0) AS pre,
           coalesce(max(panel_batch) FILTER (WHERE wave_id = ($2::bigint[])[2]), 0) AS post
    FROM report_cache_state
    WHERE program_id = $1 AND signature = $4 AND wave_id = ANY($2::bigint[])
)
INSERT INTO report_cache_pairs AS p (program_id, pre_wave_id, post_wave_id, signature,
                                     exclude_duplicates, site_ids, construct_ids, diffs,
                                     counts, pre_batch, post_batch)
SELECT $1, ($2::bigint[])[1], ($2::bigint[])[2], $4, $3,
       coalesce(array_agg(site_id ORDER BY site_id, construct_id, diff), '{}'),
       coalesce(array_agg(construct_id ORDER BY site_id, construct_id, diff), '{}'),
       coalesce(array_agg(diff ORDER BY site_id, construct_id, diff), '{}'),
       coalesce(array_agg(n ORDER BY site_id, construct_id, diff), '{}'),
       (SELECT pre FROM marks), (SELECT post FROM marks)
FROM counted
ON CONFLICT (program_id, pre_wave_id, post_wave_id, signature, exclude_duplicates)
DO UPDATE SET site_ids = excluded.site_ids, construct_ids = excluded.construct_ids,
              diffs = excluded.diffs, counts = excluded.counts,
              pre_batch = excluded.pre_batch, post_batch = excluded.post_batch,
              updated_at = now()
RETURNING site_ids, construct_ids, diffs, counts;

-- name: caches-stale
-- Report caches built before a change to their wave, and export cells built before an
-- edit of its answers (0013_cache_epoch, 0014_cells_epoch), with the wave's epoch now:
-- what `survey warm` builds again.
SELECT DISTINCT 'report' AS kind, c.program_id, c.wave_id, w.cache_epoch AS epoch
FROM report_cache_state c
JOIN waves w ON w.program_id = c.program_id AND w.id = c.wave_id
WHERE c.epoch <> w.cache_epoch
UNION ALL
SELECT 'export', s.program_id, s.wave_id, w.cells_epoch
FROM export_cells_state s
JOIN waves w ON w.program_id = s.program_id AND w.id = s.wave_id
WHERE s.epoch <> w.cells_epoch
ORDER BY program_id, wave_id, kind DESC;

-- name: caches-missing
-- Programs with a wave that has complete responses and no report cache at all: `survey
-- warm` builds it while the wave is young, then keeps it up to date (caches-behind), so
-- no report pays for a build from nothing at a million responses. Not on Citus, where
-- reports scan instead (report-cache-usable).
SELECT DISTINCT w.program_id
FROM waves w
WHERE NOT survey_is_distributed()
  AND NOT EXISTS (SELECT FROM report_cache_state c
                  WHERE c.program_id = w.program_id AND c.wave_id = w.id)
  AND EXISTS (SELECT FROM responses r
              WHERE r.program_id = w.program_id AND r.wave_id = w.id
                AND r.status = 'complete')
ORDER BY 1;

-- name: caches-behind
-- Programs with a report cache that is of its wave's epoch but behind it: complete
-- responses or changes (0015) its snapshot cannot see, or appended batches not yet
-- folded into one. `survey warm` brings their default report's caches up to date and
-- folds them, so the report that follows has nothing to add and one batch to read.
-- The responses are found as report-cache-delta finds them, and counted for the
-- reason it gives (index responses_completed_xid; 0.2 s at 1M with EXISTS).
SELECT DISTINCT c.program_id
FROM report_cache_state c
JOIN waves w ON w.program_id = c.program_id AND w.id = c.wave_id
WHERE c.epoch = w.cache_epoch
  AND (c.batches > 1
       OR (SELECT count(*) FROM responses r
           WHERE r.program_id = c.program_id AND r.wave_id = c.wave_id
             AND r.status = 'complete' AND r.completed_xid >= pg_snapshot_xmin(c.snap)
             AND NOT pg_visible_in_snapshot(r.completed_xid, c.snap)) > 0
       OR (SELECT count(*) FROM report_cache_changes x
           WHERE x.program_id = c.program_id AND x.wave_id = c.wave_id
             AND x.xid >= pg_snapshot_xmin(c.snap)
             AND NOT pg_visible_in_snapshot(x.xid, c.snap)) > 0)
ORDER BY 1;

-- name: caches-warm-lock
-- One warmer at a time; held for a pass, by the session.
SELECT pg_try_advisory_lock(hashtextextended('survey-warm', 0));

-- name: caches-warm-unlock
SELECT pg_advisory_unlock(hashtextextended('survey-warm', 0));

-- name: report-cache-cold-size
-- Complete responses of the waves $2, counted up to $3: whether a report whose caches
-- of these waves are missing should build them in the background (survey.report.preparing)
-- rather than in the request. Bounded, so a million costs what $3 does.
SELECT count(*) FROM (
    SELECT FROM responses
    WHERE program_id = $1 AND wave_id = ANY($2::bigint[]) AND status = 'complete'
    LIMIT $3
) r;

-- name: report-cache-building
-- Whether another session holds the refresh lock (report-cache-lock) of one of the
-- waves $2 of program $1: a build under way elsewhere (the warmer, another worker, the
-- command line), which a report prepared in the background would only wait for. An
-- advisory lock on one bigint is listed with its high half as classid, its low half
-- as objid and objsubid 1.
SELECT EXISTS (
    SELECT FROM pg_locks l, unnest($2::bigint[]) AS w(id)
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.pid <> pg_backend_pid()
      AND ((l.classid::bigint << 32) | l.objid::bigint)
          = hashtextextended('report-cache:' || $1::bigint || ':' || w.id, 0)
);
