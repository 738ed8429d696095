-- SMS: conversations, the message log (which is also the outbound job queue),
-- global opt-outs, consent records and per-number send pacing.
--
-- Tenancy: program tables (sms_conversations, sms_messages, sms_consents) carry
-- program_id first in every primary, unique and foreign key. Three small tables are
-- global on purpose and hold no answers:
--   sms_opt_outs          an opt-out is for the person's number, across every
--                         program that texts from our numbers (carrier and FCC rule);
--   sms_inbound_receipts  provider message ids, deduplicated before we know which
--                         program an inbound text is for;
--   sms_senders           our own sending numbers and their pacing state.
--
-- Privacy: phone numbers live in contacts, and in sms_opt_outs because a
-- suppression list must outlive a deleted contact list. Inbound bodies are never
-- stored: what counts in a reply is stored as an answer in `answers`, and raw
-- replies may hold things people should not have typed. Outbound bodies are kept
-- (questions and notices, no answers), except personal links: their token exists
-- only hashed in invitations.

-- Inbound texts and opt-outs are matched by number across programs.
CREATE INDEX contacts_phone ON contacts (phone_e164);

CREATE TABLE sms_opt_outs (
    phone_e164    text PRIMARY KEY CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    opted_out_at  timestamptz NOT NULL DEFAULT now(),
    -- 'sms keyword', 'provider opt-out' (Twilio OptOutType), 'carrier (21610)'
    source        text NOT NULL,
    -- Set by START/UNSTOP/YES after an opt-out: the number may be texted again.
    opted_in_at   timestamptz,
    opt_in_source text,
    CHECK ((opted_in_at IS NULL) = (opt_in_source IS NULL))
);

-- Consent to be texted, per program and contact, with where it came from. Opt-outs
-- are recorded here too (as 'revoked') for every program that has the number.
CREATE TABLE sms_consents (
    program_id  bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    contact_id  bigint NOT NULL,
    status      text NOT NULL CHECK (status IN ('granted', 'revoked')),
    source      text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    FOREIGN KEY (program_id, contact_id) REFERENCES contacts (program_id, id) ON DELETE CASCADE
);
CREATE INDEX sms_consents_contact ON sms_consents (program_id, contact_id, recorded_at);

-- One conversation per wave and contact. `state` is the engine's state without its
-- answers (those are read back from `answers`, so they exist in one place only).
CREATE TABLE sms_conversations (
    program_id       bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    wave_id          bigint NOT NULL,
    site_id          bigint NOT NULL,
    contact_id       bigint NOT NULL,
    invitation_id    bigint NOT NULL,
    response_id      bigint,
    our_number       text NOT NULL DEFAULT '',
    state            jsonb NOT NULL,
    status           text NOT NULL CHECK (status IN
                         ('choosing_language', 'in_progress', 'completed', 'opted_out', 'closed')),
    language         text,
    reminders_sent   integer NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),
    next_reminder_at timestamptz,
    last_inbound_at  timestamptz,
    last_outbound_at timestamptz,
    started_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, wave_id, contact_id),
    UNIQUE (program_id, invitation_id),
    FOREIGN KEY (program_id, wave_id, site_id)
        REFERENCES wave_sites (program_id, wave_id, site_id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, contact_id) REFERENCES contacts (program_id, id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, invitation_id)
        REFERENCES invitations (program_id, id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, response_id)
        REFERENCES responses (program_id, id) ON DELETE SET NULL (response_id)
);
CREATE INDEX sms_conversations_contact ON sms_conversations (program_id, contact_id);
CREATE INDEX sms_conversations_reminder ON sms_conversations (next_reminder_at)
    WHERE next_reminder_at IS NOT NULL;
CREATE INDEX sms_conversations_active ON sms_conversations (program_id, wave_id)
    WHERE status IN ('choosing_language', 'in_progress', 'opted_out');

-- Every text in or out. Outbound rows are also the job queue: a worker claims due
-- 'queued' rows with FOR UPDATE SKIP LOCKED, commits 'sending' before it calls the
-- provider, and records the outcome after. A 'sending' row whose worker is gone
-- (its database session ended, or the lease ran out) goes back to 'queued' with
-- maybe_duplicate set: the provider may have it already (see README, "duplicates").
CREATE TABLE sms_messages (
    program_id      bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    -- outbound: invitation, link_reminder, conversation, reminder, reply;
    -- inbound: answer, invalid, language, opt_out, opt_in, help, ignored, ...
    kind            text NOT NULL,
    wave_id         bigint,
    contact_id      bigint,
    conversation_id bigint,
    invitation_id   bigint,
    language        text,
    provider_sid    text,
    body            text,
    segments        integer NOT NULL DEFAULT 1 CHECK (segments >= 0),
    encoding        text,
    state           text NOT NULL CHECK (state IN
                        ('received', 'queued', 'sending', 'sent', 'failed', 'canceled')),
    delivery_status text,
    error_code      integer,
    error           text,
    send_at         timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    maybe_duplicate boolean NOT NULL DEFAULT false,
    claimed_by      integer,
    claimed_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    status_at       timestamptz,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, provider_sid),
    CHECK (direction = 'outbound' OR body IS NULL),
    FOREIGN KEY (program_id, wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, contact_id)
        REFERENCES contacts (program_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (program_id, conversation_id)
        REFERENCES sms_conversations (program_id, id) ON DELETE SET NULL (conversation_id),
    FOREIGN KEY (program_id, invitation_id)
        REFERENCES invitations (program_id, id) ON DELETE SET NULL (invitation_id)
);
CREATE INDEX sms_messages_due ON sms_messages (send_at, id) WHERE state = 'queued';
CREATE INDEX sms_messages_sending ON sms_messages (claimed_at) WHERE state = 'sending';
CREATE INDEX sms_messages_conversation ON sms_messages (program_id, conversation_id, id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX sms_messages_wave_contact ON sms_messages (program_id, wave_id, contact_id)
    WHERE direction = 'outbound';

-- Provider message ids already handled, with the replies we gave, so a retried
-- webhook changes nothing and gets the same TwiML. Pruned after a week.
CREATE TABLE sms_inbound_receipts (
    message_sid text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    replies     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX sms_inbound_receipts_received ON sms_inbound_receipts (received_at);

-- Per sending number: the GCRA "theoretical arrival time" of the rate limiter
-- (survey.sms.schedule.reserve_slot). Workers lock the row while they reserve.
CREATE TABLE sms_senders (
    number     text PRIMARY KEY,
    tat        timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
