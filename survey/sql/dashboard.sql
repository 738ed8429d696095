-- Dashboard: the live fieldwork monitor. Every statement names program_id first.

-- name: dashboard-fieldwork-cells
-- Responses per site × channel × language × status of one wave.
SELECT site_id, channel, language, status, count(*) AS n
FROM responses
WHERE program_id = $1 AND wave_id = $2
GROUP BY site_id, channel, language, status;

-- name: dashboard-fieldwork-sites
SELECT ws.site_id, s.name, ws.target_n
FROM wave_sites ws JOIN sites s ON s.program_id = ws.program_id AND s.id = ws.site_id
WHERE ws.program_id = $1 AND ws.wave_id = $2
ORDER BY s.name;

-- name: dashboard-fieldwork-invited
-- Personal invitations per site: issued, and the people we invited with their
-- completes, the response rate's base (as in report-fieldwork-invitations): each
-- invitation texted, and each link issued for print or mail (channel web: no sent
-- event unless texted). An sms invitation never sent invited nobody: the conversation
-- of a person who texted us first, or a text still queued or undelivered.
SELECT site_id, count(*) AS issued,
       count(*) FILTER (WHERE sent_at IS NOT NULL OR channel = 'web') AS invited,
       count(completed_at) FILTER (WHERE sent_at IS NOT NULL OR channel = 'web')
           AS invited_completed
FROM invitations
WHERE program_id = $1 AND wave_id = $2
GROUP BY site_id;

-- name: dashboard-fieldwork-optouts
-- Contacts of the wave's sites who are opted out, by the rule sending follows
-- (sms-wave-contacts), so the figure is the `skipped_opted_out` of an invite: opted
-- out here, or a number on the service-wide opt-out list (whichever program it told,
-- whenever). A count, never who.
SELECT c.site_id, count(*) AS n
FROM contacts c
JOIN wave_sites ws ON ws.program_id = c.program_id AND ws.wave_id = $2
                  AND ws.site_id = c.site_id
WHERE c.program_id = $1
  AND (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
       OR EXISTS (SELECT 1 FROM sms_opt_outs o
                  WHERE o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL))
GROUP BY c.site_id;

-- name: dashboard-fieldwork-daily
-- Completes per day and channel, for the response monitor chart. The day is the one
-- the resident answered on, in their site's time zone (each response its own site's,
-- for a wave whose sites are in different zones): a UTC day put a Pacific evening's
-- completes on the next day.
SELECT (r.submitted_at AT TIME ZONE s.timezone)::date AS day, r.channel, count(*) AS n
FROM responses r
JOIN sites s ON s.program_id = r.program_id AND s.id = r.site_id
WHERE r.program_id = $1 AND r.wave_id = $2 AND r.status = 'complete'
GROUP BY 1, 2
ORDER BY 1, 2;
