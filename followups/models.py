"""Rounds of follow-up, each department's answer to a recommendation, and its status."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import MD5, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core import queries
from core.text import TEXT_MAX_LENGTH, max_length_check
from departments.access import access_for
from departments.models import Department
from recommendations.models import AnnualReport, Recommendation


class ActionStatus(models.TextChoices):
    """Status of a follow-up action as reported in a status round (DOMAIN.md)."""

    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Completed")
    ONGOING = "ongoing", _("Ongoing")
    PAUSED = "paused", _("Paused")
    DROPPED = "dropped", _("Not carried out")
    # An imported status written as free text, without a status word: nobody has said yet
    # how far the action has come.
    NOT_ASSESSED = "not_assessed", _("Not assessed")


# Statuses after which an action no longer counts as open or overdue.
FINISHED_STATUSES = (ActionStatus.DONE, ActionStatus.ONGOING, ActionStatus.DROPPED)


class FollowUpRoundQuerySet(models.QuerySet["FollowUpRound"]):
    def open(self) -> FollowUpRoundQuerySet:
        return self.filter(state=FollowUpRound.State.OPEN)

    def published(self) -> FollowUpRoundQuerySet:
        return self.filter(state=FollowUpRound.State.PUBLISHED)

    def plans(self) -> FollowUpRoundQuerySet:
        return self.filter(kind=FollowUpRound.Kind.PLAN)

    def status_rounds(self) -> FollowUpRoundQuerySet:
        return self.filter(kind=FollowUpRound.Kind.STATUS)

    def visible_to(self, user) -> FollowUpRoundQuerySet:
        """Council members and others with read-only access see published rounds only."""
        states = round_states_visible_to(user)
        if states is None:
            return self
        return self.filter(state__in=states) if states else self.none()


def round_states_visible_to(user) -> frozenset[str] | None:
    """The states of the rounds `user` may see (None: every round; empty: none). The one
    rule for rounds: FollowUpRoundQuerySet.visible_to says it in SQL, the lists'
    vocabulary (reports/lists/vocabulary.py) on the rounds it holds."""
    if not user.is_authenticated:
        return frozenset()
    if access_for(user).is_read_only:
        return frozenset({FollowUpRound.State.PUBLISHED})
    return None


# The choices of the rounds' and follow-ups' columns (FollowUpRound.Kind, .State,
# FollowUp.State), at module level so that the models' CHECK constraints can name their values.
class RoundKind(models.TextChoices):
    PLAN = "plan", _("Action plan")
    STATUS = "status", _("Status")


class RoundState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    PUBLISHED = "published", _("Published")


class FollowUpState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class FollowUpRound(models.Model):
    Kind = RoundKind
    State = RoundState

    report = models.ForeignKey(
        AnnualReport,
        verbose_name=_("annual report"),
        on_delete=models.PROTECT,
        related_name="rounds",
        help_text=_("The annual report this round follows up."),
    )
    name = models.CharField(
        _("name"), max_length=150, help_text=_("E.g. 'Handleplan april 2025' or 'Status 2026'.")
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=Kind.choices,
        help_text=_(
            "Action plan: departments write what they will do. Status: they report what happened."
        ),
    )
    deadline = models.DateField(_("deadline"), help_text=_("When departments must have answered."))
    meeting_date = models.DateField(
        _("committee meeting"),
        null=True,
        blank=True,
        help_text=_("The committee meeting where the round is presented."),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.OPEN,
        help_text=_("Open rounds accept answers; published rounds are frozen."),
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = FollowUpRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up round")
        verbose_name_plural = _("follow-up rounds")
        ordering = ["report__year", "deadline", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["report", "name"], name="round_unique_name"),
            models.UniqueConstraint(
                fields=["report"], condition=Q(state="open"), name="round_one_open_per_report"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="round_name_not_empty"),
            models.CheckConstraint(condition=Q(kind__in=RoundKind.values), name="round_valid_kind"),
            models.CheckConstraint(
                condition=Q(state__in=RoundState.values), name="round_valid_state"
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="round_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.report.year})"

    def get_absolute_url(self) -> str:
        return reverse("followups:round_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


def has_status_in(round: FollowUpRound) -> Exists:
    """For a FollowUp queryset: the follow-up has a status saved in `round`."""
    return Exists(StatusUpdate.objects.filter(followup=OuterRef("pk"), round=round))


def _progress_fields(published_only: bool) -> tuple[str, str]:
    """The read model's (status, finished-on) columns: of all rounds, or of published ones."""
    if published_only:
        return "published_status", "published_finished_on"
    return "latest_status", "finished_on"


