-- name: program-insert
INSERT INTO programs (slug, name, contact_email, contact_phone, default_language, quiet_start, quiet_end)
VALUES ($1, $2, $3, $4, $5, $6::text::time, $7::text::time)
RETURNING *;

-- name: program-get
SELECT * FROM programs WHERE id = $1;

-- name: program-list-all
SELECT * FROM programs ORDER BY name;

-- name: program-list-for
SELECT * FROM programs WHERE id = ANY($1::bigint[]) ORDER BY name;

-- name: program-update
UPDATE programs SET
    name = coalesce($2, name),
    contact_email = coalesce($3, contact_email),
    contact_phone = coalesce($4, contact_phone),
    default_language = coalesce($5, default_language),
    quiet_start = coalesce($6::text::time, quiet_start),
    quiet_end = coalesce($7::text::time, quiet_end)
WHERE id = $1
RETURNING *;

-- name: program-has-responses
SELECT EXISTS (SELECT 1 FROM responses WHERE program_id = $1);

-- name: program-delete
DELETE FROM programs WHERE id = $1;

-- name: site-insert
INSERT INTO sites (program_id, name, kind, timezone, comparison)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: site-list
SELECT * FROM sites WHERE program_id = $1 ORDER BY name;

-- name: site-get
SELECT * FROM sites WHERE program_id = $1 AND id = $2;

-- name: site-update
UPDATE sites SET
    name = coalesce($3, name),
    kind = coalesce($4, kind),
    timezone = coalesce($5, timezone),
    comparison = coalesce($6, comparison)
WHERE program_id = $1 AND id = $2
RETURNING *;

-- name: site-in-use
SELECT EXISTS (SELECT 1 FROM wave_sites WHERE program_id = $1 AND site_id = $2);

-- name: site-delete
DELETE FROM sites WHERE program_id = $1 AND id = $2;

-- name: audit-insert
INSERT INTO audit_log (program_id, user_id, action, target, detail)
VALUES ($1, $2, $3, $4, $5);

-- name: audit-list
SELECT id, program_id, user_id, action, target, detail, at
FROM audit_log WHERE program_id = $1 ORDER BY at DESC, id DESC LIMIT $2;

-- name: audit-list-global
-- Entries no program owns: accounts, keys, sign-ins and translation sign-offs.
SELECT id, program_id, user_id, action, target, detail, at
FROM audit_log WHERE program_id IS NULL ORDER BY at DESC, id DESC LIMIT $1;

-- name: program-by-slug
SELECT * FROM programs WHERE slug = $1;

-- name: program-purge
-- Everything a program owns, children first. Used by `survey demo --reset` only.
-- Answers go with their responses (ON DELETE CASCADE); the rest cascades from programs
-- (program-delete). Wave sites and contacts refer to sites without a cascade, so they
-- go first: whether the cascade from programs reaches them before the one that deletes
-- the sites checks them is up to the order PostgreSQL fires its triggers in.
WITH gone_responses AS (
    DELETE FROM responses WHERE program_id = $1
),
gone_wave_sites AS (
    DELETE FROM wave_sites WHERE program_id = $1
)
DELETE FROM contacts WHERE program_id = $1;
