-- name: invitation-reserve-ids
SELECT nextval(pg_get_serial_sequence('invitations', 'id')) AS id FROM generate_series(1, $1);

-- name: invitation-contacts-to-invite
-- Contacts of a site without an invitation to this wave yet. `opted_out` is the rule
-- sending follows (contact-list, sms-wave-contacts): those are counted, never invited,
-- whether they opted out before or after they were uploaded.
SELECT c.id, c.panel_member_id,
       (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
        OR EXISTS (SELECT 1 FROM sms_opt_outs o
                   WHERE o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL)) AS opted_out
FROM contacts c
WHERE c.program_id = $1 AND c.site_id = $3
  AND NOT EXISTS (SELECT 1 FROM invitations i
                  WHERE i.program_id = $1 AND i.wave_id = $2 AND i.contact_id = c.id)
ORDER BY c.id;

-- name: contacts-without-site
-- Contacts no site's invitations or texts can reach (a list uploaded without sites).
SELECT count(*) FROM contacts WHERE program_id = $1 AND site_id IS NULL;

-- name: invitation-summary
SELECT site_id, channel, count(*) AS issued, count(sent_at) AS sent, count(completed_at) AS completed
FROM invitations WHERE program_id = $1 AND wave_id = $2
GROUP BY site_id, channel ORDER BY site_id, channel;

-- name: wave-site-get
SELECT ws.*, w.state, w.channels FROM wave_sites ws
JOIN waves w ON w.program_id = ws.program_id AND w.id = ws.wave_id
WHERE ws.program_id = $1 AND ws.wave_id = $2 AND ws.site_id = $3;

-- name: open-link-get
SELECT * FROM open_links WHERE program_id = $1 AND wave_id = $2 AND site_id = $3;

-- name: open-links-of-wave
SELECT site_id, code FROM open_links WHERE program_id = $1 AND wave_id = $2;

-- name: open-link-insert
INSERT INTO open_links (program_id, wave_id, site_id, code) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
RETURNING *;
