-- stock_children: for each period, each child with an episode open at the
-- period's last day d, described by the child's CURRENT episode.
-- Grain: one row per (period_id, child_key).
-- Depends on: periods, episodes_clean.
-- Rules (indicators.md, "Stock indicators"):
--   * open at d: referral_date <= d and (closure_date empty or > d); an
--     episode closed on d is not open at d;
--   * current episode: the open episode with the latest referral_date; ties
--     go to the episode listed first in the extract (source_line);
--   * 8 counts a child if ANY open episode is flagged, not just the current;
--   * 12 time open: whole months from the current referral_date to d, as a
--     spreadsheet's DATEDIF(start, end, "m") counts them (a month completes
--     when the day of month is reached again);
--   * 13 year group at d: academic year A starts 1 September; year group =
--     A - cohort_year - 5, 0 is Reception, below 0 Early years, above 11
--     Post-16, no date of birth Unknown.
-- materialize: stock_children

CREATE VIEW stock_children AS
WITH open_at_end AS (
    SELECT
        p.period_id,
        p.period_end,
        e.*,
        ROW_NUMBER() OVER (
            PARTITION BY p.period_id, e.child_key
            ORDER BY e.referral_date DESC, e.source_line, e.episode_key
        ) AS current_rank,
        MAX(CASE WHEN e.removal_from_roll_authorised THEN 1 ELSE 0 END) OVER (
            PARTITION BY p.period_id, e.child_key
        ) AS any_removal_authorised
    FROM periods p
    JOIN episodes_clean e
        ON e.referral_date <= p.period_end
        AND (e.closure_date IS NULL OR e.closure_date > p.period_end)
    WHERE p.is_started
),
current_episode AS (
    SELECT
        *,
        (CAST(date_part('year', period_end) AS INT) - CAST(date_part('year', referral_date) AS INT)) * 12
            + (CAST(date_part('month', period_end) AS INT) - CAST(date_part('month', referral_date) AS INT))
            - CASE WHEN date_part('day', period_end) < date_part('day', referral_date) THEN 1 ELSE 0 END
            AS months_open,
        CASE
            WHEN date_part('month', period_end) >= 9 THEN CAST(date_part('year', period_end) AS INT)
            ELSE CAST(date_part('year', period_end) AS INT) - 1
        END - cohort_year - 5 AS year_group_number
    FROM open_at_end
    WHERE current_rank = 1
)
SELECT
    period_id,
    child_key,
    episode_key,
    referral_date,
    sex,
    locality,
    school_phase,
    ethnicity,
    any_removal_authorised = 1 AS removal_from_roll_authorised,
    months_open,
    CASE
        WHEN months_open <= 6 THEN '0-6'
        WHEN months_open <= 12 THEN '7-12'
        WHEN months_open <= 18 THEN '13-18'
        ELSE '19+'
    END AS time_open,
    CASE
        WHEN year_group_number IS NULL THEN 'UNK'
        WHEN year_group_number < 0 THEN 'EY'
        WHEN year_group_number = 0 THEN 'R'
        WHEN year_group_number > 11 THEN 'P16'
        ELSE concat('Y', CAST(year_group_number AS VARCHAR))
    END AS year_group
FROM current_episode;
