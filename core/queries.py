"""Database helpers the apps' lists share: PostgreSQL's estimates, ordering by a small
table's groups (sorting or walking them), `AnyOf` and the free-text search."""

from __future__ import annotations

import json
from typing import TypeVar

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    Func,
    IntegerField,
    Lookup,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from core.text import all_words_in

QuerySetT = TypeVar("QuerySetT", bound=QuerySet)


def estimated_rows(queryset) -> int:
    """PostgreSQL's estimate of the number of rows (EXPLAIN, nothing is run)."""
    text = queryset.order_by().explain(format="json")
    if not text:  # a query Django knows to be empty (e.g. pk__in=[]) is not sent
        return 0
    plan = json.loads(text)
    return int(plan[0]["Plan"]["Plan Rows"])


def order_by_groups(
    queryset, *, key: str, groups: list[int], within: tuple[str, ...], window: int | None
):
    """`queryset` ordered by `key` in the order of `groups` (pks of a small table, e.g. the
    departments in Danish order), then by `within`.

    Sorting by a related table's name makes PostgreSQL sort every matching row before it
    can return the first page (bench/FINDINGS.md, "Group walks"). So on PostgreSQL, with a
    `window` (the rows the list needs up to the end of its page), when the walk pays (see
    `walk_pays`), the groups are walked in order instead: each group's rows are read in
    `within` order from an index through a LATERAL subquery, and the walk stops after
    `window` rows. Fewer rows are sorted by the group's position in `groups` (an integer, not
    a collated name). The order is the same either way.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        whens = [When(**{key: pk}, then=Value(rank)) for rank, pk in enumerate(groups)]
        position = Case(*whens, default=Value(len(groups)), output_field=IntegerField())
        return queryset.order_by(position, *within)
    rank = _array_position(groups, F(key))
    if window is None:
        return queryset.order_by(rank, *within)
    if walk_pays(estimated_rows(queryset), window, table_rows(queryset)):
        walk = RawSQL(*_walk_sql(queryset, key, groups, within, window))  # noqa: S611
        walked = Q(pk__in=walk)
        if key.endswith("department_id"):
            # Follow-ups awaiting placement have no department to walk; they sort last
            # (array_position gives NULL) and are few, so they are taken as they are.
            walked |= Q(**{f"{key}__isnull": True})
        queryset = queryset.filter(walked)
    return queryset.order_by(rank, *within)


# Below this many expected rows a sort by group always sorts (see order_by_groups).
WALK_ABOVE_ROWS = 1_000


def walk_pays(expected: int, window: int, table: int) -> bool:
    """Whether walking the groups reads fewer rows than sorting the `expected` matches.

    Sorting reads every match. Walking reads about `window` × `table` / `expected` rows of
    the groups' index before it has `window` matches (the matches spread over the table), so
    it pays when expected² ≥ window × table: a common filter (8,600 of 600,000 follow-ups, a
    page of 51) is walked, a rare one is sorted.
    """
    return expected > WALK_ABOVE_ROWS and expected * expected >= window * table


def table_rows(queryset) -> int:
    """PostgreSQL's estimate of the rows in the queryset's table (from its statistics)."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return max(int(row[0]) if row else 0, 0)


_WALK = "walk_group"


def _array_position(values: list[int], expression) -> Func:
    """The 1-based position of `expression` in `values` (PostgreSQL's array_position)."""
    array = Value(values, output_field=ArrayField(BigIntegerField()))
    return Func(array, expression, function="array_position", output_field=IntegerField())


def _walk_sql(
    queryset, key: str, groups: list[int], within: tuple[str, ...], window: int
) -> tuple[str, tuple]:
    """SQL for the pks of the first `window` rows of `queryset` in group order.

    The groups come from an array WITH ORDINALITY, which PostgreSQL knows to be ordered by
    the ordinality, so the nested loop emits the groups in turn and LIMIT stops the walk as
    soon as it has `window` rows: the remaining groups are never read.
    """
    # Only constant SQL is added around the ORM's compiled query; values are parameters.
    group_id = RawSQL(f"{_WALK}.id", ())  # noqa: S611
    per_group = queryset.filter(**{key: group_id}).order_by(*within).values("pk")[:window]
    sql, params = per_group.query.sql_with_params()
    return (
        f"SELECT walked.id FROM unnest(%s::bigint[]) WITH ORDINALITY AS {_WALK}(id, position)"  # noqa: S608
        f" CROSS JOIN LATERAL ({sql}) AS walked(id) ORDER BY {_WALK}.position LIMIT %s",
        (groups, *params, window),
    )


class AnyOf(Lookup):
    """`lhs = ANY(%s)` with the values as one array parameter (PostgreSQL). Django's `__in`
    sends one parameter per value, and planning a query with thousands of them takes longer
    than running it (bench/FINDINGS.md, "AnyOf")."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def search(queryset: QuerySetT, field: str, text: str) -> QuerySetT:
    """`queryset` narrowed to the rows whose `field` holds the words of `text` (all rows for a
    blank text): PostgreSQL's Danish full-text search (GIN-indexed), elsewhere every word in
    any case (core.text.all_words_in)."""
    text = (text or "").strip()
    if not text:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        vector = SearchVector(field, config="danish")
        query = SearchQuery(text, config="danish", search_type="websearch")
        alias = f"{field}_search"
        return queryset.alias(**{alias: vector}).filter(**{alias: query})
    return queryset.filter(all_words_in(field, text))
