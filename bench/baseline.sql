-- The benchmark's baseline: bench/scheme.yaml for 2026-Q3, written by hand in DuckDB SQL
-- straight over the Parquet files. `appraisal measure` must give the same values and the
-- same data-quality counts (bench/data_bench.py checks, then times both).
--
-- Placeholders, replaced by the runner with quoted paths: {tickets}, {roster} (read),
-- {values_csv}, {quality_csv} (written; the columns of `appraisal measure --csv` and
-- `--quality-csv`).
--
-- Rules, in order: a repeated ticket_id keeps its first row in file order, the others are
-- `duplicate key`; of the rest, rows created outside [2026-07-01, 2026-10-01) are
-- `outside period`; of the rows in the period, `cause = 'supplier_defect'` is excluded; of
-- those left, rows whose agent is not on the roster are `unknown appraisee`. Everyone on
-- the roster gets every indicator; with no rows the value is empty, `insufficient data`.
-- A negative handle_time (a declared duration) is counted over every row of the file.
-- An elapsed time measured with hours(...) that is negative (a ticket resolved, or answered,
-- before it was created) is dropped from its indicator as if empty (neither aggregated nor
-- in `rows`) and counted as `negative duration` under the indicator's id, over the kept
-- rows (agents on the roster or not, whatever the measure's `where`).

-- Ticket ids that occur more than once, and the file position of their first row.
CREATE TEMP TABLE repeated AS
SELECT ticket_id, min(file_row_number) AS first_row
FROM read_parquet({tickets}, file_row_number = true)
WHERE ticket_id IS NOT NULL
GROUP BY ticket_id
HAVING count(*) > 1;

-- One pass over the tickets: per agent id (on the roster or not), the aggregates of the
-- kept rows and the counts of the dropped ones.
CREATE TEMP TABLE per_agent AS
WITH t AS (
    SELECT
        t.agent_id,
        t.status,
        t.reopened,
        epoch(t.first_response_at - t.created_at) / 3600 AS first_response_h_raw,
        epoch(t.resolved_at - t.created_at) / 3600 AS resolution_h_raw,
        CASE WHEN first_response_h_raw >= 0 THEN first_response_h_raw END AS first_response_h,
        CASE WHEN resolution_h_raw >= 0 THEN resolution_h_raw END AS resolution_h,
        t.handle_time < 0 AS negative_handle_time,
        coalesce(t.file_row_number > r.first_row, FALSE) AS duplicate,
        coalesce(t.created_at >= TIMESTAMP '2026-07-01' AND t.created_at < TIMESTAMP '2026-10-01', FALSE)
            AS in_period,
        t.created_at IS NULL AS no_period_value,
        coalesce(t.cause = 'supplier_defect', FALSE) AS excluded
    FROM read_parquet({tickets}, file_row_number = true) AS t
    LEFT JOIN repeated AS r ON t.ticket_id = r.ticket_id
), k AS (
    SELECT *, NOT duplicate AND in_period AND NOT excluded AS kept FROM t
)
SELECT
    agent_id,
    count(*) FILTER (WHERE duplicate) AS n_duplicate,
    count(*) FILTER (WHERE negative_handle_time) AS n_negative_handle_time,
    count(*) FILTER (WHERE NOT duplicate AND NOT in_period AND NOT no_period_value) AS n_outside,
    count(*) FILTER (WHERE NOT duplicate AND in_period AND excluded) AS n_excluded,
    count(*) FILTER (WHERE kept) AS n_kept,
    count(*) FILTER (WHERE kept AND first_response_h_raw < 0) AS n_negative_first_response_h,
    count(*) FILTER (WHERE kept AND resolution_h_raw < 0) AS n_negative_resolution_h,
    quantile_cont(first_response_h, 0.5) FILTER (WHERE kept) AS first_response_h,
    count(first_response_h) FILTER (WHERE kept) AS first_response_h_rows,
    count(*) FILTER (WHERE kept AND status = 'resolved') AS n_resolved,
    avg(resolution_h) FILTER (WHERE kept AND status = 'resolved') AS resolution_h,
    count(resolution_h) FILTER (WHERE kept AND status = 'resolved') AS resolution_h_rows,
    count(*) FILTER (WHERE kept AND reopened) AS n_reopened
FROM k
GROUP BY agent_id;

CREATE TEMP TABLE roster_ids AS
SELECT DISTINCT CAST(agent_id AS VARCHAR) AS agent_id FROM read_parquet({roster});

COPY (
    WITH v AS (
        SELECT r.agent_id AS appraisee, i.ord, i.indicator,
            CASE i.indicator
                WHEN 'tickets' THEN CAST(coalesce(p.n_kept, 0) AS DOUBLE)
                WHEN 'first_response_h' THEN p.first_response_h
                WHEN 'resolution_rate' THEN CAST(p.n_resolved AS DOUBLE) / nullif(p.n_kept, 0)
                WHEN 'resolution_h' THEN p.resolution_h
                WHEN 'reopen_rate' THEN CAST(p.n_reopened AS DOUBLE) / nullif(p.n_kept, 0)
            END AS value,
            coalesce(CASE i.indicator
                WHEN 'first_response_h' THEN p.first_response_h_rows
                WHEN 'resolution_h' THEN p.resolution_h_rows
                ELSE p.n_kept
            END, 0) AS rows
        FROM roster_ids AS r
        CROSS JOIN (VALUES (1, 'tickets'), (2, 'first_response_h'), (3, 'resolution_rate'),
                           (4, 'resolution_h'), (5, 'reopen_rate')) AS i(ord, indicator)
        LEFT JOIN per_agent AS p ON p.agent_id = r.agent_id
    )
    SELECT appraisee, indicator,
           CASE WHEN rows > 0 THEN value END AS value,
           rows,
           CASE WHEN rows > 0 AND value IS NOT NULL THEN 'ok' ELSE 'insufficient data' END AS status
    FROM v
    ORDER BY appraisee, ord
) TO {values_csv} (FORMAT csv, HEADER);

COPY (
    SELECT 'tickets' AS dataset, cause, "column", count
    FROM (
        SELECT 1 AS ord, 'duplicate key' AS cause, 'ticket_id' AS "column", sum(n_duplicate) AS count
        FROM per_agent
        UNION ALL
        SELECT 2, 'negative duration', 'handle_time', sum(n_negative_handle_time) FROM per_agent
        UNION ALL
        SELECT 3, 'outside period', 'created_at', sum(n_outside) FROM per_agent
        UNION ALL
        SELECT 4, 'excluded: supplier batch 2026-07', '', sum(n_excluded) FROM per_agent
        UNION ALL
        SELECT 5, 'unknown appraisee', 'agent_id', sum(n_kept) FROM per_agent
        WHERE agent_id IS NULL OR agent_id NOT IN (SELECT agent_id FROM roster_ids)
        UNION ALL
        SELECT 6, 'negative duration', 'first_response_h', sum(n_negative_first_response_h) FROM per_agent
        UNION ALL
        SELECT 7, 'negative duration', 'resolution_h', sum(n_negative_resolution_h) FROM per_agent
    )
    WHERE count > 0
    ORDER BY ord
) TO {quality_csv} (FORMAT csv, HEADER);