def _restricted_to_visible(queryset, user, departments, *, report: str, department: str):
    """The access rule for follow-ups, said on `queryset`'s `report` and `department` fields
    (a follow-up's own or its read model's copies): the departments the user sees (narrowed
    to `departments` unless None, in the same condition), and for read-only roles the
    reports whose action plan is published (every department's). Used by the visible_to of
    FollowUp and of its read model, FollowUpProgress."""
    if not user.is_authenticated:
        return queryset.none()
    access = access_for(user)
    # Read-only roles see every department's published plans.
    ids = None if access.is_read_only else access.visible_department_ids()
    if departments is not None:
        ids = frozenset(departments) if ids is None else ids & frozenset(departments)
    if access.is_read_only:
        published = FollowUpRound.objects.plans().published().values("report_id")
        queryset = queryset.filter(**{f"{report}__in": published})
    return queryset if ids is None else queryset.filter(**{f"{department}__in": ids})


def _status_in(statuses, published_only: bool, prefix: str) -> Q:
    """The read model's latest status is one of `statuses` ("none": no status yet); `prefix`
    leads from the queryset's model to the read model ("" on the read model itself)."""
    field, _finished = _progress_fields(published_only)
    return Q(**{f"{prefix}{field}__in": ["" if s == "none" else s for s in statuses]})


def _finished(finished: bool, published_only: bool, prefix: str) -> Q:
    """Some status says the action is finished (or, `finished=False`, none does yet)."""
    _status, field = _progress_fields(published_only)
    return Q(**{f"{prefix}{field}__isnull": not finished})


def _today(today: datetime.date | None) -> datetime.date:
    return today or datetime.date.today()  # noqa: DTZ011 (a local calendar date)


