-- The texts that mentioned stopping and still await a person's decision, by program
-- and contact. A removal reads them before it takes any lock, to know which other
-- programs share those numbers and so whose contacts its opt-out will touch
-- (contact_removal, contact_locks); a closed wave's purge does so before each of its
-- parts. Such texts are few, so the index is small and seldom written.
CREATE INDEX sms_messages_review_pending ON sms_messages (program_id, contact_id)
    WHERE direction = 'inbound' AND kind = 'review' AND review_decision IS NULL;
