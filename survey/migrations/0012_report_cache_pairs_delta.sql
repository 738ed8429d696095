-- Reports: panel pairs brought up to date, not worked out again (0010_report_cache_pairs).
--
-- 0010 kept each report's pair table and dropped it whenever either wave's cache
-- appended responses. At a million responses every report after new completions then
-- sorted and windowed a quarter of a million panel rows again: 2.2-2.4 s of a 3.4-4.4 s
-- report, for a few thousand new responses.
--
-- A pair table is a sum over panel members of each member's pairs, and a member's
-- pairs depend on that member's panel rows only. So when rows are appended, the table
-- is brought up to date member by member: for each member with a new row, take away
-- the pairs they had in the rows the table was built from, and add the pairs they
-- have now (survey/sql/report_cache.sql, report-cache-pairs-refresh). The result is
-- the table a build from nothing gives, element for element: both versions of a member
-- are worked out by the same expressions, so unchanged pairs cancel exactly.
--
-- To know which rows a table was built from, every append numbers its panel rows with
-- a value from report_cache_batch_seq, and each wave's cache records the number of its
-- latest append (report_cache_state.panel_batch); a pair table records the numbers of
-- both waves it covers. Appends to a wave run one at a time under the wave's refresh
-- lock, so the numbers grow in the order rows were appended. Rows kept before this
-- migration are batch 0, as are the tables built from them: consistent as they stand.
--
-- What still drops a pair table: report_cache_invalidate (a completed response that
-- changed, an edit by hand) and deleting a wave, which remove panel rows rather than
-- append them.

CREATE SEQUENCE report_cache_batch_seq;

ALTER TABLE report_cache_panel ADD COLUMN batch bigint NOT NULL DEFAULT 0;
ALTER TABLE report_cache_state ADD COLUMN panel_batch bigint NOT NULL DEFAULT 0;
ALTER TABLE report_cache_pairs
    ADD COLUMN pre_batch bigint NOT NULL DEFAULT 0,
    ADD COLUMN post_batch bigint NOT NULL DEFAULT 0,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- The rows appended since a table was built, and all the rows of the members they
-- belong to.
DROP INDEX report_cache_panel_key;
CREATE INDEX report_cache_panel_key ON report_cache_panel (program_id, signature, wave_id, batch);
CREATE INDEX report_cache_panel_member
    ON report_cache_panel (program_id, signature, panel_member_id);
