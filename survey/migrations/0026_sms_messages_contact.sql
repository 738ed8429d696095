-- An index on the contact a text was to or from. Deleting a contact sets its texts'
-- contact_id to NULL (0003), and sms_messages had no index that PostgreSQL could use
-- for that (sms_messages_wave_contact leads with the wave and covers outbound texts
-- only): each deleted contact read the program's whole text log, so a closed wave's
-- purge grew with the square of its size (20 s at 10,000 contacts with two texts
-- each, 175 s at 25,000; over the web pool's 15 s statement timeout from about
-- 9,000), holding the program's contacts lock (contact_locks) all the while.
CREATE INDEX sms_messages_contact ON sms_messages (program_id, contact_id)
    WHERE contact_id IS NOT NULL;
