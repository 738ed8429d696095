-- Weighting margins (population totals per site × variable × category).

-- name: report-margins-list
SELECT m.site_id, s.name AS site_name, m.variable, m.category, m.population, m.source,
       m.uploaded_at
FROM weight_margins m JOIN sites s ON s.program_id = m.program_id AND s.id = m.site_id
WHERE m.program_id = $1
ORDER BY s.name, m.site_id, m.variable, m.category;

-- name: report-margins-clear
DELETE FROM weight_margins WHERE program_id = $1;

-- name: report-margins-insert
INSERT INTO weight_margins (program_id, site_id, variable, category, population, source)
SELECT $1, site_id, variable, category, population, source
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::float8[], $6::text[])
    AS m(site_id, variable, category, population, source);

-- name: report-site-names
SELECT id, lower(name) AS key FROM sites WHERE program_id = $1;

-- name: report-program-questionnaires
-- The questionnaires this program's waves use: margin variables must be their items.
SELECT DISTINCT questionnaire_id FROM waves WHERE program_id = $1;
