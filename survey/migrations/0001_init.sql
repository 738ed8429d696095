-- Foundation schema.
--
-- Tenancy rule: every table that holds a program's data carries program_id and
-- includes it in its primary key and in every unique key and foreign key, so the
-- schema can be distributed by program_id on Citus without a rewrite. Tables
-- without program_id (users, api_keys, questionnaire_versions) are small global
-- tables that would become Citus reference tables.

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('admin', 'grantee', 'evaluator')),
    password_hash text,
    locale        text NOT NULL DEFAULT 'en',
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    UNIQUE (user_id, name)
);

CREATE TABLE programs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name             text NOT NULL,
    contact_email    text NOT NULL DEFAULT '',
    contact_phone    text NOT NULL DEFAULT '',
    default_language text NOT NULL DEFAULT 'en',
    quiet_start      time NOT NULL DEFAULT '09:00',
    quiet_end        time NOT NULL DEFAULT '20:00',
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE program_members (
    program_id bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (program_id, user_id)
);
CREATE INDEX program_members_user ON program_members (user_id);

CREATE TABLE sites (
    program_id bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    name       text NOT NULL,
    kind       text NOT NULL DEFAULT 'county' CHECK (kind IN ('county', 'city', 'neighborhood', 'tribe', 'other')),
    timezone   text NOT NULL DEFAULT 'America/Los_Angeles',
    comparison boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, name)
);

CREATE TABLE questionnaire_versions (
    content_hash     text PRIMARY KEY,
    questionnaire_id text NOT NULL,
    version          text NOT NULL,
    definition       jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (questionnaire_id, version, content_hash)
);

CREATE TABLE waves (
    program_id         bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    name               text NOT NULL,
    phase              text NOT NULL CHECK (phase IN ('pre', 'post', 'follow_up', 'pulse')),
    questionnaire_id   text NOT NULL,
    questionnaire_hash text REFERENCES questionnaire_versions (content_hash),
    languages          text[] NOT NULL DEFAULT '{en}',
    default_language   text NOT NULL DEFAULT 'en',
    channels           text[] NOT NULL DEFAULT '{web}',
    sms_mode           text NOT NULL DEFAULT 'link' CHECK (sms_mode IN ('link', 'conversation')),
    allow_unreviewed   boolean NOT NULL DEFAULT false,
    opens_at           timestamptz,
    closes_at          timestamptz,
    state              text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
    launched_at        timestamptz,
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    CHECK (channels <@ '{web,sms}' AND cardinality(channels) > 0),
    CHECK (cardinality(languages) > 0 AND default_language = ANY (languages)),
    CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at),
    CHECK (state = 'draft' OR questionnaire_hash IS NOT NULL)
);

CREATE TABLE wave_sites (
    program_id bigint NOT NULL,
    wave_id    bigint NOT NULL,
    site_id    bigint NOT NULL,
    target_n   integer NOT NULL DEFAULT 0 CHECK (target_n >= 0),
    PRIMARY KEY (program_id, wave_id, site_id),
    FOREIGN KEY (program_id, wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, site_id) REFERENCES sites (program_id, id)
);

-- Pseudonymous panel members: no PII here, only a random pseudonym.
CREATE TABLE panel_members (
    program_id bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    pseudonym  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, pseudonym)
);

-- PII lives here and only here: phone numbers, and the program's own panel codes.
CREATE TABLE contacts (
    program_id         bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    phone_e164         text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    preferred_language text NOT NULL DEFAULT 'en',
    site_id            bigint,
    panel_code         text,
    panel_member_id    bigint,
    consent_status     text NOT NULL DEFAULT 'unknown' CHECK (consent_status IN ('unknown', 'granted', 'revoked')),
    consent_source     text,
    consent_at         timestamptz,
    opted_out_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, phone_e164),
    UNIQUE (program_id, panel_code),
    FOREIGN KEY (program_id, site_id) REFERENCES sites (program_id, id),
    FOREIGN KEY (program_id, panel_member_id) REFERENCES panel_members (program_id, id)
);

