-- episodes_clean: the staged episodes with every empty or unmapped attribute
-- placed in its code set's explicit fallback category (indicators.md,
-- "Categories": never dropped), and the family key resolved.
-- Grain: one row per episode (episode_key).
-- Depends on: episodes (staged extract), categories (code sets).
-- materialize: episodes_clean

CREATE VIEW fallback_codes AS
SELECT
    MAX(CASE WHEN codeset = 'sex' THEN code END) AS sex,
    MAX(CASE WHEN codeset = 'ethnicity' THEN code END) AS ethnicity,
    MAX(CASE WHEN codeset = 'locality' THEN code END) AS locality,
    MAX(CASE WHEN codeset = 'school_phase' THEN code END) AS school_phase,
    MAX(CASE WHEN codeset = 'closure_outcome' THEN code END) AS closure_outcome,
    MAX(CASE WHEN codeset = 'presenting_need' THEN code END) AS presenting_need
FROM categories
WHERE is_fallback;

CREATE VIEW episodes_clean AS
SELECT
    e.episode_key,
    e.child_key,
    -- The family key is family_id, or the child's own id when it is empty
    -- (pseudonyms of the two are domain-separated, so they never collide).
    COALESCE(e.family_key, e.child_key) AS family_key,
    e.cohort_year,
    COALESCE(e.sex, f.sex) AS sex,
    COALESCE(e.ethnicity, f.ethnicity) AS ethnicity,
    COALESCE(e.locality, f.locality) AS locality,
    COALESCE(e.school_phase, f.school_phase) AS school_phase,
    e.referral_date,
    e.closure_date,
    -- An outcome only means something on a closed episode.
    CASE WHEN e.closure_date IS NOT NULL THEN COALESCE(e.closure_outcome, f.closure_outcome) END AS closure_outcome,
    COALESCE(e.presenting_need, f.presenting_need) AS presenting_need,
    COALESCE(e.open_to_csc, false) AS open_to_csc,
    COALESCE(e.open_to_eh_locality, false) AS open_to_eh_locality,
    COALESCE(e.open_to_eh_partner, false) AS open_to_eh_partner,
    COALESCE(e.removal_from_roll_authorised, false) AS removal_from_roll_authorised,
    e.source_line
FROM episodes e
CROSS JOIN fallback_codes f;
