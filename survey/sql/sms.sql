-- Two-way SMS: waves, conversations, opt-outs, the message log and outbound queue.
-- Program tables are addressed by program_id first. Numbers are matched across
-- programs only for routing an inbound text and for opt-outs (global by nature).

-- name: sms-wave
SELECT w.program_id, w.id AS wave_id, w.languages, w.default_language, w.channels,
       w.sms_mode, w.state, w.opens_at, w.closes_at, w.questionnaire_id,
       w.questionnaire_hash, w.allow_unreviewed, p.name AS program_name, p.contact_phone, p.contact_email,
       p.quiet_start, p.quiet_end
FROM waves w JOIN programs p ON p.id = w.program_id
WHERE w.program_id = $1 AND w.id = $2;

-- name: sms-wave-program
-- The CLI names a wave by id alone (ids are unique across programs).
SELECT program_id FROM waves WHERE id = $1;

-- name: sms-wave-state
SELECT state FROM waves WHERE program_id = $1 AND id = $2;

-- name: sms-wave-has-site
SELECT EXISTS (SELECT 1 FROM wave_sites WHERE program_id = $1 AND wave_id = $2 AND site_id = $3);

-- name: sms-wave-contacts
-- A wave's contacts (those of its sites), with what decides whether to text them:
-- their invitation to the wave if they have one (a link issued for print or mail is
-- the invitation a text then carries: one person, one invitation, one response),
-- whether it is completed or has a response under way, and whether an SMS invitation
-- already went out (or waits) or a conversation began; `busy` when the number is in
-- the middle of a conversation of another open wave (any program: one phone, one
-- conversation at a time, or a reply would land in the wrong one).
SELECT c.id, c.site_id, c.panel_member_id, c.preferred_language,
       (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
        OR o.phone_e164 IS NOT NULL) AS opted_out,
       i.id AS invitation_id,
       coalesce(i.completed_at IS NOT NULL, false) AS completed,
       EXISTS (SELECT 1 FROM responses r
               WHERE r.program_id = c.program_id AND r.invitation_id = i.id) AS started,
       (EXISTS (SELECT 1 FROM sms_messages m
                WHERE m.program_id = c.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                  AND m.direction = 'outbound' AND m.kind = 'invitation'
                  AND m.state IN ('queued', 'sending', 'sent'))
        OR EXISTS (SELECT 1 FROM sms_conversations cv
                   WHERE cv.program_id = c.program_id AND cv.wave_id = $2
                     AND cv.contact_id = c.id)) AS texted,
       EXISTS (SELECT 1 FROM contacts oc
               JOIN sms_conversations ocv
                 ON ocv.program_id = oc.program_id AND ocv.contact_id = oc.id
               JOIN waves ow ON ow.program_id = ocv.program_id AND ow.id = ocv.wave_id
               WHERE oc.phone_e164 = c.phone_e164
                 AND NOT (ocv.program_id = c.program_id AND ocv.wave_id = $2)
                 AND ocv.status IN ('choosing_language', 'in_progress')
                 AND ow.state = 'open' AND (ow.closes_at IS NULL OR ow.closes_at > now()))
         AS busy
FROM contacts c
JOIN wave_sites ws ON ws.program_id = c.program_id AND ws.wave_id = $2 AND ws.site_id = c.site_id
LEFT JOIN sms_opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL
LEFT JOIN LATERAL (
    -- A completed one first, else the oldest.
    SELECT x.id, x.completed_at FROM invitations x
    WHERE x.program_id = c.program_id AND x.wave_id = $2 AND x.contact_id = c.id
    ORDER BY x.completed_at IS NULL, x.id
    LIMIT 1
) i ON true
WHERE c.program_id = $1 AND ($3::bigint IS NULL OR c.site_id = $3)
ORDER BY c.id;

