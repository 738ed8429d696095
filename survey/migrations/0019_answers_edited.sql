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
-- transaction completed (no cache can have counted it). Answers going with a deleted
-- response do not fire it: the cascade runs from a trigger (below), and 0018 recorded
-- the response.
--
-- Export cells: the same trigger puts the response in export_cells_pending, once per
-- transaction, and a constraint trigger on that table renders it again at commit, after
-- every edit, as 0017 renders a moved response, and removes it. (A constraint trigger on
-- answers fired once per edited answer, and could not tell whether the response was
-- rendered already: the render runs in a subtransaction, so its cell's xmin is not the
-- transaction's. 13 renders per response: 16 s to edit 1,000 responses at 1M.) The
-- cells a move left in the response's other waves go too (found by
-- tests/export/test_export_cells_model.py: moved, edited, moved back, and the cell
-- from before the edit was used). Like 0007's render of a completion, it counts on
-- firing at commit: under SET CONSTRAINTS ... IMMEDIATE it would fire inside the
-- trigger on answers, before the edit, so an edit made that way must call
-- report_cache_invalidate.
--
-- Each edited response costs about 0.5 ms at commit (1,000 responses, 13,441 answers:
-- 0.57-0.63 s against 0.07-0.08 s without these triggers, at a million responses). An
-- edit of most of a wave is cheaper the old way: `SET LOCAL survey.edit_in_bulk = on`
-- turns these triggers off for the transaction, which then calls
-- report_cache_invalidate for the wave.
--
-- Answers inserted by hand into a completed response are not covered: a trigger on
-- INSERT would run for each of the 40-odd answers of every submitted response. Whoever
-- adds one still calls report_cache_invalidate. The survey's own statements take
-- answers for partial responses only (response-answer-upsert, response-answers-keep-
-- only), which these triggers let through after one lookup of the response.

-- Whether this transaction recorded a response already, looked up for each answer it
-- edits. By the wave's index it read the transaction's change rows in the wave for
-- each: 1,000 responses edited at once took 1.35 s at 1M against 0.58 s.
CREATE INDEX report_cache_changes_response ON report_cache_changes (program_id, response_id, xid);

CREATE FUNCTION answers_edited_after_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r responses;
BEGIN
    IF current_setting('survey.edit_in_bulk', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    SELECT * INTO r FROM responses WHERE program_id = OLD.program_id AND id = OLD.response_id;
    IF r.status = 'complete' AND r.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        IF NOT EXISTS (
            SELECT FROM report_cache_changes c
            WHERE c.program_id = r.program_id AND c.response_id = r.id
              AND c.xid = pg_current_xact_id())
        THEN
            PERFORM report_cache_record_change(r, ARRAY[r.wave_id]);
        END IF;
        INSERT INTO export_cells_pending (program_id, response_id)
        VALUES (r.program_id, r.id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

-- Responses whose answers this transaction edited, to render again at commit; empty
-- between transactions.
CREATE TABLE export_cells_pending (
    program_id  bigint NOT NULL,
    response_id bigint NOT NULL,
    PRIMARY KEY (program_id, response_id)
);

CREATE FUNCTION export_cells_pending_render() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_programs bigint[];
    v_ids bigint[];
BEGIN
    -- The first to fire at commit takes every response the transaction put here (only
    -- its own rows are there to see) and renders them in one statement; the others
    -- find theirs gone. (Rendered one call per response, 1,000 took 1.5 s at 1M
    -- against 0.5 s.)
    WITH gone AS (DELETE FROM export_cells_pending RETURNING program_id, response_id)
    SELECT array_agg(program_id), array_agg(response_id) INTO v_programs, v_ids FROM gone;
    IF v_ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- A cell a move left in another wave (0017) holds the answers from before this
    -- edit, and a move back would take it as current. Found by wave, the key's second
    -- column: by response alone, each read all the program's cells.
    DELETE FROM export_cells c
    USING unnest(v_programs, v_ids) AS n (program_id, id)
    JOIN responses r ON r.program_id = n.program_id AND r.id = n.id
    JOIN waves w ON w.program_id = r.program_id AND w.id <> r.wave_id
    WHERE c.program_id = n.program_id AND c.wave_id = w.id AND c.response_id = n.id;
    BEGIN
        PERFORM export_cells_render(v_programs, v_ids);
    EXCEPTION WHEN OTHERS THEN
        -- Left out, the cells no longer match: the export renders these responses from
        -- their answers (0014), and the edits stand.
        RAISE WARNING 'export cells of % edited response(s) not rendered: %',
            cardinality(v_ids), SQLERRM;
        DELETE FROM export_cells c
        USING unnest(v_programs, v_ids) AS n (program_id, id)
        JOIN responses r ON r.program_id = n.program_id AND r.id = n.id
        WHERE c.program_id = n.program_id AND c.wave_id = r.wave_id AND c.response_id = n.id;
    END;
    RETURN NULL;
END $$;

-- Not on Citus, where neither cache is kept (0006, 0007). Only for statements run
-- directly, not from a trigger: a deleted response's answers go by the foreign key's
-- cascade, from its trigger, and there the trigger would fire for each of them (some
-- 40 per response) to find the response gone.
DO $$
BEGIN
    IF NOT survey_is_distributed() THEN
        CREATE TRIGGER answers_edited_after_complete BEFORE UPDATE OR DELETE ON answers
            FOR EACH ROW WHEN (pg_trigger_depth() = 0)
            EXECUTE FUNCTION answers_edited_after_complete();
        CREATE CONSTRAINT TRIGGER export_cells_pending_render
            AFTER INSERT ON export_cells_pending
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION export_cells_pending_render();
    END IF;
END $$;

-- 0015's plan with the new tenant table: extended, not restated.
ALTER FUNCTION survey_distribution_plan() RENAME TO survey_distribution_plan_0015;
CREATE FUNCTION survey_distribution_plan()
RETURNS TABLE (step integer, table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM survey_distribution_plan_0015()
    UNION ALL
    VALUES (33, 'export_cells_pending', 'distributed', 'program_id')
$$;

-- A database already distributed distributes the new table now, as 0011 did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
