-- Every link sent for an invitation keeps working.
--
-- Only a hash of each token is stored, so a personal link sent again (an SMS
-- reminder, or the SMS invitation of a contact whose link went out by mail) cannot
-- repeat the token: it carries a new one. Until now the new hash replaced the old
-- one in invitations.token_hash, so the first text's link, or the printed letter's,
-- stopped working when the reminder went out, and a resident who tapped the older
-- message was told the link was not valid. Tokens sent after the first are now kept
-- here, beside the invitation; every one of them opens the same response.

CREATE TABLE invitation_tokens (
    program_id    bigint NOT NULL,
    token_hash    bytea NOT NULL,
    invitation_id bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, token_hash),
    FOREIGN KEY (program_id, invitation_id) REFERENCES invitations (program_id, id)
        ON DELETE CASCADE
);
CREATE INDEX invitation_tokens_invitation ON invitation_tokens (program_id, invitation_id);

-- 0009's batched lookup, each link found by its first token or, failing that, by a
-- later one. The first branch is the one a link nearly always takes, and LIMIT 1
-- stops there, so the common lookup costs what it did. It also returns the contact's
-- language, so a link texted in Spanish opens in Spanish: a new column, so the
-- function is dropped and created again (CREATE OR REPLACE cannot change its type).
DROP FUNCTION survey_invitation_entries(bigint[], bytea[]);
CREATE FUNCTION survey_invitation_entries(p_programs bigint[], p_hashes bytea[])
RETURNS TABLE (pos bigint, program_id bigint, invitation_id bigint, wave_id bigint,
               site_id bigint, panel_member_id bigint, state text,
               opens_at timestamptz, closes_at timestamptz, languages text[],
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
           i.panel_member_id, w.state, w.opens_at, w.closes_at, w.languages,
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

-- 0019's plan with the new tenant table: extended, not restated.
ALTER FUNCTION survey_distribution_plan() RENAME TO survey_distribution_plan_0019;
CREATE FUNCTION survey_distribution_plan()
RETURNS TABLE (step integer, table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM survey_distribution_plan_0019()
    UNION ALL
    VALUES (34, 'invitation_tokens', 'distributed', 'program_id')
$$;

-- A database already distributed distributes the new table now, as 0011 did.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
