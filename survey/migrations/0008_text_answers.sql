-- Free-text answers of a program by item, for the SPSS export's string widths.
--
-- A .sav string variable is as wide as its longest answer in the file (see
-- survey.export.savfile.fit_text_widths). Finding that by probing every response's
-- answers took a quarter of a warm export's time; free text is a small part of the
-- answers (a comment box, a ZIP code), so an index of just those rows answers it
-- from a few thousand entries. Partial: the other answers (numbers and codes, all
-- but a few of them) cost nothing to write.
CREATE INDEX answers_text ON answers (program_id, item_id) WHERE value_text IS NOT NULL;