def _overdue(today: datetime.date | None, published_only: bool, prefix: str) -> Q:
    """The read model's copy of the target date passed and no status says the action is
    finished."""
    return Q(**{f"{prefix}target_date__lt": _today(today)}) & _finished(
        False, published_only, prefix
    )


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def for_department(self, department_ids) -> FollowUpQuerySet:
        return self.filter(department_id__in=department_ids)

    def visible_to(
        self, user, *, departments: Iterable[int] | None = None, on_progress: bool = False
    ) -> FollowUpQuerySet:
        """Own departments' follow-ups; read-only roles see only published action plans.

        `departments`: of these departments only (a list's department filter), said in the
        same condition as the access rule: PostgreSQL takes two conditions on one column as
        independent and expects far too few rows to meet both (a manager's sub-department).
        `on_progress`: the department condition is put on the progress read model's copy of
        the follow-up's department (every follow-up has one row, and its department never
        changes), for queries that filter on the read model anyway: PostgreSQL then finds
        and counts the rows in one table (a manager's "status done": 354 follow-ups expected
        from a join of two department conditions, 10,252 found).
        """
        return _restricted_to_visible(
            self,
            user,
            departments,
            report="recommendation__report_id",
            department="progress__department_id" if on_progress else "department_id",
        )

    def with_statuses_for(self, user) -> FollowUpQuerySet:
        """Each follow-up's statuses prefetched (`status_updates.all`), of the rounds `user`
        may see, oldest round first."""
        return self.prefetch_related(
            models.Prefetch(
                "status_updates",
                queryset=StatusUpdate.objects.filter(
                    round__in=FollowUpRound.objects.visible_to(user)
                )
                .select_related("round", "author")
                .order_by("round__deadline", "pk"),
            )
        )

    def assigned_to(self, user) -> FollowUpQuerySet:
        return self.filter(assignee=user)

    def in_open_rounds(self) -> FollowUpQuerySet:
        """The tasks of the open rounds: in an open action-plan round every follow-up of its
        report, in an open status round the approved ones (as `in_round`)."""
        open_rounds = FollowUpRound.objects.open()
        return self.filter(
            Q(recommendation__report_id__in=open_rounds.plans().values("report_id"))
            | Q(
                recommendation__report_id__in=open_rounds.status_rounds().values("report_id"),
                state=FollowUp.State.APPROVED,
            )
        )

    def with_overdue(self, today: datetime.date | None = None) -> FollowUpQuerySet:
        """Annotate `is_overdue`: target date passed and no status says it is finished."""
        return self.annotate(
            is_overdue=models.ExpressionWrapper(
                # No date: not overdue (False, not SQL's NULL of "NULL < today").
                Q(
                    target_date__isnull=False,
                    target_date__lt=_today(today),
                    progress__finished_on__isnull=True,
                ),
                output_field=models.BooleanField(),
            )
        )

    def by_assignee(self, today: datetime.date | None = None):
        """Per assignee (None: not assigned): tasks, drafts, returned, submitted, approved
        and overdue (one query)."""
        state = FollowUp.State
        return (
            self.values("assignee_id")
            .annotate(
                total=Count("pk"),
                draft=Count("pk", filter=Q(state=state.DRAFT)),
                returned=Count("pk", filter=Q(state=state.RETURNED)),
                submitted=Count("pk", filter=Q(state=state.SUBMITTED)),
                approved=Count("pk", filter=Q(state=state.APPROVED)),
                overdue=Count(
                    "pk",
                    filter=Q(target_date__lt=_today(today), progress__finished_on__isnull=True),
                ),
            )
            .order_by()
        )

    def editable_by(self, user) -> FollowUpQuerySet:
        access = access_for(user)
        if access.is_secretariat:
            return self
        return self.for_department(access.member_of)

    def for_report(self, report: AnnualReport) -> FollowUpQuerySet:
        return self.filter(recommendation__report=report)

    def in_state(self, *states: str) -> FollowUpQuerySet:
        return self.filter(state__in=states)

    def awaiting_approval(self) -> FollowUpQuerySet:
        return self.filter(state=FollowUp.State.SUBMITTED)

    def awaiting_placement(self) -> FollowUpQuerySet:
        """Imported action lines whose department the secretariat has not chosen yet."""
        return self.filter(department__isnull=True)

    def with_latest_status(self, *, published_only: bool = False) -> FollowUpQuerySet:
        """Annotate `latest_status` (None: no status yet) from the progress read model.

        `published_only`: as read-only roles see it, from published rounds' statuses only
        (the rounds `FollowUpRound.objects.visible_to` shows them)."""
        status, _finished = _progress_fields(published_only)
        return self.annotate(latest_status=NullIf(F(f"progress__{status}"), Value("")))

    def answers_by_department(self, round: FollowUpRound) -> list[dict]:
        """How far `round` has come per department: in an action-plan round the tasks
        written, submitted and approved, in a status round the statuses reported."""
        if round.kind == FollowUpRound.Kind.PLAN:
            return list(self.progress_by_department())
        return list(self.status_progress_by_department(round))

    def progress_by_department(self):
        """Per department: tasks, written, submitted, approved, returned (one query)."""
        state = FollowUp.State
        return (
            self.values("department_id", "department__name")
            .annotate(
                total=Count("pk"),
                written=Count("pk", filter=~Q(action="")),
                submitted=Count("pk", filter=Q(state=state.SUBMITTED)),
                approved=Count("pk", filter=Q(state=state.APPROVED)),
                returned=Count("pk", filter=Q(state=state.RETURNED)),
            )
            .order_by("department__name")
        )

    def unanswered_in(self, round: FollowUpRound) -> FollowUpQuerySet:
        """What the round still waits for: in an action-plan round the follow-ups not yet
        approved, in a status round the approved ones without a status in it."""
        if round.kind == FollowUpRound.Kind.PLAN:
            return self.exclude(state=FollowUp.State.APPROVED)
        return self.filter(state=FollowUp.State.APPROVED).exclude(status_updates__round=round)

    def status_progress_by_department(self, round: FollowUpRound):
        """Per department: approved follow-ups and how many have a status in `round`."""
        return (
            self.filter(state=FollowUp.State.APPROVED)
            .annotate(has_status=has_status_in(round))
            .values("department_id", "department__name")
            .annotate(
                total=Count("pk"),
                reported=Count("pk", filter=Q(has_status=True)),
            )
            .order_by("department__name")
        )

    def overdue(
        self,
        today: datetime.date | None = None,
        *,
        published_only: bool = False,
        on_progress: bool = False,
    ) -> FollowUpQuerySet:
        """Target date passed and no status saying the action is finished.

        `on_progress`: the date too is read from the progress read model's copy, whose
        (department, target date) indexes of open rows find a department's overdue
        follow-ups without reading the others; for queries that need nothing else of the
        follow-ups. Otherwise the follow-up's own date, which a walk over the follow-ups has
        at hand (the "open" test is then read from an index alone)."""
        if on_progress:
            return self.filter(_overdue(today, published_only, "progress__"))
        return self.filter(target_date__lt=_today(today)).unfinished(published_only=published_only)

    # --- Lists, filters and dashboards (issue 5) ---

    def search(self, text: str) -> FollowUpQuerySet:
        """Free text in the action: danish full-text search on PostgreSQL, else every word in
        any case (core.queries.search)."""
        return queries.search(self, "action", text)

    def in_round(self, round: FollowUpRound) -> FollowUpQuerySet:
        """The tasks of a round: every follow-up of its report (status rounds: approved ones)."""
        qs = self.filter(recommendation__report_id=round.report_id)
        if round.kind == FollowUpRound.Kind.STATUS:
            qs = qs.filter(state=FollowUp.State.APPROVED)
        return qs

    def with_latest_status_in(self, statuses, *, published_only: bool = False) -> FollowUpQuerySet:
        """Latest status (by round deadline) is one of `statuses`; "none" = no status yet.

        In given departments: `visible_to(…, on_progress=True)` reads them from the same
        (department, status) index. `published_only`: counting published rounds' statuses
        only (read-only roles).
        """
        return self.filter(_status_in(statuses, published_only, "progress__"))

    def finished(self, *, published_only: bool = False) -> FollowUpQuerySet:
        """Some status says the action is done, ongoing practice or dropped."""
        return self.filter(_finished(True, published_only, "progress__"))

    def unfinished(self, *, published_only: bool = False) -> FollowUpQuerySet:
        """No status says the action is finished (yet)."""
        # Every follow-up has a progress row: an inner join (Django would otherwise make a
        # left join of it), which PostgreSQL can start from the read model's indexes.
        return self.filter(_finished(False, published_only, "progress__"), progress__isnull=False)

    def written(self) -> FollowUpQuerySet:
        return self.exclude(action="")

    def date_moved(self) -> FollowUpQuerySet:
        """The target date differs from the first one set."""
        return self.filter(original_target_date__isnull=False).exclude(
            target_date=models.F("original_target_date")
        )

    def reported_in(self, round: FollowUpRound, reported: bool = True) -> FollowUpQuerySet:
        """With (or, `reported=False`, without) a status in the status round `round`."""
        has_status = has_status_in(round)
        return self.filter(has_status if reported else ~has_status)

    def round_progress_by_department(
        self, today: datetime.date | None = None, round: FollowUpRound | None = None
    ):
        """Per department: required, written, submitted, approved, overdue and, for a status
        `round`, reported (a status saved in it); one query."""
        today = _today(today)
        state = FollowUp.State
        counts = {
            "required": Count("pk"),
            "written": Count("pk", filter=~Q(action="")),
            "submitted": Count("pk", filter=Q(state=state.SUBMITTED)),
            "approved": Count("pk", filter=Q(state=state.APPROVED)),
            "overdue": Count(
                "pk", filter=Q(target_date__lt=today, progress__finished_on__isnull=True)
            ),
        }
        if round is not None and round.kind == FollowUpRound.Kind.STATUS:
            counts["reported"] = Count("pk", filter=Q(has_status_in(round)))
        return self.values("department_id").annotate(**counts).order_by("department_id")

    def latest_status_counts(self, *group_by: str):
        """Follow-ups counted by `group_by` fields and latest status (None = no status)."""
        return (
            self.with_latest_status()
            .values(*group_by, "latest_status")
            .annotate(n=Count("pk"))
            .order_by()
        )

    def open_by_department_and_year(self):
        """Unfinished follow-ups per department and report year (the age of open items)."""
        return (
            self.unfinished()
            .values("department_id", "recommendation__report__year")
            .annotate(n=Count("pk"))
            .order_by()
        )


