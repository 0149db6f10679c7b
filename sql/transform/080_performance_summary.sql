-- performance_summary (published): the indicator table of the report, one
-- row per indicator and category, shaped like the seed report.
-- Grain: one row per (indicator_id, category) of the 'summary' section.
-- Depends on: indicator_values_all, indicator_structure, indicator_catalogue,
-- run_params.
-- Rules (indicators.md):
--   * DOT compares the month with the previous month: up / down / same;
--     polarity High: up is better; Low: up is worse; Info: no judgement.
--   * RAG only where a target is configured, on the configured basis
--     (month by default, or quarter / year_to_date), for the indicator's
--     total row. High: >= target Green, >= target - tolerance Amber, else
--     Red. Low: <= target Green, <= target + tolerance Amber, else Red.
--     Tolerance is absolute or a percent of the target.
--   * Year on year: the two previous financial years and the change
--     between them (previous_fy_1 - previous_fy_2).

CREATE VIEW summary_pivot AS
SELECT
    v.indicator_id,
    v.indicator_order,
    v.breakdown,
    v.category_code,
    v.category,
    v.category_order,
    MAX(CASE WHEN v.period_id = 'month' THEN v.period_label END) AS month_label,
    MAX(CASE WHEN v.period_id = 'month' THEN v.value END) AS month_value,
    MAX(CASE WHEN v.period_id = 'month' THEN v.percent END) AS month_percent,
    MAX(CASE WHEN v.period_id = 'previous_month' THEN v.value END) AS previous_month_value,
    MAX(CASE WHEN v.period_id = 'quarter' THEN v.period_label END) AS quarter_label,
    MAX(CASE WHEN v.period_id = 'quarter' THEN v.value END) AS quarter_value,
    MAX(CASE WHEN v.period_id = 'quarter' THEN v.percent END) AS quarter_percent,
    MAX(CASE WHEN v.period_id = 'previous_quarter' THEN v.value END) AS previous_quarter_value,
    MAX(CASE WHEN v.period_id = 'year_to_date' THEN v.period_label END) AS year_to_date_label,
    MAX(CASE WHEN v.period_id = 'year_to_date' THEN v.value END) AS year_to_date_value,
    MAX(CASE WHEN v.period_id = 'year_to_date' THEN v.percent END) AS year_to_date_percent,
    MAX(CASE WHEN v.period_id = 'previous_fy_2' THEN v.period_label END) AS previous_fy_2_label,
    MAX(CASE WHEN v.period_id = 'previous_fy_2' THEN v.value END) AS previous_fy_2_value,
    MAX(CASE WHEN v.period_id = 'previous_fy_1' THEN v.period_label END) AS previous_fy_1_label,
    MAX(CASE WHEN v.period_id = 'previous_fy_1' THEN v.value END) AS previous_fy_1_value
FROM indicator_values_all v
JOIN indicator_structure s ON s.indicator_id = v.indicator_id
WHERE s.section = 'summary'
GROUP BY v.indicator_id, v.indicator_order, v.breakdown, v.category_code, v.category, v.category_order;

CREATE VIEW summary_judged AS
SELECT
    p.*,
    i.title,
    i.polarity,
    i.unit,
    i.data_note,
    i.target,
    i.tolerance,
    i.tolerance_kind,
    i.rag_basis,
    CASE
        WHEN p.month_value IS NULL OR p.previous_month_value IS NULL THEN NULL
        WHEN p.month_value > p.previous_month_value THEN 'up'
        WHEN p.month_value < p.previous_month_value THEN 'down'
        ELSE 'same'
    END AS dot,
    CASE i.rag_basis
        WHEN 'quarter' THEN p.quarter_value
        WHEN 'year_to_date' THEN p.year_to_date_value
        ELSE p.month_value
    END AS rag_value,
    CASE
        WHEN i.tolerance_kind = 'percent' THEN i.target * COALESCE(i.tolerance, 0.0) / 100.0
        ELSE COALESCE(i.tolerance, 0.0)
    END AS tolerance_amount
FROM summary_pivot p
JOIN indicator_catalogue i ON i.indicator_id = p.indicator_id;

CREATE VIEW performance_summary AS
SELECT
    r.reporting_period,
    j.indicator_id,
    j.title AS indicator_title,
    j.breakdown,
    j.category,
    j.category_order,
    j.polarity,
    j.unit,
    j.data_note,
    j.month_label,
    j.month_value,
    j.month_percent,
    j.previous_month_value,
    j.dot,
    CASE
        WHEN j.dot IS NULL OR j.polarity = 'Info' THEN NULL
        WHEN j.dot = 'same' THEN 'no change'
        WHEN (j.dot = 'up') = (j.polarity = 'High') THEN 'better'
        ELSE 'worse'
    END AS dot_judgement,
    CASE
        WHEN j.target IS NULL OR j.polarity = 'Info' OR j.category_code <> 'ALL' OR j.rag_value IS NULL THEN NULL
        WHEN j.polarity = 'High' THEN
            CASE
                WHEN j.rag_value >= j.target THEN 'Green'
                WHEN j.rag_value >= j.target - j.tolerance_amount THEN 'Amber'
                ELSE 'Red'
            END
        ELSE
            CASE
                WHEN j.rag_value <= j.target THEN 'Green'
                WHEN j.rag_value <= j.target + j.tolerance_amount THEN 'Amber'
                ELSE 'Red'
            END
    END AS rag,
    CASE WHEN j.target IS NOT NULL AND j.category_code = 'ALL' THEN j.rag_basis END AS rag_basis,
    CASE WHEN j.category_code = 'ALL' THEN j.target END AS target,
    CASE WHEN j.category_code = 'ALL' AND j.target IS NOT NULL THEN j.tolerance_amount END AS tolerance,
    j.quarter_label,
    j.quarter_value,
    j.quarter_percent,
    j.previous_quarter_value,
    j.year_to_date_label,
    j.year_to_date_value,
    j.year_to_date_percent,
    j.previous_fy_2_label,
    j.previous_fy_2_value,
    j.previous_fy_1_label,
    j.previous_fy_1_value,
    j.previous_fy_1_value - j.previous_fy_2_value AS year_on_year_change
FROM summary_judged j
CROSS JOIN run_params r
ORDER BY j.indicator_order, j.category_order;
