-- name: wave-insert
INSERT INTO waves (program_id, name, phase, questionnaire_id, languages, default_language,
                   channels, sms_mode, allow_unreviewed, opens_at, closes_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *;

-- name: wave-get
SELECT * FROM waves WHERE program_id = $1 AND id = $2;

-- name: wave-get-for-update
SELECT * FROM waves WHERE program_id = $1 AND id = $2 FOR UPDATE;

-- name: wave-list
SELECT * FROM waves WHERE program_id = $1 ORDER BY created_at, id;

-- name: wave-update
UPDATE waves SET
    name = coalesce($3, name),
    questionnaire_id = coalesce($4, questionnaire_id),
    languages = coalesce($5, languages),
    default_language = coalesce($6, default_language),
    channels = coalesce($7, channels),
    sms_mode = coalesce($8, sms_mode),
    allow_unreviewed = coalesce($9, allow_unreviewed),
    opens_at = CASE WHEN $12 THEN $10 ELSE opens_at END,
    closes_at = CASE WHEN $13 THEN $11 ELSE closes_at END
WHERE program_id = $1 AND id = $2
RETURNING *;

-- name: wave-sites
SELECT site_id, target_n FROM wave_sites WHERE program_id = $1 AND wave_id = $2 ORDER BY site_id;

-- name: wave-sites-many
SELECT wave_id, site_id, target_n FROM wave_sites
WHERE program_id = $1 AND wave_id = ANY($2::bigint[]) ORDER BY wave_id, site_id;

-- name: wave-site-upsert
INSERT INTO wave_sites (program_id, wave_id, site_id, target_n) VALUES ($1, $2, $3, $4)
ON CONFLICT (program_id, wave_id, site_id) DO UPDATE SET target_n = excluded.target_n;

-- name: wave-site-remove-others
DELETE FROM wave_sites
WHERE program_id = $1 AND wave_id = $2 AND NOT (site_id = ANY($3::bigint[]));

-- name: wave-has-responses
SELECT EXISTS (SELECT 1 FROM responses WHERE program_id = $1 AND wave_id = $2);

-- name: wave-set-open
UPDATE waves SET state = 'open', questionnaire_hash = $3, launched_at = now(),
                 allow_unreviewed = allow_unreviewed OR $4
WHERE program_id = $1 AND id = $2
RETURNING *;

-- name: wave-refreeze
UPDATE waves SET questionnaire_hash = $3 WHERE program_id = $1 AND id = $2 RETURNING *;

-- name: wave-set-closed
UPDATE waves SET state = 'closed', closed_at = now()
WHERE program_id = $1 AND id = $2
RETURNING *;

-- name: questionnaire-version-upsert
INSERT INTO questionnaire_versions (content_hash, questionnaire_id, version, definition)
VALUES ($1, $2, $3, $4)
ON CONFLICT (content_hash) DO NOTHING;

-- name: questionnaire-version-get
SELECT * FROM questionnaire_versions WHERE content_hash = $1;

-- name: wave-override-audit
SELECT detail FROM audit_log
WHERE program_id = $1 AND action = 'wave.launch_override' AND target = $2::text
ORDER BY at;

-- name: wave-sites-foreign
-- Site ids of a wave's list that are not sites of its program.
SELECT wanted.id FROM unnest($2::bigint[]) AS wanted (id)
WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.program_id = $1 AND s.id = wanted.id)
ORDER BY wanted.id;

-- name: wave-sites-linked-dropped
-- Sites a new list leaves out that have an open link or invitations in the wave:
-- dropping the site would delete them (ON DELETE CASCADE), and QR codes, flyers and
-- letters already handed out would stop working.
SELECT s.id, s.name FROM wave_sites ws
JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
WHERE ws.program_id = $1 AND ws.wave_id = $2 AND NOT (ws.site_id = ANY($3::bigint[]))
  AND (EXISTS (SELECT 1 FROM open_links o
               WHERE o.program_id = ws.program_id AND o.wave_id = ws.wave_id
                 AND o.site_id = ws.site_id)
       OR EXISTS (SELECT 1 FROM invitations i
                  WHERE i.program_id = ws.program_id AND i.wave_id = ws.wave_id
                    AND i.site_id = ws.site_id))
  AND NOT EXISTS (SELECT 1 FROM responses r
                  WHERE r.program_id = ws.program_id AND r.wave_id = ws.wave_id
                    AND r.site_id = ws.site_id)
ORDER BY s.name, s.id;

-- name: wave-sites-answered-dropped
-- Sites a new list leaves out that already have responses in the wave.
SELECT s.id, s.name FROM wave_sites ws
JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
WHERE ws.program_id = $1 AND ws.wave_id = $2 AND NOT (ws.site_id = ANY($3::bigint[]))
  AND EXISTS (SELECT 1 FROM responses r
              WHERE r.program_id = ws.program_id AND r.wave_id = ws.wave_id
                AND r.site_id = ws.site_id)
ORDER BY s.name, s.id;
