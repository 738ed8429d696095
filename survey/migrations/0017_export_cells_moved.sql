-- Export cells: a completed response moved to another wave is rendered into that wave's
-- cells, as a response completing there is (0007_export_cells, 0009_submit_path).
--
-- A cell is used only while its response is complete in the cell's wave (0014), so a
-- response moved to another wave kept an export right: it was rendered from its answers
-- at every export of its new wave. But it never got a cell there, since only a
-- completion renders one and an export adds only responses completed since its
-- snapshot; a wave that took many moved responses exported each of them the slow way
-- for ever. Found by tests/export/test_export_cells_model.py (hypothesis): one move,
-- and the new wave had one complete response fewer among its current cells.
--
-- The completion's trigger function, on a move: it renders the response into the new
-- wave's cells if that wave keeps cells, at commit. The cell left in the old wave is
-- unused (wrong wave) and right again if the response moves back. Responses moved
-- before this migration are rendered into their new wave's cells below.

DO $$
BEGIN
    IF NOT survey_is_distributed() THEN
        CREATE CONSTRAINT TRIGGER export_cells_moved AFTER UPDATE OF wave_id ON responses
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (NEW.status = 'complete' AND NEW.wave_id <> OLD.wave_id)
            EXECUTE FUNCTION export_cells_on_complete();
    END IF;
END $$;

-- Responses moved before this migration: rendered into their wave's cells now (one
-- pass over the complete responses of waves that keep cells).
DO $$
BEGIN
    IF NOT survey_is_distributed() THEN
        PERFORM export_cells_render(array_agg(r.program_id), array_agg(r.id))
        FROM responses r
        JOIN export_cells_state s ON s.program_id = r.program_id AND s.wave_id = r.wave_id
        WHERE r.status = 'complete'
          AND NOT EXISTS (
              SELECT FROM export_cells c
              WHERE c.program_id = r.program_id AND c.wave_id = r.wave_id
                AND c.response_id = r.id AND c.completed_xid IS NOT DISTINCT FROM r.completed_xid
          );
    END IF;
END $$;
