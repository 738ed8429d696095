-- Reports: a changed response is taken back with the answers the cache counted, kept
-- with the change (0015_report_cache_changes).
--
-- 0015 took a changed response back out of its wave's cache with the answers it has
-- when the refresh runs, on the ground that the answers of a completed response never
-- change. A reopened response breaks that: it is partial again, and the survey's own
-- statements (response-answer-upsert, response-answers-keep-only) take answers for a
-- partial response. Reopened, answered again and reported before or after it was
-- completed again, the response was taken back with its new answers, not with those
-- the cache had counted, and the report was wrong until the wave was built again.
--
-- The trigger now keeps, with the response's old columns, the answers a refresh
-- reads, as they are when the change happens: those with a number (scores, item
-- counts) and those with one code (weighting cells). Up to the oldest change a cache
-- did not see, the response was complete all along, so its answers were those it
-- counted. report-cache-add reads a taken-back version's answers from there.
--
-- Changes recorded before this migration have no answers kept: their waves' caches are
-- emptied (as a deletion does), and the next report or `survey warm` builds them again.

ALTER TABLE report_cache_changes
    ADD COLUMN old_num_items  text[],
    ADD COLUMN old_num_values float8[],
    ADD COLUMN old_code_items text[],
    ADD COLUMN old_codes      text[];

CREATE OR REPLACE FUNCTION responses_changed_after_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.completed_xid IS DISTINCT FROM pg_current_xact_id() THEN
        INSERT INTO report_cache_changes (
            program_id, wave_id, response_id, old_wave_id, old_status, old_site_id,
            old_language, old_panel_member_id, old_duplicate, old_submitted_at,
            old_channel, old_invited, old_completed_xid,
            old_num_items, old_num_values, old_code_items, old_codes)
        SELECT OLD.program_id, w, OLD.id, OLD.wave_id, OLD.status, OLD.site_id,
               OLD.language, OLD.panel_member_id, OLD.duplicate_suspect, OLD.submitted_at,
               OLD.channel, OLD.invitation_id IS NOT NULL, OLD.completed_xid,
               a.num_items, a.num_values, a.code_items, a.codes
        FROM unnest(CASE WHEN NEW.wave_id = OLD.wave_id THEN ARRAY[OLD.wave_id]
                         ELSE ARRAY[OLD.wave_id, NEW.wave_id] END) AS w,
             (SELECT coalesce(array_agg(x.item_id) FILTER (WHERE x.num), '{}') AS num_items,
                     coalesce(array_agg(x.value_num) FILTER (WHERE x.num), '{}') AS num_values,
                     coalesce(array_agg(x.item_id) FILTER (WHERE x.code), '{}') AS code_items,
                     coalesce(array_agg(x.value_codes[1]) FILTER (WHERE x.code), '{}') AS codes
              FROM (SELECT item_id, value_num, value_codes,
                           value_num IS NOT NULL AND missing IS NULL AS num,
                           cardinality(value_codes) = 1 AS code
                    FROM answers
                    WHERE program_id = OLD.program_id AND response_id = OLD.id) x) a;
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    w record;
BEGIN
    FOR w IN SELECT DISTINCT program_id, wave_id FROM report_cache_changes LOOP
        PERFORM report_cache_invalidate_sums(w.program_id, w.wave_id);
    END LOOP;
END $$;