-- name: sms-link-reminder-targets
-- Personal links texted to contacts (whatever the invitation was first issued for);
-- `completed` ones are only counted, `pending` when a text still waits, `recent`
-- when invited or reminded since $4, `active` when they texted us or answered since,
-- `under_review` when a text of theirs about this wave was set aside for a person
-- who has not decided yet;
-- `reminders` how many link reminders they have had (queued ones too).
-- An invitation text still queued counts as `pending`, so that "Send reminders" right
-- after "Send invitations" accounts for everyone; one to a contact who had no
-- invitation yet has none until the worker sends it (it issues one then), so those
-- come from the queue itself, in the second part.
SELECT i.id AS invitation_id, c.id AS contact_id, c.preferred_language,
       EXISTS (SELECT 1 FROM sms_messages m
               WHERE m.program_id = i.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                 AND m.direction = 'inbound' AND m.kind = 'review'
                 AND m.review_decision IS NULL) AS under_review,
       (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
        OR o.phone_e164 IS NOT NULL) AS opted_out,
       i.completed_at IS NOT NULL AS completed,
       EXISTS (SELECT 1 FROM sms_messages m
               WHERE m.program_id = i.program_id AND m.invitation_id = i.id
                 AND m.state IN ('queued', 'sending')) AS pending,
       EXISTS (SELECT 1 FROM sms_messages m
               WHERE m.program_id = i.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                 AND m.direction = 'outbound' AND m.state = 'sent' AND m.sent_at > $4
                 AND m.kind IN ('invitation', 'link_reminder', 'conversation', 'reminder'))
         AS recent,
       (EXISTS (SELECT 1 FROM sms_messages m
                WHERE m.program_id = i.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                  AND m.direction = 'inbound' AND m.created_at > $4)
        OR EXISTS (SELECT 1 FROM responses r
                   WHERE r.program_id = i.program_id AND r.invitation_id = i.id
                     AND r.updated_at > $4)) AS active,
       (SELECT count(*) FROM sms_messages m
        WHERE m.program_id = i.program_id AND m.invitation_id = i.id
          AND m.direction = 'outbound' AND m.kind = 'link_reminder'
          AND m.state IN ('queued', 'sending', 'sent')) AS reminders
FROM invitations i
JOIN contacts c ON c.program_id = i.program_id AND c.id = i.contact_id
LEFT JOIN sms_opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL
WHERE i.program_id = $1 AND i.wave_id = $2
  AND ($3::bigint IS NULL OR i.site_id = $3)
  AND EXISTS (SELECT 1 FROM sms_messages m
              WHERE m.program_id = i.program_id AND m.invitation_id = i.id
                AND m.direction = 'outbound' AND m.state IN ('queued', 'sending', 'sent'))
UNION ALL
SELECT NULL::bigint, c.id, c.preferred_language, false,
       (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
        OR o.phone_e164 IS NOT NULL), false, true, false, false, 0::bigint
FROM contacts c
LEFT JOIN sms_opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL
WHERE c.program_id = $1 AND ($3::bigint IS NULL OR c.site_id = $3)
  AND EXISTS (SELECT 1 FROM sms_messages m
              WHERE m.program_id = c.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                AND m.direction = 'outbound' AND m.kind = 'invitation'
                AND m.invitation_id IS NULL AND m.state IN ('queued', 'sending'))
ORDER BY invitation_id NULLS LAST, contact_id;

-- name: sms-conversations-to-remind
-- Conversations going on (or opted out, only counted); `completed` ones are counted too.
-- `recent`, `active` and `under_review` as for links, since $4; `reminders` the
-- conversation's, automatic and by hand.
SELECT cv.id, cv.status = 'completed' AS completed, cv.reminders_sent AS reminders,
       EXISTS (SELECT 1 FROM sms_messages m
               WHERE m.program_id = cv.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                 AND m.direction = 'inbound' AND m.kind = 'review'
                 AND m.review_decision IS NULL) AS under_review,
       (cv.status = 'opted_out' OR c.opted_out_at IS NOT NULL
        OR c.consent_status = 'revoked' OR o.phone_e164 IS NOT NULL) AS opted_out,
       EXISTS (SELECT 1 FROM sms_messages m
               WHERE m.program_id = cv.program_id AND m.conversation_id = cv.id
                 AND m.state IN ('queued', 'sending')) AS pending,
       EXISTS (SELECT 1 FROM sms_messages m
               WHERE m.program_id = cv.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                 AND m.direction = 'outbound' AND m.state = 'sent' AND m.sent_at > $4
                 AND m.kind IN ('invitation', 'link_reminder', 'conversation', 'reminder'))
         AS recent,
       (cv.last_inbound_at > $4 OR EXISTS (SELECT 1 FROM sms_messages m
                WHERE m.program_id = cv.program_id AND m.wave_id = $2 AND m.contact_id = c.id
                  AND m.direction = 'inbound' AND m.created_at > $4)) AS active
