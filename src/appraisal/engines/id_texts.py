"""Which undeclared columns are typed anyway: the ids that name people, and what they meet.

A column a scheme does not declare is compared as read, but the roster's key is always a text
trimmed of its spaces (a roster exported from a spreadsheet carries `CS001 `), so the column
each dataset compares with it, its `appraisee`, must be one too, and so must an undeclared
column joined to such a text or to a declared text (trimmed too): a `via.on` column (the same
name on both sides of the join) and a `repeats.same` column looked for in another dataset.
The file engine and the tables of PostgreSQL and Spark (appraisal.engines.tables) type these
alike.
"""

from __future__ import annotations

from appraisal.scheme.model import Roster, Scheme


def roster_columns(roster: Roster) -> dict[str, str]:
    """The roster's columns as typed: its key and the columns that group people (team, manager)
    texts, its employment dates dates, whatever the scheme leaves undeclared. A name or role is
    shown as written."""
    fields = roster.fields
    return {roster.key: "text", **{fields[f]: "text" for f in ("team", "manager") if f in fields},
            **{fields[f]: "date" for f in ("start", "end") if f in fields}, **roster.columns}


def undeclared_ids(scheme: Scheme) -> dict[str, frozenset[str]]:
    """Per dataset, its undeclared columns typed as text."""
    found = {name: {d.appraisee} - set(d.columns) if d.appraisee else set() for name, d in scheme.datasets.items()}
    joined: list[tuple[str, str, str]] = []  # (dataset, other dataset, column): one name compared on both sides
    for name, d in scheme.datasets.items():
        if d.via is not None and d.via.dataset in found:
            joined.append((name, d.via.dataset, d.via.on))
        if d.repeats is not None and d.repeats.looked_in in found:
            joined += [(name, d.repeats.looked_in, column) for column in d.repeats.same]

    def trimmed(name: str, column: str) -> bool:
        return column in found[name] or scheme.datasets[name].columns.get(column) == "text"

    grew = True
    while grew:  # a trimmed text on one side makes the other side's undeclared column a text too
        grew = False
        for one, other, column in joined:
            for side, across in ((one, other), (other, one)):
                if trimmed(across, column) and column not in found[side] \
                        and column not in scheme.datasets[side].columns:
                    found[side].add(column)
                    grew = True
    return {name: frozenset(columns) for name, columns in found.items()}