# The department column of a follow-up awaiting placement in the council's table and its
# exports (always Danish, like the table); the importer reads it back as "no department".
UNPLACED_NAME = "Afventer placering"


class FollowUp(models.Model):
    """One department's answer to one recommendation: "Opfølgning – Hvad gør vi?"."""

    State = FollowUpState

    # Workflow: which state may follow which.
    TRANSITIONS: dict[str, set[str]] = {
        State.DRAFT: {State.SUBMITTED},
        State.RETURNED: {State.SUBMITTED},
        State.SUBMITTED: {State.APPROVED, State.RETURNED},
        State.APPROVED: {State.RETURNED},
    }
    EDITABLE_STATES = (State.DRAFT, State.RETURNED)
    # The department's answer, listed once: the form, the admin, the conflict page and the
    # history's comparison read their fields from here.
    ANSWER_FIELDS = ("action", "responsible", "assignee", "target_date")

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="followups",
        help_text=_("The recommendation being answered."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="followups",
        # Empty: an imported action line whose department the document did not say; it
        # awaits placement by the secretariat (followup_place), seen only by the roles
        # that see every department.
        null=True,
        blank=True,
        help_text=_("The department answering (empty: awaiting placement)."),
        db_index=False,  # followup_dept_newest starts with it
    )
    action = models.TextField(
        _("follow-up action"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("What the department will do. Lines starting with '- ' become bullets."),
    )
    responsible = models.CharField(
        _("responsible"),
        max_length=200,
        blank=True,
        help_text=_("Person or team responsible for the action."),
    )
    # A user of the department, beside the free-text `responsible` (which stays for people
    # outside the system). PROTECT like every reference to a user with history: users are
    # deactivated, not deleted.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_followups",
        help_text=_("The member of the department who answers for the follow-up."),
    )
    target_date = models.DateField(
        _("target date"), null=True, blank=True, help_text=_("When the action should be done.")
    )
    original_target_date = models.DateField(
        _("original target date"),
        null=True,
        blank=True,
        help_text=_("The first target date, kept when the date is moved."),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.DRAFT,
        help_text=_("Draft → submitted → approved; a manager can return it with a comment."),
    )
    return_comment = models.TextField(
        _("manager's comment"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("Why the manager returned the follow-up."),
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["recommendation__report__year", "recommendation__number", "department__name"]
        indexes = [
            # A department's follow-ups newest first: the list sorted by department walks it.
            models.Index(
                fields=["department", "-recommendation", "id"], name="followup_dept_newest"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "department"], name="followup_unique_pair"
            ),
            # Follow-ups awaiting placement (no department) are one per action line: the
            # same line twice on a recommendation is one (importing a file again adds
            # none). A hash, since a line may be longer than an index entry can be.
            models.UniqueConstraint(
                F("recommendation"),
                MD5("action"),
                condition=Q(department__isnull=True),
                name="followup_unplaced_unique_line",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="followup_version_gte_1"),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "returned"]) | ~Q(action=""),
                name="followup_submitted_has_action",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_comment=""),
                name="followup_returned_has_comment",
            ),
            models.CheckConstraint(
                condition=Q(state__in=FollowUpState.values), name="followup_valid_state"
            ),
            max_length_check("followup", "action", _("follow-up action")),
            max_length_check("followup", "return_comment", _("manager's comment")),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation} – {self.department or _('awaiting placement')}"

    def get_absolute_url(self) -> str:
        return reverse("followups:detail", args=[self.pk])

    @property
    def is_unplaced(self) -> bool:
        return self.department_id is None

    @property
    def department_label(self) -> str:
        """The department's name, or "afventer placering" for an imported line not yet placed."""
        return self.department.name if self.department is not None else str(_("awaiting placement"))

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES

    def can_move_to(self, state: str) -> bool:
        return state in self.TRANSITIONS.get(self.state, set())

    @property
    def target_date_moved(self) -> bool:
        return self.original_target_date is not None and self.original_target_date != (
            self.target_date
        )