FROM sms_conversations cv
JOIN contacts c ON c.program_id = cv.program_id AND c.id = cv.contact_id
LEFT JOIN sms_opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL
WHERE cv.program_id = $1 AND cv.wave_id = $2 AND ($3::bigint IS NULL OR cv.site_id = $3)
  AND cv.status IN ('choosing_language', 'in_progress', 'opted_out', 'completed')
ORDER BY cv.id;

-- name: sms-wave-summary
SELECT direction, kind, state, delivery_status, count(*) AS messages,
       coalesce(sum(segments), 0) AS segments
FROM sms_messages WHERE program_id = $1 AND wave_id = $2
GROUP BY direction, kind, state, delivery_status
ORDER BY direction, kind, state, delivery_status;

-- name: sms-wave-review
-- Inbound texts that mentioned stopping without a clear request, newest first: a
-- person decides whether to opt the number out (the body is not kept). $3 picks one.
SELECT m.id AS message_id, m.conversation_id, m.contact_id, c.phone_e164 AS phone,
       m.created_at AS received_at, cv.status AS conversation_status,
       c.opted_out_at IS NOT NULL AS opted_out, m.review_decision AS decision,
       m.reviewed_at AS decided_at,
       CASE WHEN m.reviewed_at IS NOT NULL THEN coalesce(nullif(u.name, ''), u.email) END
         AS decided_by
FROM sms_messages m
LEFT JOIN sms_conversations cv ON cv.program_id = m.program_id AND cv.id = m.conversation_id
LEFT JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
LEFT JOIN users u ON u.id = m.reviewed_by
WHERE m.program_id = $1 AND m.wave_id = $2 AND m.direction = 'inbound' AND m.kind = 'review'
  AND ($3::bigint IS NULL OR m.id = $3)
ORDER BY m.created_at DESC, m.id DESC;

-- name: sms-review-lock
-- One text set aside for review, locked while a person's decision is recorded.
SELECT m.id, m.contact_id, m.conversation_id, m.review_decision, m.reviewed_at,
       m.reviewed_by
FROM sms_messages m
WHERE m.program_id = $1 AND m.wave_id = $2 AND m.id = $3
  AND m.direction = 'inbound' AND m.kind = 'review'
FOR UPDATE;

-- name: sms-review-phone
-- Its contact's number, read before anything is locked (sms_review.decide).
SELECT c.phone_e164
FROM sms_messages m
JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
WHERE m.program_id = $1 AND m.wave_id = $2 AND m.id = $3;

-- name: sms-review-decide
UPDATE sms_messages SET review_decision = $3, reviewed_at = $4, reviewed_by = $5
WHERE program_id = $1 AND id = $2;

-- name: sms-review-contact-phone
SELECT phone_e164 FROM contacts WHERE program_id = $1 AND id = $2;

-- name: sms-user-name
SELECT coalesce(nullif(name, ''), email) FROM users WHERE id = $1;

-- Opt-outs and consent -----------------------------------------------------------

-- name: sms-opt-out-active
SELECT EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone_e164 = $1 AND opted_in_at IS NULL);

-- name: sms-opt-out-upsert
-- Returns a row only when the number was not opted out already (the first time
-- stays the recorded time).
INSERT INTO sms_opt_outs (phone_e164, opted_out_at, source) VALUES ($1, $2, $3)
ON CONFLICT (phone_e164) DO UPDATE SET
    opted_out_at = excluded.opted_out_at, source = excluded.source,
    opted_in_at = NULL, opt_in_source = NULL
WHERE sms_opt_outs.opted_in_at IS NOT NULL
RETURNING phone_e164;

-- name: sms-contacts-opt-out
UPDATE contacts SET opted_out_at = coalesce(opted_out_at, $2), consent_status = 'revoked',
                    consent_source = $3, consent_at = $2
WHERE phone_e164 = $1 AND (opted_out_at IS NULL OR consent_status <> 'revoked')
RETURNING program_id, id;

-- name: sms-opt-in
UPDATE sms_opt_outs SET opted_in_at = $2, opt_in_source = $3
WHERE phone_e164 = $1 AND opted_in_at IS NULL
RETURNING phone_e164;

-- name: sms-contacts-opt-in
-- Only contacts that had opted out or revoked: START is not consent for programs
-- the person never heard from.
UPDATE contacts SET opted_out_at = NULL, consent_status = 'granted', consent_source = $3,
                    consent_at = $2
WHERE phone_e164 = $1 AND (opted_out_at IS NOT NULL OR consent_status = 'revoked')
RETURNING program_id, id;

