-- Web survey: duplicate suspicion for open links.
--
-- An open link (printed on a flyer) cannot tell people apart, so a second complete
-- response from the same client within a window is flagged (responses.duplicate_suspect),
-- never dropped. The client is remembered only as a keyed hash of its address and user
-- agent (HMAC with the service's secret key): no raw IP address is stored, the hash is
-- kept apart from responses (no response id here), and rows older than the window are
-- pruned as new ones arrive.
CREATE TABLE open_link_clients (
    program_id   bigint NOT NULL,
    wave_id      bigint NOT NULL,
    fingerprint  bytea NOT NULL,
    completes    integer NOT NULL DEFAULT 0 CHECK (completes >= 0),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, wave_id, fingerprint),
    FOREIGN KEY (program_id, wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE
);
CREATE INDEX open_link_clients_seen ON open_link_clients (program_id, wave_id, last_seen_at);