class TargetDateChange(models.Model):
    """A moved target date: the old and new date and the required reason."""

    followup = models.ForeignKey(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.PROTECT,
        related_name="date_changes",
        help_text=_("The follow-up whose target date moved."),
    )
    old_date = models.DateField(_("old date"), help_text=_("The target date before the change."))
    new_date = models.DateField(_("new date"), help_text=_("The target date after the change."))
    reason = models.TextField(
        _("reason"), max_length=TEXT_MAX_LENGTH, help_text=_("Why the date moved.")
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who moved the date."),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target date change")
        verbose_name_plural = _("target date changes")
        ordering = ["followup", "changed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="datechange_has_reason"),
            models.CheckConstraint(
                condition=~Q(old_date=models.F("new_date")), name="datechange_really_moves"
            ),
            max_length_check("datechange", "reason", _("reason")),
        ]

    def __str__(self) -> str:
        return f"{self.followup}: {self.old_date} → {self.new_date}"


class StatusUpdateQuerySet(models.QuerySet["StatusUpdate"]):
    def visible_to(self, user) -> StatusUpdateQuerySet:
        if not user.is_authenticated:
            return self.none()
        ids = access_for(user).visible_department_ids()
        return self if ids is None else self.filter(followup__department_id__in=ids)

    def as_of_round(self, round: FollowUpRound) -> StatusUpdateQuerySet:
        """Statuses given in this round or earlier rounds of the same report."""
        return self.filter(round__report_id=round.report_id, round__deadline__lte=round.deadline)


