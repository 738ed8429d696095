-- Respondent web survey: personal and open links, responses and their answers.
-- Every statement names program_id first, so each runs inside one program's shard.

-- name: response-invitation-entry
-- A personal link: the invitation, its wave and site, and the response if any;
-- with $3, also the response's answers (a page shows them: one round trip, not two).
SELECT i.program_id, i.id AS invitation_id, i.wave_id, i.site_id, i.panel_member_id,
       w.state, w.opens_at, w.closes_at, w.closed_at, w.languages, w.default_language,
       w.allow_unreviewed, w.questionnaire_hash, s.name AS site_name, s.timezone,
       p.name AS program_name,
       r.id AS response_id, r.status AS response_status, r.language AS response_language,
       c.preferred_language AS contact_language,
       CASE WHEN $3::boolean AND r.id IS NOT NULL THEN coalesce((
           SELECT json_agg(json_build_array(a.item_id, a.value_num, a.value_text,
                                            a.value_codes, a.missing))
           FROM answers a WHERE a.program_id = r.program_id AND a.response_id = r.id
       ), '[]') END AS answers
FROM (
    -- The invitation's first token, or one sent later (0020_invitation_tokens).
    SELECT x.* FROM invitations x WHERE x.program_id = $1 AND x.token_hash = $2
    UNION ALL
    SELECT x.* FROM invitation_tokens k
    JOIN invitations x ON x.program_id = k.program_id AND x.id = k.invitation_id
    WHERE k.program_id = $1 AND k.token_hash = $2
    LIMIT 1
) i
JOIN waves w ON w.program_id = i.program_id AND w.id = i.wave_id
JOIN sites s ON s.program_id = i.program_id AND s.id = i.site_id
JOIN programs p ON p.id = i.program_id
LEFT JOIN responses r ON r.program_id = i.program_id AND r.invitation_id = i.id
LEFT JOIN contacts c ON c.program_id = i.program_id AND c.id = i.contact_id;