-- name: sms-consent-insert-many
INSERT INTO sms_consents (program_id, contact_id, status, source, recorded_at)
SELECT t.p, t.c, $3, $4, $5 FROM unnest($1::bigint[], $2::bigint[]) AS t(p, c);

-- name: sms-cancel-queued-to-phone
UPDATE sms_messages m SET state = 'canceled', error = $2
FROM contacts c
WHERE c.phone_e164 = $1 AND m.program_id = c.program_id AND m.contact_id = c.id
  AND m.state = 'queued';

-- Conversations ------------------------------------------------------------------

-- name: sms-conversation-insert-many
INSERT INTO sms_conversations (program_id, wave_id, site_id, contact_id, invitation_id,
                               our_number, state, status, language, started_at, updated_at)
SELECT $1, $2, t.site_id, t.contact_id, t.invitation_id, $3, $4::jsonb, $5::text, $6::text,
       $7::timestamptz, $7::timestamptz
FROM unnest($8::bigint[], $9::bigint[], $10::bigint[]) AS t(contact_id, site_id, invitation_id)
RETURNING id, contact_id;

-- name: sms-conversation-lock
SELECT cv.*, c.phone_e164, c.panel_member_id, c.preferred_language
FROM sms_conversations cv
JOIN contacts c ON c.program_id = cv.program_id AND c.id = cv.contact_id
WHERE cv.program_id = $1 AND cv.id = $2
FOR UPDATE OF cv;

-- name: sms-conversation-save
UPDATE sms_conversations SET
    state = $3, status = $4, language = $5, response_id = coalesce($6, response_id),
    next_reminder_at = $7, last_inbound_at = coalesce($8, last_inbound_at), updated_at = $9
WHERE program_id = $1 AND id = $2;

-- name: sms-response-start
-- At most one response per conversation: its invitation's unique key decides.
INSERT INTO responses (program_id, wave_id, site_id, invitation_id, panel_member_id,
                       language, channel, questionnaire_hash, started_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'sms', $7, $8, $8)
ON CONFLICT (program_id, invitation_id) DO NOTHING
RETURNING id;

-- name: sms-route-inbound
-- The number's conversation a text answers. Of those going on (a question or the
-- language menu waiting for a reply, or opted out in an open wave, to hear START),
-- the one that texted the number last (our replies go back as the texts come in, so
-- the last text in is as good as the last out); else the most recently active.
-- One whose wave has closed since still counts: "2" answers the question it asked,
-- so it gets "this survey has closed" (`active` false: unless a wave the number was
-- invited to starts now, see sms-route-new) rather than landing in another wave as
-- the answer to some other question. Once told (status 'closed'), it stands aside.
SELECT cv.program_id, cv.id,
       (w.state = 'open' AND (w.closes_at IS NULL OR w.closes_at > $2)
        AND cv.status IN ('choosing_language', 'in_progress', 'opted_out')) AS active
FROM contacts c
JOIN sms_conversations cv ON cv.program_id = c.program_id AND cv.contact_id = c.id
JOIN waves w ON w.program_id = cv.program_id AND w.id = cv.wave_id
WHERE c.phone_e164 = $1
ORDER BY (cv.status IN ('choosing_language', 'in_progress')
          OR (cv.status = 'opted_out' AND w.state = 'open'
              AND (w.closes_at IS NULL OR w.closes_at > $2))) DESC,
         greatest(cv.last_outbound_at, cv.last_inbound_at, cv.started_at) DESC, cv.id DESC
LIMIT 1;

-- name: sms-route-new
-- A contact of a site in an open conversational SMS wave, not yet in conversation,
-- with their invitation to it if one was issued (a link for print or mail) and nobody
-- has begun answering it: the conversation carries it on, so one person stays one
-- response, as `invite` does. $3: the number has no conversation at all yet (someone
-- texting us first); otherwise only a wave they were invited to may start one, so a
-- late reply to a closed wave's question never slips into another wave.
SELECT c.program_id, c.id AS contact_id, c.site_id, c.panel_member_id, w.id AS wave_id,
       (SELECT i.id FROM invitations i
        WHERE i.program_id = c.program_id AND i.wave_id = w.id AND i.contact_id = c.id
          AND i.completed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM responses r
                          WHERE r.program_id = i.program_id AND r.invitation_id = i.id)
        ORDER BY i.id LIMIT 1) AS invitation_id
