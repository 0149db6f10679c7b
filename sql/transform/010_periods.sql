-- periods: every period one run reports on, derived from the reporting month.
-- Grain: one row per period_id.
-- Depends on: run_params (one row; period_end = E, the reporting month's last day).
-- Rules (indicators.md, "Calendar"): the financial year (FY) runs 1 April to
-- 31 March and is labelled like 2018/19; Q1 is April-June, Q2 July-September,
-- Q3 October-December, Q4 January-March. A quarter that has not started by E
-- has is_started = false: its figures are empty, never 0.
--
-- period_id        period_start            period_end
-- month            first day of M          E
-- previous_month   first day of M-1        last day of M-1
-- quarter          first day of M's quarter E
-- previous_quarter the quarter before, whole
-- year_to_date     1 April of M's FY       E
-- previous_fy_1    the FY before, whole    its 31 March
-- previous_fy_2    the FY before that      its 31 March
-- q1 .. q4         each quarter of M's FY  quarter end, or E if earlier
-- materialize: periods

CREATE VIEW calendar_anchor AS
SELECT
    reporting_period,
    period_end AS e,
    CAST(date_part('year', period_end) AS INT) AS e_year,
    CAST(date_part('month', period_end) AS INT) AS e_month,
    -- FY start year: April onwards belongs to the FY starting this year.
    CASE
        WHEN date_part('month', period_end) >= 4 THEN CAST(date_part('year', period_end) AS INT)
        ELSE CAST(date_part('year', period_end) AS INT) - 1
    END AS fy,
    -- Months since 1 January of the FY start year at which M's quarter
    -- starts (3 = April, 6 = July, 9 = October, 12 = January next year).
    3 + 3 * (((CAST(date_part('month', period_end) AS INT) + 8) % 12) / 3) AS q_start_index,
    ((CAST(date_part('month', period_end) AS INT) + 8) % 12) / 3 + 1 AS q_number
FROM run_params;

CREATE VIEW fy_quarters AS
SELECT
    a.fy,
    q.k AS quarter_number,
    make_date(a.fy + (3 + 3 * (q.k - 1)) / 12, (3 + 3 * (q.k - 1)) % 12 + 1, 1) AS quarter_start,
    CAST(make_date(a.fy + (3 + 3 * q.k) / 12, (3 + 3 * q.k) % 12 + 1, 1) - INTERVAL '1 day' AS DATE) AS quarter_end
FROM calendar_anchor a
CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(k);

CREATE VIEW periods AS
WITH a AS (
    SELECT
        *,
        concat(CAST(fy AS VARCHAR), '/', lpad(CAST((fy + 1) % 100 AS VARCHAR), 2, '0')) AS fy_label,
        concat(CAST(fy - 1 AS VARCHAR), '/', lpad(CAST(fy % 100 AS VARCHAR), 2, '0')) AS fy1_label,
        concat(CAST(fy - 2 AS VARCHAR), '/', lpad(CAST((fy - 1) % 100 AS VARCHAR), 2, '0')) AS fy2_label,
        make_date(e_year, e_month, 1) AS month_start,
        make_date(fy + q_start_index / 12, q_start_index % 12 + 1, 1) AS quarter_start,
        make_date(fy + (q_start_index - 3) / 12, (q_start_index - 3) % 12 + 1, 1) AS previous_quarter_start
    FROM calendar_anchor
),
named AS (
    SELECT 'month' AS period_id, 1 AS period_order, to_char(e, '%B %Y') AS period_label,
           month_start AS period_start, e AS period_end FROM a
    UNION ALL
    SELECT 'previous_month', 2,
           to_char(CAST(month_start - INTERVAL '1 day' AS DATE), '%B %Y'),
           make_date(CASE WHEN e_month = 1 THEN e_year - 1 ELSE e_year END,
                     CASE WHEN e_month = 1 THEN 12 ELSE e_month - 1 END, 1),
           CAST(month_start - INTERVAL '1 day' AS DATE) FROM a
    UNION ALL
    SELECT 'quarter', 3, concat('Q', CAST(q_number AS VARCHAR), ' ', fy_label),
           quarter_start, e FROM a
    UNION ALL
    SELECT 'previous_quarter', 4,
           CASE WHEN q_number = 1 THEN concat('Q4 ', fy1_label)
                ELSE concat('Q', CAST(q_number - 1 AS VARCHAR), ' ', fy_label) END,
           previous_quarter_start, CAST(quarter_start - INTERVAL '1 day' AS DATE) FROM a
    UNION ALL
    SELECT 'year_to_date', 5, concat(fy_label, ' to date'), make_date(fy, 4, 1), e FROM a
    UNION ALL
    SELECT 'previous_fy_1', 6, fy1_label, make_date(fy - 1, 4, 1), make_date(fy, 3, 31) FROM a
    UNION ALL
    SELECT 'previous_fy_2', 7, fy2_label, make_date(fy - 2, 4, 1), make_date(fy - 1, 3, 31) FROM a
    UNION ALL
    SELECT concat('q', CAST(q.quarter_number AS VARCHAR)), 7 + q.quarter_number,
           concat('Q', CAST(q.quarter_number AS VARCHAR), ' ', a.fy_label),
           q.quarter_start, LEAST(q.quarter_end, a.e)
    FROM a JOIN fy_quarters q ON q.fy = a.fy
)
SELECT
    period_id,
    period_order,
    period_label,
    period_start,
    period_end,
    period_start <= (SELECT e FROM calendar_anchor) AS is_started
FROM named;
