-- Reports: frequency tables kept up to date incrementally.
--
-- A report needs only sums and counts per site × wave (survey/sql/report.sql), and
-- sums can be merged. So the aggregate of a wave is computed once and then extended
-- with the responses completed since, instead of scanning every answer again: at a
-- million responses that is the difference between a minute and a few hundred ms.
--
-- Which responses are new is decided by transaction visibility, not by ids or clocks,
-- because responses commit out of order. Completing a response stamps it with the id
-- of the completing transaction (responses.completed_xid). A cache records the MVCC
-- snapshot it was built from; the next refresh adds exactly the responses whose
-- completing transaction is visible now but was not visible in that snapshot
-- (pg_visible_in_snapshot). Nothing is counted twice or missed, whatever the commit
-- order.
--
-- A completed response that changes later (a different flag or site, a purge) empties
-- its wave's cache, which the next report rebuilds from scratch; the triggers below
-- see to that, so no code path can leave a report stale by changing a response.
-- Answers are guarded where they are written instead: the statements that write them
-- (survey/sql/responses.sql) leave a response alone once another transaction has
-- completed it. A trigger on answers would cost every page of every survey a check;
-- an edit by hand must call report_cache_invalidate(program_id, wave_id).
--
-- A cache is per wave and per signature: a hash of the scoring spec (constructs,
-- items, reverse coding) and the weighting items, which are what the cached rows
-- depend on. Both waves of a pre/post report are scored with the post wave's
-- questionnaire, and weighting cells follow the uploaded margins.

ALTER TABLE responses ADD COLUMN completed_xid xid8;
CREATE INDEX responses_completed_xid ON responses (program_id, wave_id, completed_xid);

CREATE FUNCTION responses_stamp_completed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.completed_xid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TRIGGER responses_stamp_completed_insert BEFORE INSERT ON responses
    FOR EACH ROW WHEN (NEW.status = 'complete') EXECUTE FUNCTION responses_stamp_completed();
CREATE TRIGGER responses_stamp_completed_update BEFORE UPDATE OF status ON responses
    FOR EACH ROW WHEN (NEW.status = 'complete' AND OLD.status <> 'complete')
    EXECUTE FUNCTION responses_stamp_completed();

CREATE TABLE report_cache_state (
    program_id bigint NOT NULL,
    wave_id    bigint NOT NULL,
    signature  text NOT NULL,
    snap       pg_snapshot NOT NULL,
    batches    integer NOT NULL DEFAULT 1,
    responses  bigint NOT NULL DEFAULT 0,
    built_at   timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, wave_id, signature),
    FOREIGN KEY (program_id, wave_id) REFERENCES waves (program_id, id) ON DELETE CASCADE
);

-- One row per group; refreshes append a batch of rows and reads sum them, so a row is
-- never updated in place. Columns by kind (as survey/sql/report.sql returns them):
--   cell        cell                                   n
--   item        key=item,      g1=value, cell          n
--   score       key=construct, g1=total, g2=answered, cell  n
--   alpha       key=construct, language; s1=Σtotal, s2=Σtotal², s3=Σsquares  n
--   alpha_item  key=construct, language, g2=place; s1=Σitem        n
CREATE TABLE report_cache_rows (
    program_id bigint NOT NULL,
    wave_id    bigint NOT NULL,
    signature  text NOT NULL,
    kind       text NOT NULL,
    site_id    bigint NOT NULL,
    duplicate  boolean NOT NULL,
    key        text,
    cell       text,
    language   text,
    g1         double precision,
    g2         bigint,
    s1         double precision,
    s2         double precision,
    s3         double precision,
    n          bigint NOT NULL
);
CREATE INDEX report_cache_rows_key ON report_cache_rows (program_id, signature, wave_id);

-- Panel members' scale scores, one row per response: the constructs it has a valid
-- score for, with their totals and answered counts (parallel arrays). Pairs need each
-- member's latest response per wave, which is not a sum, so they are worked out at
-- read time from these rows.
CREATE TABLE report_cache_panel (
    program_id      bigint NOT NULL,
    wave_id         bigint NOT NULL,
    signature       text NOT NULL,
    response_id     bigint NOT NULL,
    site_id         bigint NOT NULL,
    panel_member_id bigint NOT NULL,
    submitted_at    timestamptz NOT NULL,
    duplicate       boolean NOT NULL,
    constructs      text[] NOT NULL,
    totals          double precision[] NOT NULL,
    answered        bigint[] NOT NULL
);
CREATE INDEX report_cache_panel_key ON report_cache_panel (program_id, signature, wave_id);

CREATE FUNCTION report_cache_invalidate(p_program bigint, p_wave bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The same lock a refresh holds: a refresh in flight finishes before this one
    -- empties the cache, and the next refresh starts from scratch.
    PERFORM pg_advisory_xact_lock(hashtextextended('report-cache:' || p_program || ':' || p_wave, 0));
    DELETE FROM report_cache_state WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_rows WHERE program_id = p_program AND wave_id = p_wave;
    DELETE FROM report_cache_panel WHERE program_id = p_program AND wave_id = p_wave;
END $$;

-- A completed response changed by a later transaction than the one that completed it.
CREATE FUNCTION responses_changed_after_complete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        PERFORM report_cache_invalidate(OLD.program_id, OLD.wave_id);
        IF NEW.wave_id <> OLD.wave_id THEN
            PERFORM report_cache_invalidate(NEW.program_id, NEW.wave_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER responses_changed_after_complete AFTER UPDATE ON responses
    FOR EACH ROW WHEN (OLD.status = 'complete' AND (
        NEW.status, NEW.wave_id, NEW.site_id, NEW.language, NEW.panel_member_id,
        NEW.duplicate_suspect, NEW.submitted_at
    ) IS DISTINCT FROM (
        OLD.status, OLD.wave_id, OLD.site_id, OLD.language, OLD.panel_member_id,
        OLD.duplicate_suspect, OLD.submitted_at
    ))
    EXECUTE FUNCTION responses_changed_after_complete();

CREATE FUNCTION responses_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    w record;
BEGIN
    FOR w IN SELECT DISTINCT program_id, wave_id FROM old_rows WHERE status = 'complete' LOOP
        PERFORM report_cache_invalidate(w.program_id, w.wave_id);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER responses_deleted AFTER DELETE ON responses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION responses_deleted();
