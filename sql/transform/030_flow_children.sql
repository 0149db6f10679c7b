-- flow_children: for each flow period, each child with an episode new in it,
-- described by that child's FIRST episode new in the period.
-- Grain: one row per (period_id, child_key).
-- Depends on: periods, episodes_clean.
-- Rules (indicators.md, "Flow indicators"):
--   * new in P: referral_date falls in P;
--   * first episode: earliest referral_date; ties go to the episode listed
--     first in the extract (source_line), then the smallest episode_key, so
--     the choice never depends on the pseudonym key;
--   * 1b: the child has another episode whose closure_date is earlier than
--     the first new episode's referral_date.
--   * distinct over the whole period, so a year to date is not the sum of
--     its quarters.
-- materialize: flow_children

CREATE VIEW child_first_closure AS
SELECT child_key, MIN(closure_date) AS first_closure_date
FROM episodes_clean
WHERE closure_date IS NOT NULL
GROUP BY child_key;

CREATE VIEW flow_children AS
WITH new_in_period AS (
    SELECT
        p.period_id,
        e.*,
        ROW_NUMBER() OVER (
            PARTITION BY p.period_id, e.child_key
            ORDER BY e.referral_date, e.source_line, e.episode_key
        ) AS episode_rank
    FROM periods p
    JOIN episodes_clean e
        ON e.referral_date >= p.period_start AND e.referral_date <= p.period_end
    WHERE p.is_started
)
SELECT
    n.period_id,
    n.child_key,
    n.family_key,
    n.episode_key,
    n.referral_date,
    n.sex,
    n.locality,
    n.school_phase,
    n.ethnicity,
    n.presenting_need,
    n.open_to_csc,
    n.open_to_eh_locality,
    n.open_to_eh_partner,
    COALESCE(c.first_closure_date < n.referral_date, false) AS has_previous_closed_episode
FROM new_in_period n
LEFT JOIN child_first_closure c ON c.child_key = n.child_key
WHERE n.episode_rank = 1;
