-- Reports: population margins for weighting.
--
-- A margin is a population total for one category of one weighting variable at one
-- site, for example the ACS count of adults aged 18–24 in King County. The variable
-- is a single-choice item id of the questionnaire (age_band), or several joined by
-- '*' for a joint margin (age_band*gender, with categories such as '18_24*woman').
-- Reports rake each site's respondents to its margins. An upload replaces the
-- program's margins whole, so the table always holds one consistent set.
CREATE TABLE weight_margins (
    program_id  bigint NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    site_id     bigint NOT NULL,
    variable    text NOT NULL CHECK (variable ~ '^[a-z][a-z0-9_]*(\*[a-z][a-z0-9_]*)*$'),
    category    text NOT NULL CHECK (length(category) BETWEEN 1 AND 200),
    population  double precision NOT NULL CHECK (population > 0 AND population < 'infinity'),
    source      text NOT NULL DEFAULT '',
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, site_id, variable, category),
    FOREIGN KEY (program_id, site_id) REFERENCES sites (program_id, id) ON DELETE CASCADE
);
