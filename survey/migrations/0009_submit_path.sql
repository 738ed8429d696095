-- The one-page form's write path (survey.services.submit_batch), cheaper in PostgreSQL.
--
-- Measured with pg_stat_statements under the submit benchmark (16 clients):
-- * the batched link lookup spent 1.0 ms planning for 0.1 ms running, every call:
--   with its input in arrays, the planner's generic estimate never looks cheaper
--   than a custom plan, so it planned a six-way join afresh each time. As a function
--   with plan_cache_mode = force_generic_plan it is planned once per connection.
--   The plan is the same one (each link found by its token: tests hold it).
-- * each completed response's export cells were rendered by a deferred row trigger
--   at commit (0007): a PL/pgSQL call, a subtransaction and an INSERT per response.
--   survey_submit_batch renders a whole batch's cells in one statement, from the
--   answers it has just written, and the trigger then finds them and stops early.

CREATE FUNCTION survey_invitation_entries(p_programs bigint[], p_hashes bytea[])
RETURNS TABLE (pos bigint, program_id bigint, invitation_id bigint, wave_id bigint,
               site_id bigint, panel_member_id bigint, state text,
               opens_at timestamptz, closes_at timestamptz, languages text[],
               default_language text, allow_unreviewed boolean, questionnaire_hash text,
               site_name text, timezone text, program_name text, response_id bigint,
               response_status text, response_language text, answers json)
LANGUAGE sql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
    -- Each link is found by its token (OFFSET 0 keeps that subquery whole): joined
    -- freely, the planner could reach invitations through the wave and filter a
    -- wave's every invitation by token.
    SELECT t.pos, i.program_id, i.id, i.wave_id, i.site_id,
           i.panel_member_id, w.state, w.opens_at, w.closes_at, w.languages,
           w.default_language, w.allow_unreviewed, w.questionnaire_hash,
           s.name, s.timezone, p.name,
           r.id, r.status, r.language,
           NULL::json
    FROM unnest(p_programs, p_hashes) WITH ORDINALITY AS t (program_id, token_hash, pos)
    CROSS JOIN LATERAL (
        SELECT * FROM invitations x
        WHERE x.program_id = t.program_id AND x.token_hash = t.token_hash
        OFFSET 0
    ) i
    JOIN waves w ON w.program_id = i.program_id AND w.id = i.wave_id
    JOIN sites s ON s.program_id = i.program_id AND s.id = i.site_id
    JOIN programs p ON p.id = i.program_id
    LEFT JOIN responses r ON r.program_id = i.program_id AND r.invitation_id = i.id
$$;

-- Render these completed responses' cells with their wave's layout, where the wave
-- has one: 0007's trigger body, for a whole batch at once.
CREATE FUNCTION export_cells_render(p_programs bigint[], p_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO export_cells (program_id, wave_id, response_id, layout, completed_xid,
                              cells, public_cells)
    SELECT r.program_id, r.wave_id, r.id, s.layout, r.completed_xid, x.cells, x.public_cells
    FROM unnest(p_programs, p_ids) AS n (program_id, id)
    JOIN responses r ON r.program_id = n.program_id AND r.id = n.id
    JOIN export_cells_state s ON s.program_id = r.program_id AND s.wave_id = r.wave_id
    CROSS JOIN LATERAL export_render(r.program_id, r.id, s.items, s.kinds, s.blanks,
                                     s.singles, s.options) x
    WHERE r.status = 'complete'
    ON CONFLICT (program_id, wave_id, response_id) DO UPDATE SET
        layout = excluded.layout, completed_xid = excluded.completed_xid,
        cells = excluded.cells, public_cells = excluded.public_cells;
$$;

-- Fresh personal-link responses of one program, each complete with all its answers:
-- the arguments as response-submit-batch (survey/sql/responses.sql) describes them.
-- Returns each response's place and new id (NULL where its invitation got a
-- response meanwhile). Run on its own, as the group commit does, so that nothing
-- changes these responses' answers after their cells are rendered here; the cells
-- come from the answers as written, by export_render, the one place for those rules.
CREATE FUNCTION survey_submit_batch(
    p_pos int[], p_program bigint[], p_wave bigint[], p_site bigint[],
    p_invitation bigint[], p_member bigint[], p_language text[], p_qhash text[],
    a_pos int[], a_item text[], a_num float8[], a_text text[], a_codes text[],
    a_missing text[])
RETURNS TABLE (pos int, id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_pos int[];
    v_ids bigint[];
BEGIN
    WITH fresh AS MATERIALIZED (
        SELECT t.*, nextval(pg_get_serial_sequence('responses', 'id')) AS id
        FROM unnest(p_pos, p_program, p_wave, p_site, p_invitation, p_member,
                    p_language, p_qhash)
             AS t (pos, program_id, wave_id, site_id, invitation_id, panel_member_id,
                   language, questionnaire_hash)
    ),
    stored AS (
        INSERT INTO responses (program_id, id, wave_id, site_id, invitation_id,
                               panel_member_id, language, channel, questionnaire_hash,
                               status, submitted_at)
        OVERRIDING SYSTEM VALUE
        SELECT program_id, id, wave_id, site_id, invitation_id, panel_member_id, language,
               'web', questionnaire_hash, 'complete', now()
        FROM fresh
        ON CONFLICT DO NOTHING
        RETURNING program_id, id, invitation_id
    ),
    answered AS (
        INSERT INTO answers (program_id, response_id, item_id, value_num, value_text,
                             value_codes, missing)
        SELECT s.program_id, s.id, a.item_id, a.value_num, a.value_text,
               string_to_array(a.codes, E'\x1f'), a.missing
        FROM unnest(a_pos, a_item, a_num, a_text, a_codes, a_missing)
             AS a (pos, item_id, value_num, value_text, codes, missing)
        JOIN fresh f ON f.pos = a.pos
        JOIN stored s ON s.program_id = f.program_id AND s.id = f.id
    ),
    invited AS (
        UPDATE invitations i SET completed_at = coalesce(i.completed_at, now())
        FROM stored s
        WHERE i.program_id = s.program_id AND i.id = s.invitation_id
    )
    SELECT array_agg(f.pos ORDER BY f.pos), array_agg(s.id ORDER BY f.pos)
    INTO v_pos, v_ids
    FROM fresh f
    LEFT JOIN stored s ON s.program_id = f.program_id AND s.id = f.id;

    -- Not on Citus, where exports never read these cells (0007).
    IF NOT survey_is_distributed() THEN
        -- A failure here must never cost residents their submissions: left out,
        -- the cells are rendered by the trigger at commit, or by the export.
        BEGIN
            PERFORM export_cells_render(p_program, v_ids);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'export cells of a submitted batch not rendered: %', SQLERRM;
        END;
    END IF;

    RETURN QUERY SELECT u.pos, u.id FROM unnest(v_pos, v_ids) AS u (pos, id);
END $$;

-- 0007's trigger function, which first looks for cells this transaction rendered
-- already (survey_submit_batch): they came from the same answers.
CREATE OR REPLACE FUNCTION export_cells_on_complete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT FROM export_cells c
        WHERE c.program_id = NEW.program_id AND c.wave_id = NEW.wave_id
          AND c.response_id = NEW.id AND c.completed_xid = NEW.completed_xid
    ) THEN
        RETURN NULL;
    END IF;
    BEGIN
        PERFORM export_cells_render(ARRAY[NEW.program_id], ARRAY[NEW.id]);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'export cells of response % not rendered: %', NEW.id, SQLERRM;
    END;
    RETURN NULL;
END $$;
