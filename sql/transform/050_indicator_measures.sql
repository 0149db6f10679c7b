-- indicator_measures: the counts behind every indicator, before zero-filling.
-- Grain: one row per (indicator_id, category_code, period_id) that has at
-- least one child or episode; categories with none are added as 0 by
-- indicator_values_all.
-- Depends on: flow_children, closed_episodes, stock_children.
-- materialize: indicator_measures

CREATE VIEW indicator_measures AS
-- Flow: children new in the period (first episode's attributes).
SELECT '1a' AS indicator_id, 'ALL' AS category_code, period_id, CAST(COUNT(*) AS BIGINT) AS value
FROM flow_children GROUP BY period_id
UNION ALL
SELECT '1a_families', 'ALL', period_id, CAST(COUNT(DISTINCT family_key) AS BIGINT)
FROM flow_children GROUP BY period_id
UNION ALL
SELECT '1b', 'ALL', period_id, CAST(SUM(CASE WHEN has_previous_closed_episode THEN 1 ELSE 0 END) AS BIGINT)
FROM flow_children GROUP BY period_id
UNION ALL
SELECT '2', sex, period_id, CAST(COUNT(*) AS BIGINT) FROM flow_children GROUP BY period_id, sex
UNION ALL
SELECT '3', locality, period_id, CAST(COUNT(*) AS BIGINT) FROM flow_children GROUP BY period_id, locality
UNION ALL
SELECT '4', school_phase, period_id, CAST(COUNT(*) AS BIGINT) FROM flow_children GROUP BY period_id, school_phase
UNION ALL
SELECT '5', ethnicity, period_id, CAST(COUNT(*) AS BIGINT) FROM flow_children GROUP BY period_id, ethnicity
UNION ALL
SELECT '15', presenting_need, period_id, CAST(COUNT(*) AS BIGINT) FROM flow_children GROUP BY period_id, presenting_need
UNION ALL
SELECT '16', 'CSC', period_id, CAST(SUM(CASE WHEN open_to_csc THEN 1 ELSE 0 END) AS BIGINT)
FROM flow_children GROUP BY period_id
UNION ALL
SELECT '16', 'EHL', period_id, CAST(SUM(CASE WHEN open_to_eh_locality THEN 1 ELSE 0 END) AS BIGINT)
FROM flow_children GROUP BY period_id
UNION ALL
SELECT '16', 'EHP', period_id, CAST(SUM(CASE WHEN open_to_eh_partner THEN 1 ELSE 0 END) AS BIGINT)
FROM flow_children GROUP BY period_id
-- Flow: episodes closed in the period.
UNION ALL
SELECT '7', 'ALL', period_id, CAST(COUNT(*) AS BIGINT) FROM closed_episodes GROUP BY period_id
UNION ALL
SELECT '17', closure_outcome, period_id, CAST(COUNT(*) AS BIGINT) FROM closed_episodes GROUP BY period_id, closure_outcome
-- Stock: children open at the period's last day (current episode's attributes).
UNION ALL
SELECT '6', 'ALL', period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id
UNION ALL
SELECT '8', 'ALL', period_id, CAST(SUM(CASE WHEN removal_from_roll_authorised THEN 1 ELSE 0 END) AS BIGINT)
FROM stock_children GROUP BY period_id
UNION ALL
SELECT '9', sex, period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id, sex
UNION ALL
SELECT '10', locality, period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id, locality
UNION ALL
SELECT '11', school_phase, period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id, school_phase
UNION ALL
SELECT '12', time_open, period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id, time_open
UNION ALL
SELECT '13', year_group, period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id, year_group
UNION ALL
SELECT '14', ethnicity, period_id, CAST(COUNT(*) AS BIGINT) FROM stock_children GROUP BY period_id, ethnicity;
