-- quarterly_tables (published): tables 13 to 17 of the report, one column
-- per quarter of the reporting month's financial year plus the total to
-- date, each with number and percent.
-- Grain: one row per (table_id, category), plus a 'Total' row per table.
-- Depends on: indicator_values_all, indicator_structure, indicator_catalogue,
-- run_params.
-- Rules (indicators.md):
--   * a quarter not started by E is empty (never 0, never an error);
--   * the current quarter runs to E; stock tables (13, 14) take the value at
--     each quarter's last day (or E);
--   * the total to date of a flow table is the year-to-date figure (distinct
--     over the year), of a stock table the value at E;
--   * the Total row is the sum of the rows (for 16 a child can count in
--     more than one row, so its total can exceed 1a).

CREATE VIEW quarterly_cells AS
SELECT
    v.indicator_id,
    v.indicator_order,
    v.category,
    v.category_order,
    v.period_id,
    v.value,
    v.denominator,
    v.percent
FROM indicator_values_all v
JOIN indicator_structure s ON s.indicator_id = v.indicator_id
WHERE s.section = 'quarterly'
  AND v.period_id IN ('q1', 'q2', 'q3', 'q4', 'year_to_date')
UNION ALL
SELECT
    v.indicator_id,
    v.indicator_order,
    'Total',
    CAST(9999 AS INT),
    v.period_id,
    SUM(v.value),
    MAX(v.denominator),
    CASE
        WHEN MAX(v.denominator) > 0
        THEN CAST((2000 * SUM(v.value) + MAX(v.denominator)) / (2 * MAX(v.denominator)) AS DOUBLE) / 10.0
    END
FROM indicator_values_all v
JOIN indicator_structure s ON s.indicator_id = v.indicator_id
WHERE s.section = 'quarterly'
  AND v.period_id IN ('q1', 'q2', 'q3', 'q4', 'year_to_date')
GROUP BY v.indicator_id, v.indicator_order, v.period_id;

CREATE VIEW quarterly_tables AS
SELECT
    r.reporting_period,
    c.indicator_id AS table_id,
    i.title AS table_title,
    c.category,
    c.category_order,
    MAX(CASE WHEN c.period_id = 'q1' THEN c.value END) AS q1_value,
    MAX(CASE WHEN c.period_id = 'q1' THEN c.percent END) AS q1_percent,
    MAX(CASE WHEN c.period_id = 'q2' THEN c.value END) AS q2_value,
    MAX(CASE WHEN c.period_id = 'q2' THEN c.percent END) AS q2_percent,
    MAX(CASE WHEN c.period_id = 'q3' THEN c.value END) AS q3_value,
    MAX(CASE WHEN c.period_id = 'q3' THEN c.percent END) AS q3_percent,
    MAX(CASE WHEN c.period_id = 'q4' THEN c.value END) AS q4_value,
    MAX(CASE WHEN c.period_id = 'q4' THEN c.percent END) AS q4_percent,
    MAX(CASE WHEN c.period_id = 'year_to_date' THEN c.value END) AS total_to_date_value,
    MAX(CASE WHEN c.period_id = 'year_to_date' THEN c.percent END) AS total_to_date_percent
FROM quarterly_cells c
JOIN indicator_catalogue i ON i.indicator_id = c.indicator_id
CROSS JOIN run_params r
GROUP BY r.reporting_period, c.indicator_id, c.indicator_order, i.title, c.category, c.category_order
ORDER BY c.indicator_order, c.category_order;
