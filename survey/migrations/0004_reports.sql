-- Reports: weighting margins and report support.
-- (Filled in by the report work; unreleased, so still editable.)
SELECT 1;