-- name: response-invitation-entries
-- Many personal links at once (the one-page form's lookups, batched): $1 and $2 are
-- the links' programs and token hashes; one row per link found, with its place (from 1).
-- A function (0009_submit_path.sql) so that it is planned once per connection, not
-- on every call: planning cost ten times what running does.
SELECT * FROM survey_invitation_entries($1::bigint[], $2::bytea[]);

-- name: response-open-link-entry
-- An open link, and the response its resume key points to (if it is this link's);
-- with $4, also the response's answers. `response_idle`: seconds since its last post.
SELECT o.program_id, o.wave_id, o.site_id,
       w.state, w.opens_at, w.closes_at, w.closed_at, w.languages, w.default_language,
       w.allow_unreviewed, w.questionnaire_hash, s.name AS site_name, s.timezone,
       p.name AS program_name,
       r.id AS response_id, r.status AS response_status, r.language AS response_language,
       extract(epoch FROM now() - r.updated_at)::float8 AS response_idle,
       CASE WHEN $4::boolean AND r.id IS NOT NULL THEN coalesce((
           SELECT json_agg(json_build_array(a.item_id, a.value_num, a.value_text,
                                            a.value_codes, a.missing))
           FROM answers a WHERE a.program_id = r.program_id AND a.response_id = r.id
       ), '[]') END AS answers
FROM open_links o
JOIN waves w ON w.program_id = o.program_id AND w.id = o.wave_id
JOIN sites s ON s.program_id = o.program_id AND s.id = o.site_id
JOIN programs p ON p.id = o.program_id
LEFT JOIN responses r ON r.program_id = o.program_id AND r.resume_key_hash = $3
                     AND r.wave_id = o.wave_id AND r.site_id = o.site_id
WHERE o.program_id = $1 AND o.code = $2;

-- name: response-start-personal
-- At most one response per invitation: the unique key decides a race.
INSERT INTO responses (program_id, wave_id, site_id, invitation_id, panel_member_id,
                       language, channel, questionnaire_hash)
VALUES ($1, $2, $3, $4, $5, $6, 'web', $7)
ON CONFLICT (program_id, invitation_id) DO NOTHING
RETURNING id, status, language;

-- name: response-by-invitation
SELECT id, status, language FROM responses WHERE program_id = $1 AND invitation_id = $2;

-- name: response-start-open
INSERT INTO responses (program_id, wave_id, site_id, language, channel, questionnaire_hash,
                       resume_key_hash)
VALUES ($1, $2, $3, $4, 'web', $5, $6)
RETURNING id, status, language;

-- name: response-lock
-- Serialises concurrent posts of one response (double clicks, retries).
SELECT id, status, language, questionnaire_hash FROM responses
WHERE program_id = $1 AND id = $2
FOR UPDATE;

-- name: response-lock-touch
-- A post to a response still open: takes the row lock (as response-lock does) and
-- records the language and time of the post, in one round trip. No row: the
-- response is complete (or gone), and response-lock tells which.
UPDATE responses SET language = $3, updated_at = now()
WHERE program_id = $1 AND id = $2 AND status = 'partial'
RETURNING status;

-- name: response-answers
SELECT item_id, value_num, value_text, value_codes, missing FROM answers
WHERE program_id = $1 AND response_id = $2;

-- name: response-answer-upsert
-- Never once another transaction has completed the response: its answers are counted
-- in the report cache by then (0005_report_cache.sql).
INSERT INTO answers (program_id, response_id, item_id, value_num, value_text, value_codes,
                     missing)
SELECT $1::bigint, $2::bigint, $3::text, $4::float8, $5::text, $6::text[], $7::text
WHERE EXISTS (
    SELECT FROM responses r
    WHERE r.program_id = $1 AND r.id = $2
      AND (r.status = 'partial' OR r.completed_xid = pg_current_xact_id())
)
ON CONFLICT (program_id, response_id, item_id) DO UPDATE SET
    value_num = excluded.value_num,
    value_text = excluded.value_text,
    value_codes = excluded.value_codes,
    missing = excluded.missing,
    answered_at = now();

-- name: response-answers-keep-only
-- Drops answers to items that skip logic now hides.
DELETE FROM answers
WHERE program_id = $1 AND response_id = $2 AND NOT (item_id = ANY($3::text[]))
  AND EXISTS (
      SELECT FROM responses r
      WHERE r.program_id = $1 AND r.id = $2
        AND (r.status = 'partial' OR r.completed_xid = pg_current_xact_id())
  );

-- name: response-touch
UPDATE responses SET language = $3, updated_at = now() WHERE program_id = $1 AND id = $2;

-- name: response-complete
-- The only way to complete: conditional, so a retry finds nothing left to do.
UPDATE responses SET status = 'complete', submitted_at = now(), updated_at = now(),
                     language = $3
WHERE program_id = $1 AND id = $2 AND status = 'partial'
RETURNING id, invitation_id;

-- name: response-invitation-completed
UPDATE invitations SET completed_at = coalesce(completed_at, now())
WHERE program_id = $1 AND id = $2;

-- name: response-open-clients-prune
DELETE FROM open_link_clients
WHERE program_id = $1 AND wave_id = $2 AND last_seen_at < now() - $3::interval;

-- name: response-open-client-complete
INSERT INTO open_link_clients (program_id, wave_id, fingerprint, completes)
VALUES ($1, $2, $3, 1)
ON CONFLICT (program_id, wave_id, fingerprint) DO UPDATE SET
    completes = open_link_clients.completes + 1,
    last_seen_at = now()
RETURNING completes;

-- name: response-flag-duplicate
UPDATE responses SET duplicate_suspect = true WHERE program_id = $1 AND id = $2;

-- name: response-submit-batch-warm
-- An empty batch, run on each pooled connection at start (db.warm): it compiles the
-- function in that session, so the first real batch does not.
SELECT pos, id FROM survey_submit_batch('{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
                                        '{}', '{}', '{}', '{}', '{}');

-- name: response-submit-batch
-- Group commit (survey.services.submit_batch): fresh personal-link responses, each
-- complete with all its answers, many in one statement and one commit. $1..$8 hold
-- one element per response ($1 its place in the batch); $9..$14 one per answer, $9
-- naming its response's place, $13 a multiple choice's codes joined by U+001F (an
-- array of arrays must be rectangular; codes are identifiers, never that control
-- character). A response whose invitation got one meanwhile (another tab, the
-- page-by-page way) is left out by the unique key and comes back with a NULL id: the
-- caller looks again. Each array comes as its text (survey.db.array_literal):
-- cheaper for the worker. survey_submit_batch (0009_submit_path.sql) writes the
-- responses, answers and invitations in one statement, as response-answer-upsert
-- allows, then renders the batch's export cells in one more.
SELECT pos, id
FROM survey_submit_batch($1::text::int[], $2::text::bigint[], $3::text::bigint[],
                         $4::text::bigint[], $5::text::bigint[], $6::text::bigint[],
                         $7::text::text[], $8::text::text[], $9::text::int[],
                         $10::text::text[], $11::text::float8[], $12::text::text[],
                         $13::text::text[], $14::text::text[])
ORDER BY pos;
