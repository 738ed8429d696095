-- name: user-insert
INSERT INTO users (email, name, role, password_hash, locale)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: user-get
SELECT u.*, coalesce(array_agg(m.program_id) FILTER (WHERE m.program_id IS NOT NULL), '{}') AS program_ids
FROM users u LEFT JOIN program_members m ON m.user_id = u.id
WHERE u.id = $1
GROUP BY u.id;

-- name: user-by-email
SELECT * FROM users WHERE lower(email) = lower($1);

-- name: user-list
SELECT u.*, coalesce(array_agg(m.program_id ORDER BY m.program_id) FILTER (WHERE m.program_id IS NOT NULL), '{}') AS program_ids
FROM users u LEFT JOIN program_members m ON m.user_id = u.id
GROUP BY u.id ORDER BY u.email;

-- name: user-set-programs-clear
DELETE FROM program_members WHERE user_id = $1;

-- name: user-set-programs-add
INSERT INTO program_members (program_id, user_id)
SELECT unnest($2::bigint[]), $1
ON CONFLICT DO NOTHING;

-- name: user-set-password
UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING id;

-- name: user-set-disabled
-- Keeps the first disabled_at when asked again, so the record says when it began.
UPDATE users
SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
WHERE id = $1
RETURNING id;

-- name: principal-by-key
-- The one query every API request runs: key hash to user, role and programs.
WITH k AS (
    UPDATE api_keys SET last_used_at = now()
    WHERE key_hash = $1 AND revoked_at IS NULL
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
    RETURNING user_id
), hit AS (
    SELECT user_id FROM k
    UNION
    SELECT user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
)
SELECT u.id, u.email, u.name, u.role, u.locale,
       coalesce(array_agg(m.program_id) FILTER (WHERE m.program_id IS NOT NULL), '{}') AS program_ids
FROM hit JOIN users u ON u.id = hit.user_id
LEFT JOIN program_members m ON m.user_id = u.id
WHERE u.disabled_at IS NULL
GROUP BY u.id;

-- name: principal-by-session
SELECT u.id, u.email, u.name, u.role, u.locale,
       coalesce(array_agg(m.program_id) FILTER (WHERE m.program_id IS NOT NULL), '{}') AS program_ids
FROM sessions s JOIN users u ON u.id = s.user_id
LEFT JOIN program_members m ON m.user_id = u.id
WHERE s.id_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL
GROUP BY u.id;

-- name: session-insert
INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3));

-- name: session-delete
DELETE FROM sessions WHERE id_hash = $1;

-- name: session-purge-expired
DELETE FROM sessions WHERE expires_at < now();

-- name: user-lock-for-key
-- The user a new key is for, held FOR SHARE to the end of the transaction: a role
-- change or a disable (which update this row) waits for the key to be committed, and
-- then revokes it; or the key waits for them and sees the new role.
SELECT role, disabled_at FROM users WHERE id = $1 FOR SHARE;

-- name: key-insert
INSERT INTO api_keys (user_id, name, prefix, key_hash)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: key-list
SELECT * FROM api_keys WHERE user_id = $1 ORDER BY created_at;

-- name: key-get
SELECT * FROM api_keys WHERE id = $1;

-- name: key-revoke
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *;

-- name: key-revoke-all
UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id;

-- name: session-delete-user
DELETE FROM sessions WHERE user_id = $1;

-- name: session-delete-user-except
-- Every session of a user but the one that asked (a password changed by its owner).
DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2;

-- name: user-set-role
-- Returns the role before the change (NULL: no such user).
UPDATE users u SET role = $2
FROM (SELECT id, role FROM users WHERE id = $1 FOR UPDATE) AS before
WHERE u.id = before.id
RETURNING before.role AS previous;

-- name: admins-lock
-- Serialises every change that could take away an enabled administrator (a role
-- change, a disable), so two administrators demoting each other at once cannot both
-- see the other still there: the second waits, then reads the first one's commit.
SELECT pg_advisory_xact_lock(hashtextextended('survey-enabled-admins', 0));

-- name: admins-enabled-other
-- How many enabled administrators there are besides user $1.
SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1;
