-- Reports: a deleted response is taken back out of its wave's cache, not the cache
-- built again (0015_report_cache_changes, 0016_report_cache_changes_answers).
--
-- Since 0015 a changed response is taken back as the cache counted it, from its row in
-- report_cache_changes, and since 0016 that row keeps the answers it was counted with.
-- A deletion still moved the wave's epoch (0014): the answers went with the response
-- (ON DELETE CASCADE), leaving nothing to take back, so the next report or warm pass
-- built the wave's cache from nothing, about 15 s per wave at a million responses, for
-- one deleted response.
--
-- Now a deletion is recorded as a change, with the answers, before the cascade takes
-- them: in a BEFORE ROW trigger, the last point where they are there (the cascade runs
-- after the row is gone, and an AFTER STATEMENT trigger after the cascade). The refresh
-- takes the version back (-1) and adds nothing (+1 is for a response complete in the
-- wave now). As for any change, it is recorded whether the wave has a cache or not: a
-- build in flight may have counted the response (0015). Not for a response completed
-- by the deleting transaction itself, which no cache can have seen.
--
-- The change row, and the answers a refresh reads, are now written by one function
-- for every trigger that records a change.

CREATE FUNCTION report_cache_counted_answers(
    p_program bigint, p_response bigint,
    OUT num_items text[], OUT num_values float8[], OUT code_items text[], OUT codes text[])
LANGUAGE sql STABLE AS $$
    -- Those with a number (scores, item counts) and those with one code (weighting
    -- cells), as report-cache-add reads them from answers.
    SELECT coalesce(array_agg(x.item_id) FILTER (WHERE x.num), '{}'),
           coalesce(array_agg(x.value_num) FILTER (WHERE x.num), '{}'),
           coalesce(array_agg(x.item_id) FILTER (WHERE x.code), '{}'),
           coalesce(array_agg(x.value_codes[1]) FILTER (WHERE x.code), '{}')
    FROM (SELECT item_id, value_num, value_codes,
                 value_num IS NOT NULL AND missing IS NULL AS num,
                 cardinality(value_codes) = 1 AS code
          FROM answers
          WHERE program_id = p_program AND response_id = p_response) x
$$;

-- One change row per wave in p_waves, holding the response as p_old has it, with the
-- answers it has now: what every trigger that records a change writes.
CREATE FUNCTION report_cache_record_change(p_old responses, p_waves bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO report_cache_changes (
        program_id, wave_id, response_id, old_wave_id, old_status, old_site_id,
        old_language, old_panel_member_id, old_duplicate, old_submitted_at,
        old_channel, old_invited, old_completed_xid,
        old_num_items, old_num_values, old_code_items, old_codes)
    SELECT p_old.program_id, w, p_old.id, p_old.wave_id, p_old.status, p_old.site_id,
           p_old.language, p_old.panel_member_id, p_old.duplicate_suspect,
           p_old.submitted_at, p_old.channel, p_old.invitation_id IS NOT NULL,
           p_old.completed_xid, a.num_items, a.num_values, a.code_items, a.codes
    FROM unnest(p_waves) AS w,
         report_cache_counted_answers(p_old.program_id, p_old.id) a
$$;

CREATE OR REPLACE FUNCTION responses_changed_after_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        PERFORM report_cache_record_change(
            OLD, CASE WHEN NEW.wave_id = OLD.wave_id THEN ARRAY[OLD.wave_id]
                      ELSE ARRAY[OLD.wave_id, NEW.wave_id] END);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION responses_deleting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        PERFORM report_cache_record_change(OLD, ARRAY[OLD.wave_id]);
    END IF;
    RETURN OLD;
END $$;

-- On Citus the report triggers were dropped when responses was distributed, and the
-- cache is not used (0006, 0011): nothing to replace.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'responses'::regclass
                   AND tgname = 'responses_deleted') THEN
        RETURN;
    END IF;
    DROP TRIGGER responses_deleted ON responses;
    CREATE TRIGGER responses_deleting BEFORE DELETE ON responses
        FOR EACH ROW WHEN (OLD.status = 'complete')
        EXECUTE FUNCTION responses_deleting();
END $$;

DROP FUNCTION responses_deleted();
