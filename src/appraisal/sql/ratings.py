"""Compile a scheme's rating indicators (QA reviews, 360-degree reviews) to SQL.

Ratings have no period: the file belongs to the appraisal. One query gives every rating
indicator's value per appraisee (per rater group: in scale, trimmed, normalised, averaged;
then the groups' weighted mean over those with enough raters), another counts the ratings
left out by cause. Group names, weights and scales are bound parameters.
"""

from __future__ import annotations

from appraisal.scheme.model import RaterGroup, Scheme
from appraisal.sql.datasets import members, roster_key
from appraisal.sql.dialect import SqlFragment, bind_value
from appraisal.sql.query import CompiledQuery, SqlBuilder

SELF = "self"  # the rater group of self-assessments: the one group where a rater may be the appraisee


def _own(rater: str, appraisee: str, group: str) -> str:
    """True for a rating in its place: the appraisee's own in the `self` group, another's elsewhere."""
    return f"(({rater} IS NOT DISTINCT FROM {appraisee}) = ({group} IS NOT DISTINCT FROM '{SELF}'))"


def _rating_groups(scheme: Scheme, group_by: str | None = None) -> SqlBuilder:
    """The CTEs `groups` (one row per rating indicator and rater group) and `matched` (the
    ratings that count: in their group's scale; the appraisee's own rating in the group named
    `self` (the self-assessment) and nowhere else, and no one else's there).

    An indicator without `raters` has one group that takes every rating (`grp` NULL). Every
    literal is bound: group names, weights and scales come from the scheme.
    """
    rated = [i for i in scheme.indicators if i.kind == "rating" and i.scale is not None]
    grouped = any(i.raters for i in rated)
    rows: list[tuple[object, ...]] = []
    for indicator in rated:
        assert indicator.scale is not None
        lo, hi = indicator.scale
        groups = indicator.raters or (RaterGroup("", 1.0, 1, None),)
        for g in groups:
            g_lo, g_hi = g.scale or (lo, hi)
            rows.append((indicator.id, g.name or None, g.weight, g.min, g_lo, g_hi, indicator.trim, lo, hi))
    out = SqlBuilder()
    out.add("WITH groups(indicator, grp, weight, min_count, lo, hi, trim, ilo, ihi) AS (VALUES ")
    for n, row in enumerate(rows):
        out.add(", (" if n else "(")
        for m, value in enumerate(row):
            literal = bind_value(value) if value is not None else SqlFragment("CAST(NULL AS VARCHAR)")
            out.add(", " if m else "", literal)
        out.add(")")
    group = 'rt."group"' if grouped else "CAST(NULL AS VARCHAR)"
    # for group rows, every rating of a member counts for the member's group (pooled)
    appraisee = "rt.appraisee" if group_by is None else "mem.__group"
    member = "" if group_by is None else f" JOIN {members(scheme, group_by)} AS mem ON rt.appraisee = mem.__member"
    out.add(
        f"), matched AS (SELECT {appraisee} AS appraisee, rt.indicator, g.grp, g.weight, g.min_count,"
        " g.lo, g.hi, g.trim,"
        f" g.ilo, g.ihi, rt.rating, rt.rater FROM ratings AS rt JOIN groups AS g ON rt.indicator = g.indicator"
        f" AND (g.grp IS NULL OR {group} = g.grp){member}"
        f" WHERE rt.rating BETWEEN g.lo AND g.hi AND {_own('rt.rater', 'rt.appraisee', 'g.grp')})"
    )
    return out


