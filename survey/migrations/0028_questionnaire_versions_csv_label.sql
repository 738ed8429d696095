-- A questionnaire version's `qversion` cell, as the CSV, .sav and .dta exports write
-- it: "<questionnaire> <version> <first 12 characters of the content hash>", quoted
-- as a CSV cell where it must be. Every response of a version has the same cell, and
-- export-csv-lines made it per line (a concatenation and a regular expression: about
-- 1 s of the 7-8 s PostgreSQL took for the lines of the 1M benchmark wave); stored
-- here, it is read once per version through the memoized join.
ALTER TABLE questionnaire_versions ADD COLUMN csv_label text GENERATED ALWAYS AS (
    CASE WHEN questionnaire_id || ' ' || version || ' ' || left(content_hash, 12) ~ '[",\r\n]'
         THEN '"' || replace(questionnaire_id || ' ' || version || ' '
                             || left(content_hash, 12), '"', '""') || '"'
         ELSE questionnaire_id || ' ' || version || ' ' || left(content_hash, 12) END
) STORED;
