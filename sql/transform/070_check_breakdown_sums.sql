-- check_breakdown_sums: breakdowns that do not sum to their parent.
-- Grain: one row per failing (indicator_id, period_id); EMPTY when all is well.
-- Depends on: indicator_values_all, indicator_structure.
-- The runner fails the run (data-quality exit code) before publishing when
-- any check_* view returns a row (indicators.md: "Each breakdown sums to its
-- parent indicator; the pipeline checks this").

CREATE VIEW check_breakdown_sums AS
WITH breakdown_totals AS (
    SELECT v.indicator_id, s.sums_to, v.period_id, SUM(v.value) AS breakdown_total
    FROM indicator_values_all v
    JOIN indicator_structure s ON s.indicator_id = v.indicator_id
    WHERE s.sums_to IS NOT NULL AND v.is_started
    GROUP BY v.indicator_id, s.sums_to, v.period_id
)
SELECT
    b.indicator_id,
    b.sums_to AS parent_indicator_id,
    b.period_id,
    b.breakdown_total,
    p.value AS parent_value
FROM breakdown_totals b
JOIN indicator_values_all p
    ON p.indicator_id = b.sums_to AND p.category_code = 'ALL' AND p.period_id = b.period_id
WHERE b.breakdown_total <> p.value;
