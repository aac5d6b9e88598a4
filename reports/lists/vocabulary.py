"""The lists' vocabularies: annual reports, themes, departments and rounds, with their choices
in Danish order, read once per process for each state of those small tables.

Every list request needs them (the filters' options, validation, the sub-department tree and
the sorts by theme or department). Loading and sorting them took 6-10 ms of each request at
national scale (150 departments, 48 rounds), more than most pages' SQL. On PostgreSQL one
query now says whether they changed: a digest of every row of the four tables (exact, and
independent of history rows and of the order in which concurrent transactions commit); the
process keeps the vocabulary built for the newest digest. The embedded SQLite database has no
digest function and loads them on every request.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.db import connection
from django.db.models import CharField, F, IntegerField, Value
from django.db.models.functions import Cast

from core.text import danish_key
from departments.models import Department, children_map
from followups.models import FollowUpRound, round_states_visible_to
from recommendations.models import AnnualReport, Theme

VOCABULARY_MODELS = (Department, Theme, AnnualReport, FollowUpRound)


class SharedChoices(tuple):
    """Choices shared by every request of a process: immutable (a tuple of (value, label)
    tuples), so a form copies the reference instead of deep-copying every choice (Django
    deep-copies each field's choices whenever a form is built). django-filter's choice
    fields keep them as given; Django's TypedChoiceField (the year's) makes its own list."""

    __slots__ = ()

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True)
class Vocabulary:
    """Read-only: one instance serves every request of a process until the tables change.
    Its mappings are read-only views; the round instances must be treated as read-only
    too (the filters only read them); which of them a user may see is decided per request
    (rounds_visible_to)."""

    # (pk, year), newest first.
    reports: tuple[tuple[int, int], ...]
    year_choices: SharedChoices
    # The themes' choices and pks in Danish order.
    theme_choices: SharedChoices
    theme_order: tuple[int, ...]
    # The department tree as parent id → child ids.
    children: Mapping[int | None, tuple[int, ...]]
    # Every department in Danish order, and the tree in Danish order with sub-departments
    # indented under their parent.
    department_order: tuple[int, ...]
    department_tree: SharedChoices
    # Every round by pk (newest report first, then by deadline), with its report.
    rounds: Mapping[int, FollowUpRound]

    def department_choices(self, visible: Collection[int] | None) -> SharedChoices:
        """The tree's choices restricted to `visible` (None: all)."""
        if visible is None:
            return self.department_tree
        return SharedChoices(c for c in self.department_tree if c[0] in visible)

    def rounds_visible_to(self, user) -> Mapping[int, FollowUpRound]:
        """The rounds `user` may see (the rule of FollowUpRoundQuerySet.visible_to)."""
        states = round_states_visible_to(user)
        if states is None:
            return self.rounds
        return {pk: r for pk, r in self.rounds.items() if r.state in states}


def in_danish_order(names) -> list[int]:
    """The pks of (pk, name) pairs in Danish order of their names (then by pk)."""
    return [pk for pk, name in sorted(names, key=lambda r: (danish_key(r[1]), r[0]))]


def _named_rows() -> list[tuple[str, int, str, int | None]]:
    """(table, pk, name, parent id) of every department, theme and annual report (a year as
    its name), in one query (UNION ALL): a process's first list request stays within the
    pages' query budget."""
    no_parent = Value(None, output_field=IntegerField())

    def rows(queryset, table: str, name, parent=no_parent):
        return (
            queryset.order_by()
            .annotate(row_table=Value(table), row_name=name, row_parent=parent)
            .values_list("row_table", "pk", "row_name", "row_parent")
        )

    departments = rows(Department.objects, "department", F("name"), F("parent_id"))
    themes = rows(Theme.objects, "theme", F("name"))
    reports = rows(AnnualReport.objects, "report", Cast("year", CharField()))
    return list(departments.union(themes, reports, all=True))


def load() -> Vocabulary:
    """The vocabulary as the database holds it now (two queries)."""
    named = _named_rows()
    reports = tuple(
        sorted(
            ((pk, int(year)) for table, pk, year, _ in named if table == "report"),
            key=lambda r: -r[1],
        )
    )
    themes = tuple(sorted((pk, name) for table, pk, name, _ in named if table == "theme"))
    theme_names = dict(themes)
    theme_order = tuple(in_danish_order(themes))
    departments = tuple(
        sorted((pk, name, parent) for table, pk, name, parent in named if table == "department")
    )
    names = {pk: name for pk, name, _parent in departments}
    children = children_map((pk, parent) for pk, _name, parent in departments)
    tree: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for pk in sorted(children.get(parent, []), key=lambda pk: (danish_key(names[pk]), pk)):
            tree.append((pk, "\u2003" * depth + names[pk]))
            walk(pk, depth + 1)

    walk(None, 0)
    rounds = {
        r.pk: r
        for r in FollowUpRound.objects.select_related("report").order_by(
            "-report__year", "deadline"
        )
    }
    return Vocabulary(
        reports=reports,
        year_choices=SharedChoices((year, str(year)) for _pk, year in reports),
        theme_choices=SharedChoices((pk, theme_names[pk]) for pk in theme_order),
        theme_order=theme_order,
        children=MappingProxyType({parent: tuple(ids) for parent, ids in children.items()}),
        department_order=tuple(in_danish_order(names.items())),
        department_tree=SharedChoices(tree),
        rounds=MappingProxyType(rounds),
    )


# The vocabulary this process built last, with the digest it was built for. Threads that
# find it outdated at the same moment each load it (a replaced tuple, never a mixed one).
_held: tuple[str, Vocabulary] | None = None


def current() -> Vocabulary:
    """The vocabulary for the tables as they are now: one query on PostgreSQL while they
    are unchanged."""
    global _held
    if connection.vendor != "postgresql":
        return load()
    version = _digest()
    held = _held
    if held is not None and held[0] == version:
        return held[1]
    vocabulary = load()
    # Loaded after the digest was read: at least as new as the state it names. Were it
    # newer, the next request's digest differs and loads again, so it is not kept stale,
    # unless the rows went back to exactly the digest's state within the milliseconds
    # between the two reads. Of the rows the filters read, only a round's state can go
    # back (closed, then reopened), and only "published" matters to them, which is final.
    _held = (version, vocabulary)
    return vocabulary


def forget() -> None:
    """Drop the vocabulary this process holds (tests: ids repeat after a rollback)."""
    global _held
    _held = None


def _digest() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_digest_sql())
        return cursor.fetchone()[0]


@functools.cache
def _digest_sql() -> str:
    """An md5 of every row of the vocabulary's tables, in pk order (PostgreSQL)."""
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in VOCABULARY_MODELS]  # constants, not input
    parts = ", ".join(
        f"(SELECT coalesce(string_agg(t::text, '|' ORDER BY t.id), '') FROM {quote(table)} t)"  # noqa: S608
        for table in tables
    )
    return f"SELECT md5(concat_ws('#', {parts}))"  # noqa: S608 (table names only)
