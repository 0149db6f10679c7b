-- indicator_values_all: every indicator x category x period, zeros included,
-- with its percentage.
-- Grain: one row per (indicator_id, category_code, period_id).
-- Depends on: indicator_structure, breakdown_categories, periods,
-- indicator_measures.
-- Rules (indicators.md):
--   * every category of a code set appears, in code-set order, 0 when none;
--   * a period not started by E has an empty value, never 0;
--   * percent = 100 * part / whole rounded half away from zero to one
--     decimal, computed in integers so no binary fraction can tip a half;
--     whole = 0 gives an empty percent.
-- materialize: indicator_values_all

CREATE VIEW indicator_values_all AS
WITH grid AS (
    SELECT
        s.indicator_id,
        s.indicator_order,
        s.breakdown,
        s.percent_of,
        c.code AS category_code,
        c.label AS category,
        c.sort_order AS category_order,
        p.period_id,
        p.period_order,
        p.period_label,
        p.period_start,
        p.period_end,
        p.is_started
    FROM indicator_structure s
    JOIN breakdown_categories c ON c.codeset = s.breakdown
    CROSS JOIN periods p
),
valued AS (
    SELECT
        g.*,
        CASE WHEN g.is_started THEN COALESCE(m.value, CAST(0 AS BIGINT)) END AS value
    FROM grid g
    LEFT JOIN indicator_measures m
        ON m.indicator_id = g.indicator_id
        AND m.category_code = g.category_code
        AND m.period_id = g.period_id
)
SELECT
    v.*,
    d.value AS denominator,
    CASE
        WHEN d.value > 0
        THEN CAST((2000 * v.value + d.value) / (2 * d.value) AS DOUBLE) / 10.0
    END AS percent
FROM valued v
LEFT JOIN valued d
    ON d.indicator_id = v.percent_of
    AND d.category_code = 'ALL'
    AND d.period_id = v.period_id;

-- indicator_values (published): the long table for BI tools.
-- Grain: one row per (indicator_id, category, period).
CREATE VIEW indicator_values AS
SELECT
    r.reporting_period,
    v.indicator_id,
    i.title AS indicator_title,
    v.breakdown,
    v.category,
    v.category_order,
    v.period_id AS period,
    v.period_label,
    v.period_start,
    v.period_end,
    v.value,
    v.denominator,
    v.percent
FROM indicator_values_all v
JOIN indicator_catalogue i ON i.indicator_id = v.indicator_id
CROSS JOIN run_params r
ORDER BY v.indicator_order, v.category_order, v.period_order;
