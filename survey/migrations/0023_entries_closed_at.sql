-- A closed wave's page says the day it closed: the day it was closed by hand, when
-- that came before its closing time, so the batched personal-link lookup (0020) also
-- returns closed_at. A new column, so the function is dropped and created again.
DROP FUNCTION survey_invitation_entries(bigint[], bytea[]);
CREATE FUNCTION survey_invitation_entries(p_programs bigint[], p_hashes bytea[])
RETURNS TABLE (pos bigint, program_id bigint, invitation_id bigint, wave_id bigint,
               site_id bigint, panel_member_id bigint, state text,
               opens_at timestamptz, closes_at timestamptz, closed_at timestamptz,
               languages text[],
               default_language text, allow_unreviewed boolean, questionnaire_hash text,
               site_name text, timezone text, program_name text, response_id bigint,
               response_status text, response_language text, contact_language text,
               answers json)
LANGUAGE sql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
    -- Each link is found by its token (LIMIT keeps that subquery whole, as OFFSET 0
    -- did): joined freely, the planner could reach invitations through the wave and
    -- filter a wave's every invitation by token.
    SELECT t.pos, i.program_id, i.id, i.wave_id, i.site_id,
           i.panel_member_id, w.state, w.opens_at, w.closes_at, w.closed_at, w.languages,
           w.default_language, w.allow_unreviewed, w.questionnaire_hash,
           s.name, s.timezone, p.name,
           r.id, r.status, r.language, c.preferred_language,
           NULL::json
    FROM unnest(p_programs, p_hashes) WITH ORDINALITY AS t (program_id, token_hash, pos)
    CROSS JOIN LATERAL (
        SELECT x.* FROM invitations x
        WHERE x.program_id = t.program_id AND x.token_hash = t.token_hash
        UNION ALL
        SELECT x.* FROM invitation_tokens k
        JOIN invitations x ON x.program_id = k.program_id AND x.id = k.invitation_id
        WHERE k.program_id = t.program_id AND k.token_hash = t.token_hash
        LIMIT 1
    ) i
    JOIN waves w ON w.program_id = i.program_id AND w.id = i.wave_id
    JOIN sites s ON s.program_id = i.program_id AND s.id = i.site_id
    JOIN programs p ON p.id = i.program_id
    LEFT JOIN responses r ON r.program_id = i.program_id AND r.invitation_id = i.id
    LEFT JOIN contacts c ON c.program_id = i.program_id AND c.id = i.contact_id
$$;
