-- Removing contacts: one at a resident's request, or a closed wave's once its
-- fieldwork is over (survey.services.contact_removal; why rows are deleted and not
-- blanked: 0024_contact_removal.sql). $1 is the program, $2 the contacts' ids.

-- name: contact-removal-lock-program
-- First of all, before any row lock: the program's contacts lock, exclusive
-- (survey.services.contact_locks). Every SMS path that locks or refers to the
-- program's contacts, conversations or texts takes it shared first, so it finishes
-- before a removal begins, and one starting during it waits, then finds the contacts
-- gone. One lock, however many contacts (a lock per number ran out of shared memory
-- purging a wave of 20,000). Without it the two deadlock: a text held its conversation
-- and needed the contact (its log row refers to it); the removal held the contact and,
-- deleting, needed the conversation.
SELECT pg_advisory_xact_lock(hashtextextended('contacts:' || $1::bigint, 0));

-- name: contact-removal-review-programs
-- Before any lock: the other programs that have as a contact a number of program $1
-- with a text that mentioned stopping and awaits a decision (of the contacts $2, or
-- of any when $2 is NULL). Removing it opts the number out, which touches its contacts
-- and texts in those programs too, so the removal takes their locks, shared, with its
-- own, all in one order (survey.services.contact_locks): two programs removing one
-- such number at once otherwise each held its own contact and waited for the other's.
SELECT DISTINCT o.program_id
FROM sms_messages m
JOIN contacts c ON c.program_id = m.program_id AND c.id = m.contact_id
JOIN contacts o ON o.phone_e164 = c.phone_e164 AND o.program_id <> c.program_id
WHERE m.program_id = $1 AND ($2::bigint[] IS NULL OR m.contact_id = ANY($2::bigint[]))
  AND m.direction = 'inbound' AND m.kind = 'review' AND m.review_decision IS NULL
ORDER BY 1;

-- name: contact-share-programs
-- The same lock, shared, of each program in $1, in one order (ascending) so that two
-- sessions taking several cannot wait on each other behind a removal.
SELECT pg_advisory_xact_lock_shared(hashtextextended('contacts:' || p.id, 0))
FROM (SELECT DISTINCT id FROM unnest($1::bigint[]) AS t(id) ORDER BY id) p;

-- name: contact-share-phone-programs
-- Shared, for every program that has the number $1 as a contact, and those in $2: an
-- opt-out of the number touches its contacts in every program.
SELECT pg_advisory_xact_lock_shared(hashtextextended('contacts:' || p.id, 0))
FROM (SELECT id FROM (SELECT program_id FROM contacts WHERE phone_e164 = $1
                      UNION SELECT unnest($2::bigint[])) AS t(id)
      ORDER BY id) p;

-- name: contact-try-share-programs
-- Shared, of those programs in $1 whose removal is not running now, without waiting:
-- the programs locked (the worker's sweeps leave the others for their next pass).
SELECT p.id
FROM (SELECT DISTINCT id FROM unnest($1::bigint[]) AS t(id) ORDER BY id) p
WHERE pg_try_advisory_xact_lock_shared(hashtextextended('contacts:' || p.id, 0));

-- name: contact-removal-lock
-- The contacts, locked: a send or an upload waits for the removal, then finds them gone.
SELECT id FROM contacts WHERE program_id = $1 AND id = ANY($2::bigint[])
ORDER BY id
FOR UPDATE;

-- name: contact-removal-by-phone
SELECT id FROM contacts WHERE program_id = $1 AND phone_e164 = $2;

-- name: contact-removal-cancel-texts
-- Texts still waiting to go out to them. One a worker has in hand ('sending') is
-- with the provider already, or about to be; it ends as any other does.
UPDATE sms_messages SET state = 'canceled', error = 'contact removed', claimed_by = NULL
WHERE program_id = $1 AND contact_id = ANY($2::bigint[]) AND state = 'queued';

-- name: contact-removal-review-pending
-- The numbers of those with a text that mentioned stopping ("why do you text me,
-- stop") still awaiting a person's decision: once the contact is gone nobody could
-- decide it, so the removal takes it as the request it may be (the number goes on the
-- opt-out list, which outlives the contact).
SELECT DISTINCT c.phone_e164
FROM contacts c
JOIN sms_messages m ON m.program_id = c.program_id AND m.contact_id = c.id
WHERE c.program_id = $1 AND c.id = ANY($2::bigint[])
  AND m.direction = 'inbound' AND m.kind = 'review' AND m.review_decision IS NULL
ORDER BY c.phone_e164;

-- name: contact-removal-decide-reviews
-- Those texts, decided "stop" by whoever removed the contact ($4, a users id or NULL
-- for the command line): a later decision is refused as a second one.
UPDATE sms_messages SET review_decision = 'stop', reviewed_at = $3, reviewed_by = $4
WHERE program_id = $1 AND contact_id = ANY($2::bigint[])
  AND direction = 'inbound' AND kind = 'review' AND review_decision IS NULL;

-- name: contact-removal-forget-tokens
-- The links sent after the first (0020): gone, so they open nothing.
DELETE FROM invitation_tokens k
USING invitations i
WHERE k.program_id = $1 AND i.program_id = $1 AND i.id = k.invitation_id
  AND i.contact_id = ANY($2::bigint[]);

-- name: contact-removal-withdraw-links
-- Each invitation's first link stops working: its hash is replaced by the hash of a
-- random value nobody holds (the column is NOT NULL and unique), so the link finds
-- nothing and the resident sees the page of a link that does not exist. The language
-- the invitation was sent in stays for the fieldwork report (0024).
UPDATE invitations i
SET token_hash = sha256(convert_to(gen_random_uuid()::text || i.id::text, 'UTF8')),
    contact_language = c.preferred_language
FROM contacts c
WHERE i.program_id = $1 AND c.program_id = $1 AND c.id = i.contact_id
  AND i.contact_id = ANY($2::bigint[]);

-- name: contact-removal-delete
-- invitations and sms_messages keep their rows, their contact_id set to NULL;
-- conversations and consent records go with the contact (0001, 0003).
DELETE FROM contacts WHERE program_id = $1 AND id = ANY($2::bigint[]);

-- name: contact-purge-candidates
-- A closed wave's contacts (those it invited, $2), the next $4 after contact $3 in
-- order of id (a purge removes them a part at a time; NULL: all of them, for the
-- count its confirmation page shows), each with whether it must stay:
-- another wave that is open or still a draft may still reach them. It invited them,
-- or the contact is at one of its sites: an open wave that has not texted them yet
-- (a later send, a reminder, a conversation they start) and a draft (which cannot
-- send before its launch) both need the contact row to reach them at all.
SELECT c.id,
       (EXISTS (SELECT 1 FROM invitations o
                JOIN waves w ON w.program_id = o.program_id AND w.id = o.wave_id
                WHERE o.program_id = c.program_id AND o.contact_id = c.id
                  AND o.wave_id <> $2 AND w.state IN ('draft', 'open'))
        OR EXISTS (SELECT 1 FROM wave_sites ws
                   JOIN waves w ON w.program_id = ws.program_id AND w.id = ws.wave_id
                   WHERE ws.program_id = c.program_id AND ws.site_id = c.site_id
                     AND ws.wave_id <> $2 AND w.state IN ('draft', 'open'))) AS kept
FROM contacts c
WHERE c.program_id = $1 AND c.id > $3
  AND EXISTS (SELECT 1 FROM invitations i
              WHERE i.program_id = c.program_id AND i.contact_id = c.id AND i.wave_id = $2)
ORDER BY c.id
LIMIT $4;
