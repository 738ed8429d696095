-- name: contact-stage-create
CREATE TEMP TABLE contact_stage (
    row_no             integer NOT NULL,
    phone_e164         text NOT NULL,
    preferred_language text,          -- NULL: the row gave none
    site_id            bigint,
    panel_code         text,
    consent_status     text NOT NULL,
    consent_source     text
) ON COMMIT DROP;

-- name: contact-stage-conflicts
-- Panel codes that already belong to a different phone number.
SELECT s.row_no, s.panel_code
FROM contact_stage s
JOIN contacts c ON c.program_id = $1 AND c.panel_code = s.panel_code AND c.phone_e164 <> s.phone_e164
ORDER BY s.row_no;

-- name: contact-merge
-- A row without a language keeps a known contact's language (as a blank site or
-- panel id keeps theirs); only a new contact gets the program's default ($2).
INSERT INTO contacts AS c (program_id, phone_e164, preferred_language, site_id, panel_code,
                           consent_status, consent_source, consent_at)
SELECT $1, s.phone_e164, coalesce(s.preferred_language, known.preferred_language, $2),
       s.site_id, s.panel_code, s.consent_status, s.consent_source,
       CASE WHEN s.consent_status <> 'unknown' THEN now() END
FROM contact_stage s
LEFT JOIN contacts known ON known.program_id = $1 AND known.phone_e164 = s.phone_e164
ON CONFLICT (program_id, phone_e164) DO UPDATE SET
    preferred_language = excluded.preferred_language,
    site_id = coalesce(excluded.site_id, c.site_id),
    panel_code = coalesce(excluded.panel_code, c.panel_code),
    consent_status = CASE WHEN excluded.consent_status = 'unknown' THEN c.consent_status
                          ELSE excluded.consent_status END,
    consent_source = CASE WHEN excluded.consent_status = 'unknown' THEN c.consent_source
                          ELSE excluded.consent_source END,
    consent_at = CASE WHEN excluded.consent_status = 'unknown' THEN c.consent_at ELSE now() END
RETURNING (xmax = 0) AS inserted, c.phone_e164, c.site_id IS NULL AS no_site;

-- name: contact-apply-opt-outs
-- A number on the service-wide opt-out list is uploaded opted out: it said STOP before
-- this program knew it, and consent reads the same as for one that opts out later.
UPDATE contacts c SET opted_out_at = coalesce(c.opted_out_at, o.opted_out_at),
                      consent_status = 'revoked', consent_source = o.source,
                      consent_at = o.opted_out_at
FROM sms_opt_outs o
WHERE c.program_id = $1 AND o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL
  AND (c.opted_out_at IS NULL OR c.consent_status <> 'revoked');

-- name: contact-needing-panel
SELECT id FROM contacts
WHERE program_id = $1 AND panel_code IS NOT NULL AND panel_member_id IS NULL;

-- name: contact-attach-panel
WITH pm AS (
    INSERT INTO panel_members (program_id, pseudonym) VALUES ($1, $3) RETURNING id
)
UPDATE contacts SET panel_member_id = (SELECT id FROM pm)
WHERE program_id = $1 AND id = $2;

-- name: contact-list
-- `opted_out` is the rule sending follows (sms-wave-contacts): the contact opted out
-- here, or the number is on the service-wide opt-out list. Only that it is on the
-- list shows, never which program it told or when.
SELECT c.id, c.phone_e164, c.preferred_language, c.site_id, c.panel_code, c.consent_status,
       (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
        OR EXISTS (SELECT 1 FROM sms_opt_outs o
                   WHERE o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL)) AS opted_out
FROM contacts c WHERE c.program_id = $1
  AND ($2::bigint IS NULL OR c.site_id = $2)
ORDER BY c.id LIMIT $3 OFFSET $4;

-- name: contact-count
SELECT count(*) FROM contacts WHERE program_id = $1;

-- name: site-ids-by-name
SELECT id, lower(name) AS key FROM sites WHERE program_id = $1;

-- name: contact-stage-drop-rows
DELETE FROM contact_stage WHERE row_no = ANY($1::int[]);
