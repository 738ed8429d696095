-- An edit of a completed response's answers by hand is taken back out of the report
-- cache and rendered again into the export cells, the way a flag or a deletion is
-- (0015_report_cache_changes, 0016, 0018). Until now whoever edited answers had to call
-- report_cache_invalidate, which emptied the wave's report caches and export cells:
-- at a million responses about 15 s per wave to build the caches again and 80 s to
-- render the cells, for one corrected answer; and an edit without the call left them
-- wrong.
--
-- Report caches: a BEFORE UPDATE OR DELETE row trigger on answers records the response
-- as a change, with the answers it has then, the first time its answers change in a
-- transaction (before any of them has). The refresh takes that version back and adds
-- the response as it is now. A response already changed by this transaction has its
-- row recorded already, holding the version from before the transaction: the one a
-- cache can have counted. Skipped for a response that is not complete, or that this
-- transaction completed (no cache can have counted it), and for answers going with a
-- deleted response (0018 recorded it; the response row is gone by then).
--
-- Export cells: a constraint trigger renders the response again at commit, once, after
-- every edit of the transaction, as 0017 renders a moved response; the cells a move
-- left in the response's other waves go (found by tests/export/test_export_cells_model
-- .py: moved, edited, moved back, and the cell from before the edit was used).
--
-- Answers inserted by hand into a completed response are not covered: a trigger on
-- INSERT would run for each of the 40-odd answers of every submitted response. Whoever
-- adds one still calls report_cache_invalidate. The survey's own statements take
-- answers for partial responses only (response-answer-upsert, response-answers-keep-
-- only), which these triggers let through after one lookup of the response.

CREATE FUNCTION answers_edited_after_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r responses;
BEGIN
    SELECT * INTO r FROM responses WHERE program_id = OLD.program_id AND id = OLD.response_id;
    IF r.status = 'complete' AND r.completed_xid IS DISTINCT FROM pg_current_xact_id()
       AND NOT EXISTS (
           SELECT FROM report_cache_changes c
           WHERE c.program_id = r.program_id AND c.wave_id = r.wave_id
             AND c.xid = pg_current_xact_id() AND c.response_id = r.id)
    THEN
        INSERT INTO report_cache_changes (
            program_id, wave_id, response_id, old_wave_id, old_status, old_site_id,
            old_language, old_panel_member_id, old_duplicate, old_submitted_at,
            old_channel, old_invited, old_completed_xid,
            old_num_items, old_num_values, old_code_items, old_codes)
        SELECT r.program_id, r.wave_id, r.id, r.wave_id, r.status, r.site_id,
               r.language, r.panel_member_id, r.duplicate_suspect, r.submitted_at,
               r.channel, r.invitation_id IS NOT NULL, r.completed_xid,
               a.num_items, a.num_values, a.code_items, a.codes
        FROM report_cache_counted_answers(r.program_id, r.id) a;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

-- At commit, once per response: a cell this transaction wrote is already rendered from
-- the answers as they now are (all deferred renders run after the last edit).
CREATE FUNCTION answers_edited_cells() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT FROM responses r
        WHERE r.program_id = OLD.program_id AND r.id = OLD.response_id
          AND r.status = 'complete' AND r.completed_xid IS DISTINCT FROM pg_current_xact_id()
          AND NOT EXISTS (
              SELECT FROM export_cells c
              WHERE c.program_id = r.program_id AND c.wave_id = r.wave_id
                AND c.response_id = r.id AND c.xmin = pg_current_xact_id()::xid))
    THEN
        -- A cell a move left in another wave (0017) holds the answers before this edit,
        -- and a move back would take it as current.
        DELETE FROM export_cells c USING responses r
        WHERE c.program_id = OLD.program_id AND c.response_id = OLD.response_id
          AND r.program_id = c.program_id AND r.id = c.response_id AND c.wave_id <> r.wave_id;
        BEGIN
            PERFORM export_cells_render(ARRAY[OLD.program_id], ARRAY[OLD.response_id]);
        EXCEPTION WHEN OTHERS THEN
            -- Left out, the cell no longer matches: the export renders the response from
            -- its answers (0014), and the edit stands.
            RAISE WARNING 'export cells of response % not rendered: %', OLD.response_id, SQLERRM;
            DELETE FROM export_cells
            WHERE program_id = OLD.program_id AND response_id = OLD.response_id;
        END;
    END IF;
    RETURN NULL;
END $$;

-- Not on Citus, where neither cache is kept (0006, 0007). Only for statements run
-- directly, not from a trigger: a deleted response's answers go by the foreign key's
-- cascade, from its trigger, and there both triggers would fire for each of them (some
-- 40 per response, each then queued until commit) to find the response gone.
DO $$
BEGIN
    IF NOT survey_is_distributed() THEN
        CREATE TRIGGER answers_edited_after_complete BEFORE UPDATE OR DELETE ON answers
            FOR EACH ROW WHEN (pg_trigger_depth() = 0)
            EXECUTE FUNCTION answers_edited_after_complete();
        CREATE CONSTRAINT TRIGGER answers_edited_cells AFTER UPDATE OR DELETE ON answers
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (pg_trigger_depth() = 0)
            EXECUTE FUNCTION answers_edited_cells();
    END IF;
END $$;
