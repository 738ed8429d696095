-- An index on the contact an invitation was sent to. Deleting a contact sets its
-- invitations' contact_id to NULL (0001), and a closed wave's purge looks up each
-- contact's invitations (contact_removal.sql): without it each deleted contact read
-- every invitation, and purging a wave of 25,000 took minutes, while the program's
-- contacts lock held every text to and from its residents (contact_locks).
CREATE INDEX invitations_contact ON invitations (program_id, contact_id)
    WHERE contact_id IS NOT NULL;