class StatusUpdate(models.Model):
    """What happened to a follow-up, reported in one status round."""

    followup = models.ForeignKey(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.PROTECT,
        related_name="status_updates",
        help_text=_("The follow-up reported on."),
    )
    round = models.ForeignKey(
        FollowUpRound,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="status_updates",
        help_text=_("The status round the report belongs to."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActionStatus.choices,
        help_text=_("How far the action has come."),
    )
    text = models.TextField(
        _("status text"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_(
            "What actually happened, and how things stand now. "
            "Required when the action was not carried out."
        ),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who wrote the status."),
    )
    reported_on = models.DateField(_("reported on"), help_text=_("The date of the status."))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["version"])

    objects = StatusUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        ordering = ["followup", "round__deadline", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["followup", "round"], name="status_one_per_round"),
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(text=""), name="status_dropped_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="status_valid_value"
            ),
            max_length_check("status", "text", _("status text")),
        ]

    def __str__(self) -> str:
        return f"{self.followup} – {self.round.name}: {self.get_status_display()}"


class FollowUpProgressQuerySet(models.QuerySet["FollowUpProgress"]):
    def visible_to(self, user, *, departments: Iterable[int] | None = None):
        """The rows of the follow-ups FollowUp.objects.visible_to(user, departments=…) gives,
        said on the read model's own copies of their department and report: a test for
        matching follow-ups that needs only the read model (a status, finished or not) then
        reads one table, not the follow-ups too."""
        return _restricted_to_visible(
            self, user, departments, report="report_id", department="department_id"
        )

    # The same names as FollowUpQuerySet's, so that one function applies a list's status
    # and completion criteria to either (reports.lists.criteria.progress_criteria).
    def with_latest_status_in(self, statuses, *, published_only: bool = False):
        """As FollowUpQuerySet.with_latest_status_in."""
        return self.filter(_status_in(statuses, published_only, ""))

    def finished(self, *, published_only: bool = False):
        """As FollowUpQuerySet.finished."""
        return self.filter(_finished(True, published_only, ""))

    def unfinished(self, *, published_only: bool = False):
        """As FollowUpQuerySet.unfinished."""
        return self.filter(_finished(False, published_only, ""))

    def overdue(self, today: datetime.date | None = None, *, published_only: bool = False):
        """As FollowUpQuerySet.overdue, on the read model's copy of the target date."""
        return self.filter(_overdue(today, published_only, ""))


