-- closed_episodes: episodes closed in each flow period (indicators 7 and 17
-- count episodes, not children).
-- Grain: one row per (period_id, episode_key).
-- Depends on: periods, episodes_clean.
-- materialize: closed_episodes

CREATE VIEW closed_episodes AS
SELECT
    p.period_id,
    e.episode_key,
    e.child_key,
    e.closure_date,
    e.closure_outcome
FROM periods p
JOIN episodes_clean e
    ON e.closure_date >= p.period_start AND e.closure_date <= p.period_end
WHERE p.is_started;