def compile_ratings(scheme: Scheme, group_by: str | None = None) -> CompiledQuery:
    """Each rating indicator's value per appraisee: one rater per row, never oneself.

    Per rater group: the ratings in the group's scale, without the `trim` highest and lowest
    when the group has more than twice as many, normalised to the indicator's scale and
    averaged; then the groups' weighted mean over the groups with at least `min` raters. Groups
    with too few raters are listed in `flags`. Ratings have no period: the file belongs to
    the appraisal. `group_by`: a row per group, from all its members' ratings.
    """
    query = _rating_groups(scheme, group_by)
    keys = (f"(SELECT DISTINCT CAST({roster_key(scheme)} AS VARCHAR) AS __key FROM roster)" if group_by is None
            else f"(SELECT DISTINCT __group AS __key FROM {members(scheme, group_by)})")
    query.add(
        ", ranked AS (SELECT *,"
        " row_number() OVER (PARTITION BY appraisee, indicator, grp ORDER BY rating, rater) AS rk,"
        " count(*) OVER (PARTITION BY appraisee, indicator, grp) AS n FROM matched)"
        ", per_group AS (SELECT appraisee, indicator, grp, max(n) AS n,"
        " avg(ilo + (rating - lo) * (ihi - ilo) / (hi - lo))"
        " FILTER (WHERE n <= 2 * trim OR (rk > trim AND rk <= n - trim)) AS mean"
        " FROM ranked GROUP BY appraisee, indicator, grp)"
        f", keys AS (SELECT __key FROM {keys})"
        ", every AS (SELECT k.__key AS appraisee, g.indicator, g.grp, g.weight, g.min_count,"
        " coalesce(p.n, 0) AS n, p.mean"
        " FROM keys AS k CROSS JOIN groups AS g LEFT JOIN per_group AS p ON p.appraisee = k.__key"
        " AND p.indicator = g.indicator AND p.grp IS NOT DISTINCT FROM g.grp)"
        " SELECT appraisee, indicator,"
        " sum(mean * weight) FILTER (WHERE n >= min_count)"
        " / nullif(sum(weight) FILTER (WHERE n >= min_count), 0) AS value,"
        " sum(n) AS rows,"
        " list(grp || ': ' || n || ' of at least ' || CAST(min_count AS INTEGER) || ' raters, not counted'"
        " ORDER BY grp)"
        " FILTER (WHERE grp IS NOT NULL AND n < min_count) AS flags"
        " FROM every GROUP BY appraisee, indicator ORDER BY appraisee, indicator"
    )
    fragment = query.fragment()
    rated = tuple(i.id for i in scheme.indicators if i.kind == "rating")
    return CompiledQuery("ratings", fragment.sql, fragment.params, rated)


def compile_ratings_quality(scheme: Scheme) -> CompiledQuery:
    """Ratings left out, by cause: self rating, outside scale, unknown group, appraisee or indicator;
    each as {n: the count, e: up to three of the values concerned}."""
    query = _rating_groups(scheme)
    key = roster_key(scheme)
    grouped = any(i.raters for i in scheme.indicators)
    group = 'rt."group"' if grouped else "CAST(NULL AS VARCHAR)"
    # Each cause: {n: its count, e: the three smallest values concerned, as examples}.
    counted = "{{'n': count(*), 'e': min(CAST({} AS VARCHAR), 3)}}".format
    query.add(
        " SELECT"
        # judged by the indicator's group it falls in (g.grp: NULL for an indicator without groups), as counted
        f" (SELECT {counted('rt.rater')} FROM ratings AS rt WHERE EXISTS (SELECT 1 FROM groups AS g"
        f"  WHERE g.indicator = rt.indicator AND (g.grp IS NULL OR {group} = g.grp)"
        f"  AND NOT {_own('rt.rater', 'rt.appraisee', 'g.grp')})) AS self_rating,"
        f" (SELECT {counted('rt.rating')} FROM ratings AS rt"
        "  WHERE rt.rating IS NOT NULL AND EXISTS (SELECT 1 FROM groups AS g WHERE g.indicator = rt.indicator"
        f"  AND (g.grp IS NULL OR {group} = g.grp) AND {_own('rt.rater', 'rt.appraisee', 'g.grp')}"
        "  AND NOT rt.rating BETWEEN g.lo AND g.hi)) AS outside_scale,"
        f" (SELECT {counted(group)} FROM ratings AS rt WHERE rt.indicator IN (SELECT indicator FROM groups)"
        f"  AND NOT EXISTS (SELECT 1 FROM groups AS g WHERE g.indicator = rt.indicator"
        f" AND (g.grp IS NULL OR {group} = g.grp)))"
        " AS unknown_group,"
        f" (SELECT {counted('indicator')} FROM ratings WHERE indicator NOT IN (SELECT indicator FROM groups))"
        " AS unknown_indicator,"
        f" (SELECT {counted('appraisee')} FROM ratings"
        # a rating of no one is of no one on the roster; a roster row with no id (a streamed
        # roster keeps them) must not make NOT IN unknown
        f" WHERE appraisee IS NULL OR appraisee NOT IN (SELECT CAST({key} AS VARCHAR) FROM roster"
        f" WHERE {key} IS NOT NULL))"
        " AS unknown_appraisee"
    )
    fragment = query.fragment()
    return CompiledQuery("ratings", fragment.sql, fragment.params, ())
