-- monthly_series: new children (indicator 1a) and active children at month
-- end (indicator 6), month by month over the 13 months to the reporting
-- month, for the report's trend chart.
-- Grain: one row per month (month_start), 13 rows, oldest first.
-- Depends on: run_params, episodes_clean.
-- Rules: the same as 1a and 6 (indicators.md; 030_flow_children.sql,
-- 032_stock_children.sql), applied to each calendar month:
--   * new_children: distinct children with an episode whose referral_date
--     falls in the month;
--   * active_children: distinct children with an episode open at the
--     month's last day (referral_date <= d and closure_date empty or > d).
-- check_monthly_series below proves the last two months equal 1a and 6 for
-- the month and the previous month in indicator_values.
-- materialize: monthly_series

CREATE VIEW series_months AS
WITH anchor AS (
    SELECT
        reporting_period,
        CAST(date_part('year', period_end) AS INT) * 12
            + CAST(date_part('month', period_end) AS INT) - 1 AS month_index
    FROM run_params
),
months AS (
    SELECT
        a.reporting_period,
        12 - k.back AS month_order,
        make_date((a.month_index - k.back) / 12, (a.month_index - k.back) % 12 + 1, 1) AS month_start,
        make_date((a.month_index - k.back + 1) / 12, (a.month_index - k.back + 1) % 12 + 1, 1) AS next_month_start
    FROM anchor a
    CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS k(back)
)
SELECT
    reporting_period,
    month_order,
    month_start,
    CAST(next_month_start - INTERVAL '1 day' AS DATE) AS month_end
FROM months;

CREATE VIEW monthly_series AS
WITH new_children AS (
    SELECT m.month_start, COUNT(DISTINCT e.child_key) AS new_children
    FROM series_months m
    JOIN episodes_clean e
        ON e.referral_date >= m.month_start AND e.referral_date <= m.month_end
    GROUP BY m.month_start
),
active_children AS (
    SELECT m.month_start, COUNT(DISTINCT e.child_key) AS active_children
    FROM series_months m
    JOIN episodes_clean e
        ON e.referral_date <= m.month_end
        AND (e.closure_date IS NULL OR e.closure_date > m.month_end)
    GROUP BY m.month_start
)
SELECT
    m.reporting_period,
    CAST(m.month_order AS INT) AS month_order,
    to_char(m.month_start, '%Y-%m') AS month,
    to_char(m.month_start, '%b %Y') AS month_label,
    m.month_start,
    m.month_end,
    COALESCE(n.new_children, 0) AS new_children,
    COALESCE(a.active_children, 0) AS active_children
FROM series_months m
LEFT JOIN new_children n ON n.month_start = m.month_start
LEFT JOIN active_children a ON a.month_start = m.month_start
ORDER BY m.month_start;

-- check_monthly_series: months of the series that disagree with 1a or 6.
-- Grain: one row per disagreeing (month, indicator); EMPTY when all is well.
CREATE VIEW check_monthly_series AS
WITH expected AS (
    SELECT v.period_id, v.indicator_id, v.value
    FROM indicator_values_all v
    WHERE v.indicator_id IN ('1a', '6')
        AND v.category_code = 'ALL'
        AND v.period_id IN ('month', 'previous_month')
),
series AS (
    SELECT
        CASE WHEN month_order = 12 THEN 'month' ELSE 'previous_month' END AS period_id,
        new_children,
        active_children
    FROM monthly_series
    WHERE month_order >= 11
)
SELECT x.period_id, x.indicator_id, x.value AS indicator_value,
       CASE WHEN x.indicator_id = '1a' THEN s.new_children ELSE s.active_children END AS series_value
FROM expected x
JOIN series s ON s.period_id = x.period_id
WHERE x.value <> CASE WHEN x.indicator_id = '1a' THEN s.new_children ELSE s.active_children END;
