-- check_indicator_catalogue: indicators the SQL computes that the pipeline
-- configuration's catalogue does not describe (they would silently drop out
-- of every published table, which join the catalogue for titles).
-- Grain: one row per missing indicator_id; EMPTY when all is well.
-- Depends on: indicator_structure, indicator_catalogue.

CREATE VIEW check_indicator_catalogue AS
SELECT s.indicator_id
FROM indicator_structure s
LEFT JOIN indicator_catalogue c ON c.indicator_id = s.indicator_id
WHERE c.indicator_id IS NULL;