FROM contacts c
JOIN wave_sites ws ON ws.program_id = c.program_id AND ws.site_id = c.site_id
JOIN waves w ON w.program_id = ws.program_id AND w.id = ws.wave_id
WHERE c.phone_e164 = $1 AND w.state = 'open' AND 'sms' = ANY (w.channels)
  AND w.sms_mode = 'conversation' AND w.questionnaire_hash IS NOT NULL
  AND (w.opens_at IS NULL OR w.opens_at <= $2) AND (w.closes_at IS NULL OR w.closes_at > $2)
  AND c.opted_out_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM sms_conversations cv
                  WHERE cv.program_id = c.program_id AND cv.wave_id = w.id
                    AND cv.contact_id = c.id)
  AND ($3::boolean
       OR EXISTS (SELECT 1 FROM invitations i
                  WHERE i.program_id = c.program_id AND i.wave_id = w.id
                    AND i.contact_id = c.id))
ORDER BY w.launched_at DESC NULLS LAST, w.id DESC
LIMIT 1;

-- name: sms-last-texting-wave
-- The open wave that most recently texted a number (a link, a reminder, a
-- conversation's text), by when the text left: a complaint that is no part of an
-- active conversation is filed there for review, not under a closed wave.
SELECT m.program_id, m.wave_id, m.contact_id,
       (SELECT cv.id FROM sms_conversations cv
        WHERE cv.program_id = m.program_id AND cv.wave_id = m.wave_id
          AND cv.contact_id = m.contact_id) AS conversation_id
FROM contacts c
JOIN sms_messages m ON m.program_id = c.program_id AND m.contact_id = c.id
JOIN waves w ON w.program_id = m.program_id AND w.id = m.wave_id
WHERE c.phone_e164 = $1 AND m.direction = 'outbound' AND m.sent_at IS NOT NULL
  AND w.state = 'open' AND (w.closes_at IS NULL OR w.closes_at > $2)
ORDER BY m.sent_at DESC, m.id DESC
LIMIT 1;

-- name: sms-conversation-sent
-- A conversation text left: remind after the next interval of silence, if any left
-- and the contact has had fewer than $5 reminders (automatic and by hand together).
UPDATE sms_conversations SET
    last_outbound_at = $3::timestamptz,
    next_reminder_at = CASE
        WHEN status IN ('choosing_language', 'in_progress')
             AND reminders_sent < LEAST(cardinality($4::interval[]), $5::integer)
        THEN $3::timestamptz + ($4::interval[])[reminders_sent + 1] END
WHERE program_id = $1 AND id = $2;

-- name: sms-programs-closing
-- The programs with a wave that closed and still has a conversation to close or a
-- text queued, read before anything is locked: the sweep takes their contacts locks
-- first (contact-try-share-programs), then works only in those it got ($2 below).
SELECT DISTINCT w.program_id
FROM waves w
WHERE (w.state = 'closed' OR w.closes_at <= $1)
  AND (EXISTS (SELECT 1 FROM sms_conversations cv
               WHERE cv.program_id = w.program_id AND cv.wave_id = w.id
                 AND (cv.status IN ('choosing_language', 'in_progress')
                      OR (cv.status = 'opted_out'
                          AND cv.state ->> 'resume' IS DISTINCT FROM 'closed')))
       OR EXISTS (SELECT 1 FROM sms_messages m
                  WHERE m.program_id = w.program_id AND m.wave_id = w.id
                    AND m.state = 'queued'))
ORDER BY w.program_id;

-- name: sms-conversations-to-close
-- Conversations of waves that closed, of the programs $2; an opted-out one is closed
-- quietly once.
SELECT cv.program_id, cv.id
FROM sms_conversations cv
JOIN waves w ON w.program_id = cv.program_id AND w.id = cv.wave_id
WHERE (w.state = 'closed' OR w.closes_at <= $1) AND cv.program_id = ANY($2::bigint[])
  AND (cv.status IN ('choosing_language', 'in_progress')
       OR (cv.status = 'opted_out' AND cv.state ->> 'resume' IS DISTINCT FROM 'closed'))
ORDER BY cv.program_id, cv.id
LIMIT 500
FOR UPDATE OF cv SKIP LOCKED;

-- name: sms-programs-reminders-due
-- As sms-programs-closing, for the reminders due (of the programs $3 below).
SELECT DISTINCT cv.program_id
FROM sms_conversations cv
WHERE cv.next_reminder_at <= $1 AND cv.status IN ('choosing_language', 'in_progress')
  AND cv.reminders_sent < $2::integer
ORDER BY cv.program_id;

-- name: sms-reminders-due
SELECT cv.program_id, cv.id
FROM sms_conversations cv
JOIN waves w ON w.program_id = cv.program_id AND w.id = cv.wave_id
WHERE cv.next_reminder_at <= $1 AND cv.status IN ('choosing_language', 'in_progress')
  AND cv.program_id = ANY($3::bigint[])
  AND cv.reminders_sent < $2::integer
  AND w.state = 'open' AND (w.closes_at IS NULL OR w.closes_at > $1)
  AND NOT EXISTS (SELECT 1 FROM sms_messages m
                  WHERE m.program_id = cv.program_id AND m.conversation_id = cv.id
                    AND m.state IN ('queued', 'sending'))
ORDER BY cv.next_reminder_at
LIMIT 200
FOR UPDATE OF cv SKIP LOCKED;

-- name: sms-conversation-reminded
UPDATE sms_conversations SET reminders_sent = reminders_sent + 1, next_reminder_at = NULL
WHERE program_id = $1 AND id = $2;

-- name: sms-conversation-no-reminder
UPDATE sms_conversations SET next_reminder_at = NULL WHERE program_id = $1 AND id = $2;

-- Message log ----------------------------------------------------------------------

-- name: sms-enqueue-many
-- Ids ascend in the given order: the worker sends a conversation's texts by id.
INSERT INTO sms_messages (program_id, direction, kind, wave_id, contact_id, conversation_id,
                          invitation_id, language, body, segments, encoding, state, send_at)
SELECT $1, 'outbound', $2, $3, t.contact_id, t.conversation_id, t.invitation_id, t.language,
       t.body, t.segments, t.encoding, 'queued', $4
FROM unnest($5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::int[],
            $11::text[]) WITH ORDINALITY
     AS t(contact_id, conversation_id, invitation_id, language, body, segments, encoding, n)
ORDER BY t.n
RETURNING id;

-- name: sms-log-inbound
INSERT INTO sms_messages (program_id, direction, kind, wave_id, contact_id, conversation_id,
                          provider_sid, segments, state, send_at, created_at)
VALUES ($1, 'inbound', $2, $3, $4, $5, $6, $7, 'received', $8, $8);

-- name: sms-log-reply
INSERT INTO sms_messages (program_id, direction, kind, wave_id, contact_id, conversation_id,
                          language, body, segments, encoding, state, send_at, created_at,
                          sent_at)
VALUES ($1, 'outbound', 'reply', $2, $3, $4, $5, $6, $7, $8, 'sent', $9, $9, $9);

-- name: sms-receipt-insert
INSERT INTO sms_inbound_receipts (message_sid, received_at) VALUES ($1, $2)
ON CONFLICT (message_sid) DO NOTHING
RETURNING message_sid;

-- name: sms-receipt-replies
SELECT replies FROM sms_inbound_receipts WHERE message_sid = $1;

-- name: sms-receipt-set-replies
UPDATE sms_inbound_receipts SET replies = $2 WHERE message_sid = $1;

-- name: sms-receipts-prune
DELETE FROM sms_inbound_receipts WHERE received_at < $1;

-- Outbound queue -------------------------------------------------------------------

-- name: sms-sender-lock
-- Creates the number's pacing row on first use; the upsert locks it either way.
INSERT INTO sms_senders (number) VALUES ($1)
ON CONFLICT (number) DO UPDATE SET number = excluded.number
RETURNING tat;

-- name: sms-sender-set-tat
UPDATE sms_senders SET tat = $2, updated_at = now() WHERE number = $1;

-- name: sms-outbox-claim
-- The next due text whose earlier texts in the same conversation are all out.
SELECT m.program_id, m.id, m.kind, m.wave_id, m.contact_id, m.conversation_id,
       m.invitation_id, m.language, m.body, m.segments,
       c.phone_e164, c.site_id, c.panel_member_id, s.timezone, p.quiet_start, p.quiet_end,
       (c.opted_out_at IS NOT NULL OR c.consent_status = 'revoked'
        OR o.phone_e164 IS NOT NULL) AS opted_out,
       w.state AS wave_state, w.closes_at, cv.status AS conversation_status,
       (i.completed_at IS NOT NULL) AS invitation_completed,
       EXISTS (SELECT 1 FROM wave_sites ws
               WHERE ws.program_id = m.program_id AND ws.wave_id = m.wave_id
                 AND ws.site_id = c.site_id) AS in_wave_site
FROM sms_messages m
JOIN programs p ON p.id = m.program_id
LEFT JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
LEFT JOIN sites s ON s.program_id = c.program_id AND s.id = c.site_id
LEFT JOIN sms_opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_in_at IS NULL
LEFT JOIN waves w ON w.program_id = m.program_id AND w.id = m.wave_id
LEFT JOIN sms_conversations cv ON cv.program_id = m.program_id AND cv.id = m.conversation_id
LEFT JOIN invitations i ON i.program_id = m.program_id AND i.id = m.invitation_id
WHERE m.state = 'queued' AND m.send_at <= $1
  AND NOT EXISTS (SELECT 1 FROM sms_messages e
                  WHERE e.program_id = m.program_id AND e.conversation_id = m.conversation_id
                    AND e.id < m.id AND e.state IN ('queued', 'sending'))
ORDER BY m.send_at, m.id
LIMIT 1
FOR UPDATE OF m SKIP LOCKED;

-- name: sms-outbox-contact-share
-- The claimed text's contact, held (FOR KEY SHARE) before anything of the claim refers
-- to it (the invitation a link text issues): a removal holds the contact FOR UPDATE and
-- then waits on the text's row, so waiting here would close the circle. NOWAIT: the
-- worker gives way instead (the removal then cancels the text). No row: it is gone.
SELECT id FROM contacts WHERE program_id = $1 AND id = $2 FOR KEY SHARE NOWAIT;

-- name: sms-outbox-cancel
UPDATE sms_messages SET state = 'canceled', error = $3, claimed_by = NULL
WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-defer
UPDATE sms_messages SET send_at = $3 WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-queued-for-window
-- A program's texts still waiting (not those a worker has in hand), locked so that a
-- worker cannot defer one by the old window meanwhile; `backing_off`: its send_at is
-- a retry backoff, a floor the new window must not bring forward.
SELECT m.id, m.send_at, m.error IS NOT NULL AS backing_off, s.timezone
FROM sms_messages m
LEFT JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
LEFT JOIN sites s ON s.program_id = c.program_id AND s.id = c.site_id
WHERE m.program_id = $1 AND m.direction = 'outbound' AND m.state = 'queued'
ORDER BY m.id
FOR UPDATE OF m;

-- name: sms-outbox-reschedule
UPDATE sms_messages m SET send_at = t.send_at
FROM unnest($2::bigint[], $3::timestamptz[]) AS t(id, send_at)
WHERE m.program_id = $1 AND m.id = t.id AND m.state = 'queued';

-- name: sms-outbox-mark-sending
-- Committed before the provider is called: the crash marker of the duplicate rule.
UPDATE sms_messages SET state = 'sending', attempts = attempts + 1,
    claimed_by = pg_backend_pid(), claimed_at = $3, send_at = $4, body = $5,
    invitation_id = coalesce($6, invitation_id)
WHERE program_id = $1 AND id = $2;

-- name: sms-invitation-token-add
-- A personal link sent again carries a new token (only hashes are stored, so the
-- first cannot be repeated); the links sent before keep working (0020).
INSERT INTO invitation_tokens (program_id, invitation_id, token_hash) VALUES ($1, $2, $3);

-- name: sms-outbox-sent
UPDATE sms_messages SET state = 'sent', provider_sid = $3, sent_at = $4, claimed_by = NULL,
    delivery_status = coalesce(delivery_status, 'queued'), error = NULL, error_code = NULL
WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-attempts
SELECT attempts FROM sms_messages WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-retry
UPDATE sms_messages SET state = 'queued', send_at = $3, error = $4, error_code = $5,
    maybe_duplicate = maybe_duplicate OR $6, claimed_by = NULL
WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-release
-- Our credentials were refused: not the text's fault, so the attempt does not count.
UPDATE sms_messages SET state = 'queued', attempts = greatest(attempts - 1, 0),
    claimed_by = NULL
WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-fail
UPDATE sms_messages SET state = 'failed', error = $3, error_code = $4, claimed_by = NULL
WHERE program_id = $1 AND id = $2;

-- name: sms-outbox-recover
-- 'sending' rows whose worker is gone (its session ended) or whose lease ran out:
-- the provider may have them, so they go back flagged as possible duplicates.
UPDATE sms_messages m SET state = 'queued', maybe_duplicate = true, claimed_by = NULL
WHERE m.state = 'sending'
  AND (m.claimed_at < $1
       OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = m.claimed_by))