class FollowUpProgress(models.Model):
    """Where a follow-up stands, derived from its status updates (a read model).

    Lists and the dashboard filter and count by the latest status and by "finished or not";
    reading that from StatusUpdate needs a subquery per follow-up (seconds at national
    scale). This table holds it per follow-up, with the department, the recommendation and
    its report beside it (none of them ever changes): "department X, status Y" is one index
    lookup, and a list filtered by status (and year) reads its rows newest recommendation
    first from the (status, [report,] recommendation) indexes instead of testing every
    follow-up of the newest report, which has no status yet.

    Every follow-up has a row, created with it; `latest_status` is "" while it has no
    status. The follow-up's target date is copied too (the services that move it update
    the copy): "overdue" (target date passed, not finished) is then said on this table
    alone, and a department's overdue follow-ups are one range of an index. Read-only
    roles (council members) see only the statuses of published rounds, so the same two
    values are kept again over published rounds' statuses alone (`published_status`, ""
    if none, and `published_finished_on`).

    Not domain data, so no history and no admin: every value follows from FollowUp,
    StatusUpdate and FollowUpRound and is recomputed by
    followups.services.followup_progress_refresh(), which every service creating follow-ups,
    writing status updates, round deadlines or publishing a round calls.
    """

    followup = models.OneToOneField(
        FollowUp,
        verbose_name=_("follow-up"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="progress",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,  # a follow-up awaiting placement; placing it updates the copy
        db_index=False,  # the (department, latest_status) index serves it
    )
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the (status, recommendation) indexes serve it
    )
    report = models.ForeignKey(
        AnnualReport,
        verbose_name=_("annual report"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the (status, report, recommendation) indexes serve it
    )
    latest_status = models.CharField(
        _("latest status"),
        max_length=20,
        blank=True,
        choices=ActionStatus.choices,
        help_text=_("The status of the latest round (by deadline) with a status; empty if none."),
    )
    finished_on = models.DateField(
        _("finished on"),
        null=True,
        blank=True,
        help_text=_("The date of the first status saying done, ongoing practice or dropped."),
    )
    published_status = models.CharField(
        _("latest published status"),
        max_length=20,
        blank=True,
        choices=ActionStatus.choices,
        help_text=_("The status of the latest published round with a status; empty if none."),
    )
    published_finished_on = models.DateField(
        _("finished on (published)"),
        null=True,
        blank=True,
        help_text=_("As 'finished on', from the statuses of published rounds only."),
    )
    target_date = models.DateField(
        _("target date"),
        null=True,
        blank=True,
        help_text=_("The follow-up's target date (a copy, for finding overdue follow-ups)."),
    )

    objects = FollowUpProgressQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up progress")
        verbose_name_plural = _("follow-up progress")
        indexes = [
            models.Index(fields=["department", "latest_status"], name="progress_dept_status"),
            models.Index(fields=["latest_status", "recommendation"], name="progress_status_rec"),
            models.Index(
                fields=["published_status", "recommendation"], name="progress_published_rec"
            ),
            models.Index(
                fields=["latest_status", "report", "recommendation"],
                name="progress_status_report_rec",
            ),
            models.Index(
                fields=["published_status", "report", "recommendation"],
                name="progress_published_report_rec",
            ),
            # Finished or not, in the lists' order (newest recommendation first).
            models.Index(
                fields=["recommendation"],
                condition=Q(finished_on__isnull=False),
                name="progress_finished_rec",
            ),
            models.Index(
                fields=["recommendation"],
                condition=Q(finished_on__isnull=True),
                name="progress_open_rec",
            ),
            models.Index(
                fields=["recommendation"],
                condition=Q(published_finished_on__isnull=False),
                name="progress_pub_finished_rec",
            ),
            models.Index(
                fields=["recommendation"],
                condition=Q(published_finished_on__isnull=True),
                name="progress_pub_open_rec",
            ),
            # "Is this follow-up open?" (overdue) answered from an index alone, without
            # reading the row (bench/FINDINGS.md, "Progress indexes").
            models.Index(
                fields=["followup"],
                condition=Q(finished_on__isnull=True),
                name="progress_open_followup",
            ),
            models.Index(
                fields=["followup"],
                condition=Q(published_finished_on__isnull=True),
                name="progress_pub_open_followup",
            ),
            # A department's overdue follow-ups: one range of open rows by target date, with
            # the columns a list sorts and joins by (an index-only scan; bench/FINDINGS.md,
            # "Progress indexes").
            models.Index(
                fields=["department", "target_date"],
                include=["recommendation", "followup"],
                condition=Q(finished_on__isnull=True),
                name="progress_dept_open_due",
            ),
            models.Index(
                fields=["department", "target_date"],
                include=["recommendation", "followup"],
                condition=Q(published_finished_on__isnull=True),
                name="progress_dept_pub_open_due",
            ),
            # A year's overdue follow-ups in the lists' order: its open rows newest
            # recommendation first, the target date beside them (an index-only scan;
            # bench/FINDINGS.md, "Progress indexes").
            models.Index(
                fields=["report", "recommendation"],
                include=["target_date", "followup"],
                condition=Q(finished_on__isnull=True),
                name="progress_report_open_rec",
            ),
            models.Index(
                fields=["report", "recommendation"],
                include=["target_date", "followup"],
                condition=Q(published_finished_on__isnull=True),
                name="progress_report_pub_open_rec",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_status__in=["", *ActionStatus.values]),
                name="progress_valid_latest_status",
            ),
            models.CheckConstraint(
                condition=Q(published_status__in=["", *ActionStatus.values]),
                name="progress_valid_published_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.followup_id}: {self.latest_status}"
