"""Example custom indicator: the repeat-contact rate (重复问题率) within a window of days.

The share of an appraisee's tickets in the period after which the same customer opened
another ticket within `window_days`, computed by a plugin in SQL on the engine the run
measures on (DuckDB, PostgreSQL, Spark: `engines=("*",)`, its SQL spelled through the
session's dialect). It is the worked example of the custom-indicator hook: a scheme that only
needs "the same customer and problem again within N days" can declare `repeats` on its dataset
instead (see docs/scheme-reference.md), which also lets `explain` show the returning ticket.

Load it with `appraisal --plugins-dir plugins ...`; a scheme uses it as:

    - id: repeat_rate
      custom:
        plugin: repeat_contacts
        params: {dataset: tickets, appraisee: agent_id, customer: customer,
                 time: created_at, window_days: 7}
"""

from __future__ import annotations

from appraisal import ANY_ENGINE, CustomIndicator, hookimpl

__version__ = "1.1.0"


def repeat_rate(session, period, roster, params):
    """Per appraisee: (share of tickets followed by a repeat, tickets counted)."""
    q, dialect = session.quote, session.dialect
    table, who = q(params["dataset"]), q(params["appraisee"])
    customer, time = q(params["customer"]), q(params["time"])
    text = dialect.types["text"]
    window, bounds = session.window(period, f"t.{time}")
    # seconds from one ticket to the next, in this engine's spelling
    gap = dialect.interval.format(a=f"n.{time}", b=f"t.{time}")
    tickets = (f"FROM {table} AS t WHERE {window} AND t.{customer} IS NOT NULL AND CAST(t.{who} AS {text}) IN "
               f"(SELECT CAST({q(roster.key)} AS {text}) FROM {q(roster.table)})")
    repeated = (f"SELECT 1 FROM {table} AS n WHERE n.{customer} = t.{customer} AND n.{time} > t.{time} "
                f"AND {gap} <= {dialect.number_param}")
    sql = (f"SELECT a.appraisee, CAST(coalesce(r.repeated, 0) AS {dialect.double}) / a.counted AS value, "
           f"a.counted AS counted FROM (SELECT CAST(t.{who} AS {text}) AS appraisee, count(*) AS counted {tickets} "
           f"GROUP BY CAST(t.{who} AS {text})) AS a LEFT JOIN (SELECT CAST(t.{who} AS {text}) AS appraisee, "
           f"count(*) AS repeated {tickets} AND EXISTS ({repeated}) GROUP BY CAST(t.{who} AS {text})) AS r "
           "ON a.appraisee = r.appraisee")
    seconds = float(params.get("window_days", 7)) * 86400
    return session.execute(sql, [*bounds, *bounds, seconds])


@hookimpl
def register_indicators(register):
    register(CustomIndicator("repeat_contacts", repeat_rate, doc=__doc__ or "", engines=(ANY_ENGINE,)))
