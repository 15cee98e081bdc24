"""The store's tables declared once, made into each database's SQL: what is kept and what refuses change.

A run store keeps evidence, so its tables refuse updates and deletes in the database itself, not
only in appraisal's code. SQLite says that with triggers that RAISE(ABORT); PostgreSQL with a
PL/pgSQL function the triggers call (TRUNCATE refused too). SQLite's INSERT OR REPLACE deletes the
row it replaces without a DELETE trigger, so there an existing key is refused by one more trigger;
PostgreSQL has no such statement, and its primary and unique keys refuse a second row. Tables are
written once in the SQL both understand (BLOB becomes PostgreSQL's BYTEA).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Guard:
    """`table` refuses UPDATE and DELETE with `message`. `existing`: SQLite's condition naming a
    row already there (NEW.key), refused the same way, or silently kept when `keep_existing`."""

    table: str
    message: str
    existing: str
    keep_existing: bool = False


Statement = str | Guard

REFUSE_FUNCTION = (  # one function for every PostgreSQL guard: the message is the trigger's argument
    "CREATE FUNCTION appraisal_refuse() RETURNS trigger LANGUAGE plpgsql AS"
    " $body$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; END $body$")


def sqlite_statements(schema: Sequence[Statement]) -> list[str]:
    """The schema as SQLite runs it."""
    made: list[str] = []
    for item in schema:
        if isinstance(item, str):
            made.append(item)
            continue
        refuse = f"SELECT RAISE(ABORT, {_quoted(item.message)})"
        made += [f"CREATE TRIGGER {item.table}_{change}_refused BEFORE {change} ON {item.table} BEGIN {refuse}; END"
                 for change in ("UPDATE", "DELETE")]
        action = "SELECT RAISE(IGNORE)" if item.keep_existing else refuse
        made.append(f"CREATE TRIGGER {item.table}_REPLACE_refused BEFORE INSERT ON {item.table} WHEN EXISTS"
                    f" (SELECT 1 FROM {item.table} WHERE {item.existing}) BEGIN {action}; END")
    return made


def postgres_statements(schema: Sequence[Statement]) -> list[str]:
    """The schema as PostgreSQL runs it (after REFUSE_FUNCTION)."""
    made: list[str] = []
    for item in schema:
        if isinstance(item, str):
            made.append(re.sub(r"\bBLOB\b", "BYTEA", item))
            continue
        message = _quoted(item.message)
        made += [f"CREATE TRIGGER {item.table}_changes_refused BEFORE UPDATE OR DELETE ON {item.table}"
                 f" FOR EACH ROW EXECUTE FUNCTION appraisal_refuse({message})",
                 f"CREATE TRIGGER {item.table}_truncate_refused BEFORE TRUNCATE ON {item.table}"
                 f" FOR EACH STATEMENT EXECUTE FUNCTION appraisal_refuse({message})"]
    return made


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