RETURNING m.program_id, m.id;

-- name: sms-cancel-closed-waves
-- Of the programs $2 (sms-programs-closing).
UPDATE sms_messages m SET state = 'canceled', error = 'wave closed'
FROM waves w
WHERE w.program_id = m.program_id AND w.id = m.wave_id AND m.state = 'queued'
  AND m.program_id = ANY($2::bigint[])
  AND (w.state = 'closed' OR w.closes_at <= $1);

-- Status callbacks -----------------------------------------------------------------

-- name: sms-status-lock
-- invitation_id: the invitation this text sends, if it does: a personal link's own,
-- or, for a conversation's opening text, the conversation's (its texts carry none;
-- without it a conversation wave's invitations were never counted as sent).
SELECT m.delivery_status, c.phone_e164,
       coalesce(m.invitation_id,
                (SELECT cv.invitation_id FROM sms_conversations cv
                 WHERE m.kind = 'conversation' AND cv.program_id = m.program_id
                   AND cv.id = m.conversation_id)) AS invitation_id
FROM sms_messages m
LEFT JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
WHERE m.program_id = $1 AND m.id = $2 AND m.direction = 'outbound'
FOR UPDATE OF m;

-- name: sms-status-phone
-- The number the text went to, read before anything is locked (sms_status).
SELECT c.phone_e164
FROM sms_messages m
JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
WHERE m.program_id = $1 AND m.id = $2;

-- name: sms-status-update
UPDATE sms_messages SET delivery_status = $3, error_code = coalesce($4, error_code),
    provider_sid = coalesce(provider_sid, $5), status_at = $6
WHERE program_id = $1 AND id = $2;

-- name: sms-invitation-sent
UPDATE invitations SET sent_at = coalesce(sent_at, $3) WHERE program_id = $1 AND id = $2;

-- name: sms-worker-session
SELECT set_config('application_name', 'survey-sms-worker', false);

-- name: sms-help-program
-- The program that texted a number last, to answer HELP outside a conversation.
SELECT p.name AS program_name, p.contact_phone, p.contact_email, c.preferred_language,
       coalesce(last.allow_unreviewed, false) AS allow_unreviewed
FROM contacts c
JOIN programs p ON p.id = c.program_id
LEFT JOIN LATERAL (
    SELECT m.id, w.allow_unreviewed FROM sms_messages m
    JOIN waves w ON w.program_id = m.program_id AND w.id = m.wave_id
    WHERE m.program_id = c.program_id AND m.contact_id = c.id AND m.direction = 'outbound'
    ORDER BY m.id DESC LIMIT 1
) last ON true
WHERE c.phone_e164 = $1
ORDER BY last.id DESC NULLS LAST, c.id DESC
LIMIT 1;

-- name: sms-lock-phone
-- Texts from one number are handled one at a time (until the transaction ends), so
-- two first texts arriving together cannot both start a conversation. A contact's
-- removal takes no such lock: the program's contacts lock orders the two
-- (contact-removal-lock-program), and is taken before this one.
SELECT pg_advisory_xact_lock(hashtextextended('sms:' || $1::text, 0));

-- name: sms-wave-last-reminder
-- When reminders (by hand or on schedule) last went out for a wave, or were queued.
SELECT max(coalesce(sent_at, created_at)) FROM sms_messages
WHERE program_id = $1 AND wave_id = $2 AND direction = 'outbound'
  AND kind IN ('reminder', 'link_reminder') AND state IN ('queued', 'sending', 'sent');

-- name: sms-other-active-conversation
-- The number's conversation waiting for a reply in an open wave, other than the one
-- given ($2, $3): after "this survey has closed" it asks its question again, so the
-- next "2" answers a question the person has just seen. The one texted last, if two.
SELECT cv.program_id, cv.id
FROM contacts c
JOIN sms_conversations cv ON cv.program_id = c.program_id AND cv.contact_id = c.id
JOIN waves w ON w.program_id = cv.program_id AND w.id = cv.wave_id
WHERE c.phone_e164 = $1 AND NOT (cv.program_id = $2 AND cv.id = $3)
  AND cv.status IN ('choosing_language', 'in_progress')
  AND w.state = 'open' AND (w.closes_at IS NULL OR w.closes_at > $4)
ORDER BY greatest(cv.last_outbound_at, cv.last_inbound_at, cv.started_at) DESC, cv.id DESC
LIMIT 1;
