"""Example custom indicator: the repeat-contact rate (重复问题率) within a window of days.

The share of an appraisee's tickets in the period after which the same customer opened
another ticket within `window_days`, computed by a plugin in SQL on the engine's connection.
It is the worked example of the custom-indicator hook: a scheme that only needs "the same
customer and problem again within N days" can declare `repeats` on its dataset instead (see
docs/scheme-reference.md), which also lets `explain` show the returning ticket.

Load it with `appraisal --plugins-dir plugins ...`; a scheme uses it as:

    - id: repeat_rate
      custom:
        plugin: repeat_contacts
        params: {dataset: tickets, appraisee: agent_id, customer: customer,
                 time: created_at, window_days: 7}
"""

from __future__ import annotations

from appraisal import CustomIndicator, hookimpl, sql_window
from appraisal import quote_identifier as q

__version__ = "1.0.0"


def repeat_rate(connection, period, roster, params, timezone):
    """Per appraisee: (share of tickets followed by a repeat, tickets counted)."""
    table, who = q(params["dataset"]), q(params["appraisee"])
    customer, time = q(params["customer"]), q(params["time"])
    days = int(params.get("window_days", 7))
    window, bounds = sql_window(period, timezone, f"t.{time}")
    sql = f"""
        SELECT CAST(t.{who} AS VARCHAR) AS appraisee,
               avg(CASE WHEN EXISTS (
                   SELECT 1 FROM {table} AS n
                   WHERE n.{customer} = t.{customer} AND n.{time} > t.{time}
                     AND n.{time} <= t.{time} + to_days(CAST(? AS INTEGER))
               ) THEN 1.0 ELSE 0.0 END) AS value,
               count(*) AS rows
        FROM {table} AS t
        WHERE {window} AND t.{customer} IS NOT NULL
          AND CAST(t.{who} AS VARCHAR) IN (SELECT CAST({q(roster.key)} AS VARCHAR) FROM {q(roster.table)})
        GROUP BY 1
    """
    return connection.execute(sql, [days, *bounds])


@hookimpl
def register_indicators(register):
    register(CustomIndicator("repeat_contacts", repeat_rate, doc=__doc__ or ""))
