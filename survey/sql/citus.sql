-- Scale-out on Citus (migration 0006 defines the functions).

-- name: citus-plan
SELECT step, table_name, kind, distribution_column
FROM survey_distribution_plan() ORDER BY step;

-- name: citus-installed
SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus');

-- name: citus-distribute
-- Idempotent: one line per action taken, none when nothing is pending.
SELECT action FROM survey_distribute() AS action;
