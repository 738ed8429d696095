-- Report fieldwork: who answered, how, in which language, and against what.
-- $1 program_id, $2 wave ids.

-- name: report-fieldwork-responses
-- Responses (complete and partial) per wave × site × channel × language, split by
-- whether they came from a personal invitation (a response rate is defined only for
-- those) and by the open-link duplicate flag.
SELECT wave_id, site_id, channel, language, status,
       invitation_id IS NOT NULL AS invited, duplicate_suspect, count(*) AS n
FROM responses
WHERE program_id = $1 AND wave_id = ANY($2::bigint[])
GROUP BY wave_id, site_id, channel, language, status, invitation_id IS NOT NULL,
         duplicate_suspect;

-- name: report-fieldwork-invitations
-- Personal invitations per wave × site × channel × the language they were sent in
-- (the contact's preferred language, kept on the invitation when the contact is
-- removed (0024); 'unknown' without a contact). `invited`, the
-- response rate's base, counts the people we invited: invitations texted, and
-- links issued for print or mail (channel web: no sent event unless texted). An sms
-- invitation never sent invited nobody: the conversation of a person who texted us
-- first, or a text that never went out. `completed` counts completes among `invited`
-- only, so a rate never mixes others in (nor passes 100 %): their responses are
-- counted with the rest in the channel and language tables, in no rate.
SELECT i.wave_id, i.site_id, i.channel,
       coalesce(c.preferred_language, i.contact_language, 'unknown') AS language,
       count(*) AS issued, count(i.sent_at) AS sent,
       count(*) FILTER (WHERE i.sent_at IS NOT NULL OR i.channel = 'web') AS invited,
       count(i.completed_at) FILTER (WHERE i.sent_at IS NOT NULL OR i.channel = 'web')
           AS completed
FROM invitations i
LEFT JOIN contacts c ON c.program_id = i.program_id AND c.id = i.contact_id
WHERE i.program_id = $1 AND i.wave_id = ANY($2::bigint[])
GROUP BY i.wave_id, i.site_id, i.channel, coalesce(c.preferred_language, i.contact_language, 'unknown');

-- name: report-fieldwork-targets
SELECT wave_id, site_id, target_n FROM wave_sites
WHERE program_id = $1 AND wave_id = ANY($2::bigint[]);

-- name: report-fieldwork-overrides
-- Launches that used translations nobody had reviewed (waves.launch_wave records them).
SELECT target::bigint AS wave_id, detail, at FROM audit_log
WHERE program_id = $1 AND action = 'wave.launch_override'
  AND target = ANY(($2::bigint[])::text[])
ORDER BY at, id;
