-- indicator_structure: how each indicator is counted and broken down.
-- Grain: one row per indicator_id.
-- Depends on: nothing (structure is part of the definitions; titles,
-- polarity and targets are configuration: indicator_catalogue).
--   breakdown   the code set the indicator is split by ('total' = no split)
--   sums_to     the parent whose value every period's breakdown must sum to
--               (checked by check_breakdown_sums; the run fails otherwise)
--   percent_of  the indicator whose total is the percentage denominator
--   section     'summary' (the indicator table) or 'quarterly' (tables 13-17)
-- 16 has no sums_to: a child can count in more than one of its rows.

CREATE VIEW indicator_structure AS
SELECT column1 AS indicator_id, column2 AS breakdown, column3 AS sums_to,
       column4 AS percent_of, column5 AS section, column6 AS indicator_order
FROM (VALUES
    ('1a',          'total',           NULL, NULL, 'summary',    1),
    ('1a_families', 'total',           NULL, NULL, 'summary',    2),
    ('1b',          'total',           NULL, '1a', 'summary',    3),
    ('2',           'sex',             '1a', '1a', 'summary',    4),
    ('3',           'locality',        '1a', '1a', 'summary',    5),
    ('4',           'school_phase',    '1a', '1a', 'summary',    6),
    ('5',           'ethnicity',       '1a', '1a', 'summary',    7),
    ('6',           'total',           NULL, NULL, 'summary',    8),
    ('7',           'total',           NULL, NULL, 'summary',    9),
    ('8',           'total',           NULL, '6',  'summary',   10),
    ('9',           'sex',             '6',  '6',  'summary',   11),
    ('10',          'locality',        '6',  '6',  'summary',   12),
    ('11',          'school_phase',    '6',  '6',  'summary',   13),
    ('12',          'time_open',       '6',  '6',  'summary',   14),
    ('13',          'year_group',      '6',  '6',  'quarterly', 15),
    ('14',          'ethnicity',       '6',  '6',  'quarterly', 16),
    ('15',          'presenting_need', '1a', '1a', 'quarterly', 17),
    ('16',          'open_to',         NULL, '1a', 'quarterly', 18),
    ('17',          'closure_outcome', '7',  '7',  'quarterly', 19)
) AS t;

-- breakdown_categories: every category of every code set, in report order,
-- plus the single 'All' category of unsplit indicators.
-- Grain: one row per (codeset, code).
CREATE VIEW breakdown_categories AS
SELECT codeset, code, label, CAST(sort_order AS INT) AS sort_order FROM categories
UNION ALL
SELECT 'total', 'ALL', 'All', CAST(1 AS INT);
