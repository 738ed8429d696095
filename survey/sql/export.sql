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