-- Personal invitations. The token is shown once; only its SHA-256 is kept.
CREATE TABLE invitations (
    program_id      bigint NOT NULL,
    -- BY DEFAULT so bulk issuing can reserve ids and COPY rows with them.
    id              bigint GENERATED BY DEFAULT AS IDENTITY,
    wave_id         bigint NOT NULL,
    site_id         bigint NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('web', 'sms')),
    token_hash      bytea NOT NULL,
    contact_id      bigint,
    panel_member_id bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    completed_at    timestamptz,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, token_hash),
    FOREIGN KEY (program_id, wave_id, site_id) REFERENCES wave_sites (program_id, wave_id, site_id) ON DELETE CASCADE,
    FOREIGN KEY (program_id, contact_id) REFERENCES contacts (program_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (program_id, panel_member_id) REFERENCES panel_members (program_id, id)
);
CREATE INDEX invitations_wave ON invitations (program_id, wave_id, site_id);

-- Open links (one per wave and site) are public by design: printed on flyers.
CREATE TABLE open_links (
    program_id bigint NOT NULL,
    wave_id    bigint NOT NULL,
    site_id    bigint NOT NULL,
    code       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, wave_id, site_id),
    UNIQUE (program_id, code),
    FOREIGN KEY (program_id, wave_id, site_id) REFERENCES wave_sites (program_id, wave_id, site_id) ON DELETE CASCADE
);

CREATE TABLE responses (
    program_id         bigint NOT NULL,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    wave_id            bigint NOT NULL,
    site_id            bigint NOT NULL,
    invitation_id      bigint,
    panel_member_id    bigint,
    language           text NOT NULL,
    channel            text NOT NULL CHECK (channel IN ('web', 'sms', 'paper')),
    questionnaire_hash text NOT NULL REFERENCES questionnaire_versions (content_hash),
    status             text NOT NULL DEFAULT 'partial' CHECK (status IN ('partial', 'complete')),
    resume_key_hash    bytea,
    duplicate_suspect  boolean NOT NULL DEFAULT false,
    started_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    submitted_at       timestamptz,
    PRIMARY KEY (program_id, id),
    -- A personal invitation yields at most one response, ever.
    UNIQUE (program_id, invitation_id),
    UNIQUE (program_id, resume_key_hash),
    CHECK ((status = 'complete') = (submitted_at IS NOT NULL)),
    FOREIGN KEY (program_id, wave_id, site_id) REFERENCES wave_sites (program_id, wave_id, site_id),
    FOREIGN KEY (program_id, invitation_id) REFERENCES invitations (program_id, id),
    FOREIGN KEY (program_id, panel_member_id) REFERENCES panel_members (program_id, id)
);
CREATE INDEX responses_wave ON responses (program_id, wave_id, site_id, status);

CREATE TABLE answers (
    program_id  bigint NOT NULL,
    response_id bigint NOT NULL,
    item_id     text NOT NULL,
    value_num   double precision,
    value_text  text,
    value_codes text[],
    missing     text CHECK (missing IN ('dont_know', 'prefer_not', 'skipped')),
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, response_id, item_id),
    FOREIGN KEY (program_id, response_id) REFERENCES responses (program_id, id) ON DELETE CASCADE
);

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id bigint,
    user_id    bigint,
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    detail     jsonb NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_program ON audit_log (program_id, at);

-- Dashboard logins: the cookie carries a random id; only its hash is stored.
CREATE TABLE sessions (
    id_hash    bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- A wave's questionnaire is frozen at launch and may not change once anyone answered.
CREATE FUNCTION waves_guard_questionnaire() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.questionnaire_hash IS DISTINCT FROM OLD.questionnaire_hash
        OR NEW.questionnaire_id IS DISTINCT FROM OLD.questionnaire_id)
       AND EXISTS (SELECT 1 FROM responses r
                   WHERE r.program_id = OLD.program_id AND r.wave_id = OLD.id) THEN
        RAISE EXCEPTION 'wave % already has responses; its questionnaire cannot change', OLD.id
            USING ERRCODE = 'check_violation', COLUMN = 'questionnaire_id';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER waves_guard_questionnaire BEFORE UPDATE ON waves
    FOR EACH ROW EXECUTE FUNCTION waves_guard_questionnaire();
