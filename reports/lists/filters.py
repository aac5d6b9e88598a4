"""The lists' filters (django-filter): the fields both lists share (BaseListFilter), the
follow-up list's (FollowUpFilter) and the recommendation list's (RecommendationFilter), whose
follow-up criteria mean "has a visible follow-up that …".

Each list's `filter_queryset` is four steps (BaseListFilter.filter_queryset): `restrict` the
rows to what the user may see, `narrow` them by each criterion asked for, keep them for
counting (`counted`) and put them in `order`."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

import django_filters
from django import forms
from django.db import connections
from django.db.models import BigIntegerField, ExpressionWrapper, F, Max, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from core import queries
from departments.access import access_for
from followups.models import (
    ActionStatus,
    FollowUp,
    FollowUpProgress,
    FollowUpProgressQuerySet,
    FollowUpQuerySet,
    FollowUpRound,
)
from recommendations.models import Recommendation, RecommendationQuerySet
from reports.lists import criteria
from reports.lists.criteria import Data
from reports.lists.vocabulary import SharedChoices
from reports.lists.vocabulary import current as current_vocabulary

STATUS_CHOICES = [*ActionStatus.choices, ("none", _("No status yet"))]
COMPLETION_CHOICES = [("open", _("Not finished")), ("finished", _("Finished"))]

# The rows of a list: follow-ups or recommendations.
Rows = TypeVar("Rows", FollowUpQuerySet, RecommendationQuerySet)


class BaseListFilter(django_filters.FilterSet, Generic[Rows]):
    """Fields both lists share, and the steps of `filter_queryset`, which each list
    implements: `restrict`, `narrow`, `counted` and `order`.

    Choices are loaded once per request (one query per vocabulary) and reused for the
    options, validation, the sub-department tree and, on SQLite, the Danish sort.
    """

    q = django_filters.CharFilter(
        label=_("Search text"),
        method="_unused",
        help_text=_("Words from the text; Danish word forms match (e.g. 'svar' finds 'svaret')."),
    )
    year = django_filters.TypedChoiceFilter(
        label=_("Year of the annual report"), choices=[], coerce=int, method="_unused"
    )
    round = django_filters.ChoiceFilter(label=_("Round"), choices=[], method="_unused")
    theme = django_filters.ChoiceFilter(label=_("Theme"), choices=[], method="_unused")
    department = django_filters.ChoiceFilter(
        label=_("Department"),
        choices=[],
        method="_unused",
        help_text=_("Includes its sub-departments."),
    )
    only_this = django_filters.BooleanFilter(
        label=_("Only this department, not its sub-departments"),
        widget=forms.CheckboxInput,
        method="_unused",
    )
    status = django_filters.ChoiceFilter(
        label=_("Latest status"), choices=STATUS_CHOICES, method="_unused"
    )
    state = django_filters.MultipleChoiceFilter(
        label=_("Workflow state"),
        choices=FollowUp.State.choices,
        widget=forms.CheckboxSelectMultiple,
        method="_unused",
    )
    completion = django_filters.ChoiceFilter(
        label=_("Finished or not"), choices=COMPLETION_CHOICES, method="_unused"
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), widget=forms.CheckboxInput, method="_unused"
    )
    written = django_filters.BooleanFilter(
        label=_("Action written"), widget=forms.CheckboxInput, method="_unused"
    )
    moved = django_filters.BooleanFilter(
        label=_("Target date moved"), widget=forms.CheckboxInput, method="_unused"
    )

    SORT_CHOICES: list[tuple[str, Any]] = []
    # The follow-up criteria with which the department is said on the progress read model
    # (see visible_followups). A status always: the (department, status) index finds its
    # follow-ups. Completion on the recommendation list only, whose test for a matching
    # follow-up starts from the read model: the follow-up list walks the follow-ups
    # themselves, on their own department index (a manager's open follow-ups of a theme,
    # 68 ms, took 150 ms with the department on the read model).
    DEPARTMENT_ON_PROGRESS: tuple[str, ...] = ("status",)
    # Whether a text search within a year weighs the walk against the year's rows rather
    # than the whole table (see text_search_walks). Measured at national scale: follow-ups,
    # a common word in 2024, 340 -> 108 ms; recommendations, a rarer one, 302 -> 431 ms.
    WALK_WITHIN_YEAR = False
    # Set by filter_queryset: the matching rows, for counting them, in the order to count
    # them in (see reports.lists.views.bounded_count): the list's newest-first order, or
    # none for a text search (its matches come from the GIN index). A sort by group may
    # restrict `qs` to the rows its pages can show, which count the same but cost the walk
    # again.
    matching: QuerySet[Any] | None = None

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = None,
        queryset: Rows | None = None,
        *,
        request: HttpRequest,
        window: int | None = None,
    ) -> None:
        """`window`: the rows the list needs, up to the end of the page shown (its count
        comes from `matching`); sorts by theme or department and text searches then read
        only that many rows in order."""
        super().__init__(data, queryset, request=request)
        # Always filtered, also without form data: filter_queryset restricts the queryset
        # to what the user may see, which django-filter skips when unbound.
        self.is_bound = True
        self.window = window
        self.user = request.user
        access = access_for(self.user)
        # Read-only roles see published rounds' statuses only, in the rows and the filters.
        self.published_only = access.is_read_only
        if self.published_only:
            # They see published action plans only, whose follow-ups are all approved: a
            # workflow state finds nothing else (after a scan of every follow-up).
            del self.filters["state"]
        vocabulary = current_vocabulary()
        self.filters["year"].extra["choices"] = vocabulary.year_choices
        self.reports_newest_first = [pk for pk, _year in vocabulary.reports]
        # The recommendation list filters a year as its report's id: an equality on its rows'
        # own column, which its walk's index scans use (a join to the report would be tested
        # row by row). The follow-up list keeps the join: PostgreSQL plans its overdue+year
        # count better with it (19 ms against 28 ms at national scale).
        self.report_of_year = {year: pk for pk, year in vocabulary.reports}
        self.vocabulary = vocabulary
        self.filters["theme"].extra["choices"] = vocabulary.theme_choices
        self.children = vocabulary.children
        self.visible = access.visible_department_ids()
        self.filters["department"].extra["choices"] = vocabulary.department_choices(self.visible)
        self.rounds = vocabulary.rounds_visible_to(self.user)
        self.filters["round"].extra["choices"] = SharedChoices(
            (pk, f"{r.report.year}: {r.name}") for pk, r in self.rounds.items()
        )
        self.filters["sort"].extra["choices"] = self.SORT_CHOICES

    # --- The steps ---

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.form.is_valid() or not self.rows_of_year_visible(
            self.form.cleaned_data.get("year")
        ):
            # Invalid filters, or a read-only role asking for a year whose action plan is not
            # published (none of its rows are theirs): nothing to show, and no query need
            # test the rows.
            self.matching = queryset.none()
            return self.matching
        data = self.form.cleaned_data
        # The queryset given, as django-filter hands it on (`self.queryset.all()`).
        visible = self.restrict(cast(Rows, queryset), data)
        rows = self.narrow(visible, data)
        self.matching = self.counted(rows, data)
        return self.order(rows, data, visible)

    def restrict(self, rows: Rows, data: Data) -> Rows:
        """The rows the user may see (the access rule, through `visible_to`)."""
        raise NotImplementedError

    def narrow(self, visible: Rows, data: Data) -> Rows:
        """The visible rows meeting every criterion asked for."""
        raise NotImplementedError

    def counted(self, rows: Rows, data: Data) -> Rows:
        """The matching rows in the order to count them in (see `matching`)."""
        raise NotImplementedError

    def order(self, rows: Rows, data: Data, visible: Rows) -> QuerySet[Any]:
        """The matching rows in the order asked for (`visible`: for a text search's page)."""
        raise NotImplementedError

    # --- Shared by the steps ---

    def published_plan_reports(self) -> list[int] | None:
        """For read-only roles, the reports whose action plan is published (the rule of
        FollowUpQuerySet.visible_to, read from the rounds already loaded); None for everyone
        else."""
        if not self.published_only:
            return None
        return sorted(
            {
                r.report_id
                for r in self.rounds.values()
                if r.kind == FollowUpRound.Kind.PLAN and r.state == FollowUpRound.State.PUBLISHED
            }
        )

    def newest_plan_recommendation(self) -> int | None:
        """The highest recommendation id of the reports whose action plan is published (None
        if there is none): no follow-up a read-only role sees belongs to a newer one."""
        newest: int | None = (
            Recommendation.objects.filter(report_id__in=self.published_plan_reports() or [])
            .aggregate(newest=Max("pk"))
            .get("newest")
        )
        return newest

    def _unused(self, queryset: Rows, name: str, value: Any) -> Rows:  # pragma: no cover
        # Every field is applied by filter_queryset, never one by one.
        return queryset

    def by_theme(self, rows: Rows, key: str, within: tuple[str, ...]) -> QuerySet[Any]:
        """Sorted by theme name in Danish order, then `within`."""
        return queries.order_by_groups(
            rows,
            key=key,
            groups=list(self.vocabulary.theme_order),
            within=within,
            window=self._walk_window(),
        )

    def search_results(self, matches: Rows, order: tuple[Any, ...], visible: Rows) -> Rows:
        """A text search's matches (from the GIN index) in `order`.

        With a window, only the first `window` matches' pks are sorted (narrow rows, not
        whole rows with their texts), and only those rows are read again for the page,
        through the `visible` queryset, without testing their text a second time.
        """
        if self.window is None or connections[matches.db].vendor != "postgresql":
            return matches.order_by(*order)
        first = matches.order_by(*order).values("pk")[: self.window]
        return visible.filter(pk__in=first).order_by(*order)

    def visible_followups(self, followups: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        """`followups` restricted to those the user may see in the departments filtered on,
        in one condition (FollowUpQuerySet.visible_to). With one of the criteria in
        DEPARTMENT_ON_PROGRESS, or an overdue read from the read model (overdue_on_progress),
        on the progress read model's copy of the department, which those criteria read
        anyway (not for read-only roles: their published statuses are found by report)."""
        on_progress = not self.published_only and (
            any(data.get(name) for name in self.DEPARTMENT_ON_PROGRESS)
            or self.overdue_on_progress(data)
        )
        return followups.visible_to(
            self.user,
            departments=criteria.filtered_departments(data, self.children),
            on_progress=on_progress,
        )

    def overdue_on_progress(self, data: Data) -> bool:
        """Whether an overdue criterion is read from the progress read model alone (with
        the department and the target date's copy): when the other follow-up criteria are
        on it too. Beside a workflow state or a theme, the follow-ups are walked anyway and
        their own date and department are at hand (approved and overdue in a theme, the
        secretariat's: 31 ms of SQL on the follow-ups, 48 ms on the read model). Only in
        some departments (a filter, or a member's) or in a year, whose open rows the read
        model's indexes hold by (department, target date) and (report, recommendation):
        otherwise the follow-ups' own indexes lead (sorted by target date, the
        secretariat's: 12 ms of SQL on the follow-ups, 71 ms on the read model)."""
        # `visible`: a member's own departments (none for a user without a role).
        narrowed = data.get("department") or data.get("year") or self.visible is not None
        return bool(data.get("overdue") and narrowed and criteria.on_read_model(data))

    def text_search_walks(self, matches: Rows) -> bool:
        """Whether a text search reads the rows in the list's order and tests their text
        (common words: a page of matches comes after a few hundred rows) rather than
        collecting every match from the GIN index and sorting them (rare words: the walk
        would test thousands of rows). The same rule as walking groups
        (`core.queries.walk_pays`): a word in 11 % of 600,000 follow-ups took 130 ms from the
        index, 5 ms walked."""
        if self.window is None or connections[matches.db].vendor != "postgresql":
            return False
        year = self.form.cleaned_data.get("year")
        if not self.rows_of_year_visible(year):
            return False
        table = queries.table_rows(matches)
        if year and self.WALK_WITHIN_YEAR:
            # The walk reads one year's rows: about the table's share of one report.
            table //= max(1, len(self.report_of_year))
        return queries.walk_pays(queries.estimated_rows(matches), self.window, table)

    def rows_of_year_visible(self, year: int | None) -> bool:
        """Whether the user may see the list's rows of `year` (None: of any year)."""
        return True

    def _walk_window(self) -> int | None:
        # A text search takes its matches from the GIN index; walking groups would test the
        # text of every row on the way.
        return None if self.form.cleaned_data.get("q") else self.window


class FollowUpFilter(BaseListFilter[FollowUpQuerySet]):
    reported = django_filters.ChoiceFilter(
        label=_("Status in the round"),
        choices=[("yes", _("Reported")), ("no", _("Not yet reported"))],
        method="_unused",
        help_text=_("With a status round chosen: whether a status has been saved in it."),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=[], method="_unused", empty_label=_("Newest first")
    )
    WALK_WITHIN_YEAR = True
    SORT_CHOICES = [
        ("theme", _("Theme (A–Å)")),
        ("department", _("Department (A–Å)")),
        ("target_date", _("Target date")),
    ]

    class Meta:
        model = FollowUp
        fields: list[str] = []

    def rows_of_year_visible(self, year: int | None) -> bool:
        """Read-only roles see no follow-up of a year whose action plan is not published: a
        text search's walk there would test every row for nothing. Without a year the walk
        starts at the newest published plan's rows (see restrict)."""
        if not self.published_only or not year:
            return True
        return self.report_of_year[year] in (self.published_plan_reports() or [])

    # --- The steps ---

    def restrict(self, rows: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        """The follow-ups the user may see, in the departments filtered on (in the access
        rule's own condition: visible_followups)."""
        visible = self.visible_followups(rows, data)
        if self.published_only and not data.get("year"):
            # Read-only roles see published action plans' follow-ups only: the newest-first
            # walk would read every follow-up of the newest report, whose plan is not yet
            # published (50,000 at national scale), before the first it may show. Bounded on
            # the follow-up's own column, the walk starts at the newest it may show (the
            # council's open follow-ups: 429 -> 66 ms at national scale).
            newest = self.newest_plan_recommendation()
            if newest is not None:
                visible = visible.filter(recommendation_id__lte=newest)
        return visible

    def narrow(self, visible: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        rows = self.in_year(visible.search(data.get("q") or ""), data)
        rows = self.in_round(rows, data)
        if data.get("theme"):
            rows = rows.filter(recommendation__theme_id=int(data["theme"]))
        return criteria.apply_followup_criteria(
            rows,
            data,
            published_only=self.published_only,
            plan_reports=self.published_plan_reports(),
            overdue_on_progress=self.overdue_on_progress(data),
        )

    def counted(self, rows: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        """In the list's order (see BaseListFilter.matching), except where an index leads
        to the matches themselves and PostgreSQL reads just those unordered: a text search's
        (GIN), a year's (its recommendations) and a member's (a few departments of many).
        Measured at national scale: a round's count took 80 ms ordered and 215 ms
        unordered; status=none's, unordered, 108 ms (a merge join from the oldest)."""
        unordered = data.get("q") or data.get("year") or self.visible is not None
        return rows.order_by() if unordered else rows.order_by(*self.newest_first(data))

    def order(self, rows: FollowUpQuerySet, data: Data, visible: FollowUpQuerySet) -> QuerySet[Any]:
        sort = data.get("sort")
        if sort == "theme":
            return self.by_theme(rows, "recommendation__theme_id", self.newest_first(data))
        if sort == "department":
            return self.by_department(rows, data)
        if sort == "target_date":
            return self.by_target_date(rows, data)
        if data.get("q") and not self.text_search_walks(rows):
            # The order as an expression no index provides: PostgreSQL then takes the
            # matches from the GIN index instead of walking the newest-first index and
            # testing every row's text (seconds when two common words rarely meet).
            as_expression = ExpressionWrapper(
                -F("recommendation_id"), output_field=BigIntegerField()
            )
            return self.search_results(rows, (as_expression, "pk"), visible)
        return rows.order_by(*self.newest_first(data))

    # --- Narrowing ---

    def in_year(self, rows: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        if not data.get("year"):
            return rows
        if data.get("status") or self.overdue_on_progress(data):
            # From the read model's (status, report, recommendation) index, or overdue from
            # its (report, recommendation) index of open rows.
            return rows.filter(progress__report_id=self.report_of_year[data["year"]])
        return rows.filter(recommendation__report__year=data["year"])

    def in_round(self, rows: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        if not data.get("round"):
            return rows
        round = self.rounds[int(data["round"])]
        rows = rows.in_round(round)
        if data.get("reported") and round.kind == FollowUpRound.Kind.STATUS:
            rows = rows.reported_in(round, reported=data["reported"] == "yes")
        return rows

    # --- Ordering ---

    def newest_first(self, data: Data) -> tuple[str, str]:
        """Newest recommendation first: index-backed (follow-up.recommendation_id), so the
        first page never sorts 600,000 rows.

        Read from the read model's (status, recommendation) index or its finished / open
        ones with a status, a completion or an overdue read there (in_progress_order): rows
        with the status come newest first without testing the rows without it (the newest
        report's have no status yet); overdue ones from the open ones, with the target date
        beside them. Not with a theme (one of 36: its own index of recommendations, newest
        first, is the narrower walk)."""
        if self.in_progress_order(data) and not data.get("theme"):
            return ("-progress__recommendation_id", "pk")
        return ("-recommendation_id", "pk")

    def in_progress_order(self, data: Data) -> bool:
        """Whether the criteria are read in the read model's order: a status; a completion
        or an overdue, but not read-only roles' (the newest report's rows, all open, are
        not theirs: the index would lead through them)."""
        return bool(
            data.get("status")
            or (data.get("completion") and not self.published_only)
            or self.overdue_in_progress_order(data)
        )

    def overdue_in_progress_order(self, data: Data) -> bool:
        """Overdue in the read model's order: read-only roles' within a year only (without
        one, the newest report's open rows, not theirs, lead that index)."""
        return self.overdue_on_progress(data) and (
            not self.published_only or bool(data.get("year"))
        )

    def by_department(self, rows: FollowUpQuerySet, data: Data) -> QuerySet[Any]:
        """Sorted by department name in Danish order (the user's departments), then newest
        first."""
        groups = [
            pk
            for pk in self.vocabulary.department_order
            if self.visible is None or pk in self.visible
        ]
        return queries.order_by_groups(
            rows,
            key="department_id",
            groups=groups,
            within=self.newest_first(data),
            window=self._walk_window(),
        )

    def by_target_date(self, rows: FollowUpQuerySet, data: Data) -> FollowUpQuerySet:
        if self.overdue_in_progress_order(data):
            # The read model's copy: its (department, target date) index of open rows
            # gives a department's overdue follow-ups in this order (a manager's: 35 ->
            # 17 ms of SQL at national scale).
            return rows.order_by("progress__target_date", "pk")
        return rows.order_by("target_date", "pk")


class RecommendationFilter(BaseListFilter[RecommendationQuerySet]):
    """Recommendation fields directly; follow-up fields mean "has a visible follow-up that …"."""

    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=[], method="_unused", empty_label=_("Newest report first")
    )
    SORT_CHOICES = [("theme", _("Theme (A–Å)")), ("oldest", _("Oldest report first"))]
    # A manager's recommendations with a finished follow-up: 235 -> 79 ms at national scale.
    DEPARTMENT_ON_PROGRESS = ("status", "completion")

    class Meta:
        model = Recommendation
        fields: list[str] = []

    # --- The steps ---

    def restrict(self, rows: RecommendationQuerySet, data: Data) -> RecommendationQuerySet:
        return rows.visible_to(self.user)

    def narrow(self, visible: RecommendationQuerySet, data: Data) -> RecommendationQuerySet:
        rows = visible.search(data.get("q") or "")
        if data.get("year"):
            rows = rows.filter(report_id=self.report_of_year[data["year"]])
        if data.get("round"):
            rows = rows.filter(report_id=self.rounds[int(data["round"])].report_id)
        if data.get("theme"):
            rows = rows.filter(theme_id=int(data["theme"]))
        if criteria.has_followup_criteria(data):
            rows = self.with_matching_followup(rows, data)
        return rows

    def counted(self, rows: RecommendationQuerySet, data: Data) -> RecommendationQuerySet:
        """Newest first, as shown (recommendations' ids grow with their reports), but for a
        text search (from the GIN index) and a status other than "no status yet":
        PostgreSQL then counts up to the cap from the read model's (department, status) or
        (status, recommendation) index as it finds them, instead of sorting every match
        first. Measured at national scale: a manager's "done" 84 -> 42 ms, a council
        member's "paused" 108 -> 21 ms; "no status yet" (the newest report's) 14 ms ordered
        against 26 ms unordered.
        A member's follow-up criteria too (a few departments of many), as on the follow-up
        list: a manager's recommendations with a moved target date 138 -> 39 ms, with a
        follow-up in a sub-department 63 -> 21 ms."""
        unordered = (
            data.get("q")
            or data.get("status") not in (None, "", "none")
            or (self.visible is not None and criteria.has_followup_criteria(data))
        )
        return rows.order_by() if unordered else rows.order_by("-pk")

    def order(
        self, rows: RecommendationQuerySet, data: Data, visible: RecommendationQuerySet
    ) -> QuerySet[Any]:
        sort = data.get("sort")
        if sort == "theme":
            return self.by_theme(rows, "theme_id", ("-report__year", "number"))
        # Text searches keep these orders too (newest report first by default): at 10,000
        # recommendations per year, that finds a page of matches faster than ranking them.
        oldest = sort == "oldest"
        walk_text = bool(data.get("q")) and self.text_search_walks(rows)
        if data.get("q") and not walk_text:
            order = ("report__year", "number") if oldest else ("-report__year", "number")
            return self.search_results(rows, order, visible)
        # The reports in year order are groups walked on the (report, number) index: sorting
        # by the report's year otherwise sorts every matching recommendation before the first
        # page (45 ms for 120,000 with a follow-up filter, which keeps PostgreSQL from a
        # top-N sort).
        reports = self.reports_listed(data)
        return queries.order_by_groups(
            rows,
            key="report_id",
            groups=reports[::-1] if oldest else reports,
            within=("number",),
            window=self.window if walk_text else self._walk_window(),
        )

    # --- Narrowing by follow-up criteria ---

    def reports_listed(self, data: Data) -> list[int]:
        """The reports whose recommendations the list may show, newest first: a year's, a
        round's, and for read-only roles with a follow-up criterion the published plans'."""
        reports = self.reports_newest_first
        if data.get("year"):
            reports = [self.report_of_year[data["year"]]]
        if data.get("round"):
            report = self.rounds[int(data["round"])].report_id
            reports = [pk for pk in reports if pk == report]
        plan_reports = self.published_plan_reports()
        if plan_reports is not None and criteria.has_followup_criteria(data):
            reports = [pk for pk in reports if pk in plan_reports]
        return reports

    def with_matching_followup(
        self, rows: RecommendationQuerySet, data: Data
    ) -> RecommendationQuerySet:
        """The recommendations with a visible follow-up meeting the follow-up criteria."""
        plan_reports = self.published_plan_reports()
        if plan_reports is not None:
            # Read-only roles see the follow-ups of published action plans only: the
            # other reports' recommendations (the newest's, 10,000) need no testing.
            rows = rows.filter(report_id__in=plan_reports)
        followups, report, via = self.matching_followups(data, plan_reports)
        # Narrowed as the recommendations are, so that finding few follow-ups reads only
        # their report's or theme's.
        reports = self.reports_listed(data)
        if len(reports) < len(self.reports_newest_first):
            followups = followups.filter(**{f"{report}__in": reports})
        if data.get("theme"):
            followups = followups.filter(recommendation__theme_id=int(data["theme"]))
        few = criteria.few_recommendation_ids(followups)
        if few is None:
            return rows.with_followup_in(followups, via=via)
        return rows.filter(queries.AnyOf(F("pk"), sorted(few))) if few else rows.none()

    def matching_followups(
        self, data: Data, plan_reports: list[int] | None
    ) -> tuple[FollowUpQuerySet | FollowUpProgressQuerySet, str, str]:
        """The visible follow-ups (or their progress rows) meeting the follow-up criteria,
        with the lookups from them to their report and to their recommendation.

        Overdue as the follow-up list reads it (BaseListFilter.overdue_on_progress): on the
        read model within some departments or a year, whose open rows its indexes hold;
        without them the follow-ups' own target-date test was faster (the secretariat's
        overdue recommendations, interleaved: 19-22 ms of SQL on the follow-ups, 23-24 ms
        on the read model)."""
        if criteria.on_read_model(data) and (
            not data.get("overdue") or self.overdue_on_progress(data)
        ):
            return self.matching_progress(data), "report_id", "recommendation"
        followups = criteria.apply_followup_criteria(
            self.visible_followups(FollowUp.objects.all(), data),
            data,
            published_only=self.published_only,
            plan_reports=plan_reports,
        )
        # With a status, on the read model's (status, report, recommendation) index.
        status = data.get("status")
        report = "progress__report_id" if status else "recommendation__report_id"
        # A status or completion is tested on the read model's (status, recommendation) or
        # finished / open indexes: one lookup per recommendation, not one per follow-up of
        # it (not read-only roles' completion: see FollowUpFilter.in_progress_order).
        on_progress = status or (data.get("completion") and not self.published_only)
        via = "progress__recommendation" if on_progress else "recommendation"
        return followups, report, via

    def matching_progress(self, data: Data) -> FollowUpProgressQuerySet:
        """A status, "finished or not" or overdue alone (and a department): the read model
        answers it by itself, without the follow-ups (a manager's recommendations with a
        follow-up done: 186 -> 96 ms of SQL at national scale; overdue in a department,
        with its copy of the target date: 64 -> 30 ms)."""
        progress: FollowUpProgressQuerySet = FollowUpProgress.objects.visible_to(
            self.user, departments=criteria.filtered_departments(data, self.children)
        )
        progress = criteria.progress_criteria(progress, data, published_only=self.published_only)
        if data.get("overdue"):
            progress = progress.overdue(published_only=self.published_only)
        return progress
