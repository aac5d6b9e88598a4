"""The council's table: Anbefaling / Opfølgning / Status for one report, round and department.

Every queryset goes through `.visible_to(user)`. The table is built from a handful of flat
queries (one per model, whatever the number of rows), either from the live tables or from
the simple-history tables as they stood at a past moment ("status as of a date").

Commands and background tasks that have no request user read as
`departments.access.system_user()`, an unsaved user that sees everything (like the
secretariat); the publishing service renders editions as the publishing secretariat user.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from collaboration.models import Attachment, Comment
from core.text import danish_key
from departments.access import access_for
from departments.models import Department
from followups.models import UNPLACED_NAME, ActionStatus, FollowUp, FollowUpRound, StatusUpdate
from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment, Theme

# Raise when the document templates change in a way that changes rendered output: it is
# part of the data version, so cached renderings from older templates are not reused.
TEMPLATE_VERSION = "9"

ORGANISATION_HEADING = "Anbefalinger og handlinger som vedrører hele organisationen"
DEPARTMENT_HEADING = "Anbefalinger og handlinger som vedrører {name}"

# The document's status words (DOMAIN.md); the council's report is always in Danish.
STATUS_LABELS_DA: dict[str, str] = {
    ActionStatus.PLANNED: "Planlagt",
    ActionStatus.IN_PROGRESS: "Igangsat",
    ActionStatus.DONE: "Gennemført",
    ActionStatus.ONGOING: "Løbende",
    ActionStatus.PAUSED: "Sat på pause",
    ActionStatus.DROPPED: "Ikke gennemført",
    ActionStatus.NOT_ASSESSED: "Ikke vurderet",
}

MARK_NEW = "new"
MARK_CHANGED = "changed"
MARK_LABELS = {MARK_NEW: "Ny", MARK_CHANGED: "Ændret"}


@dataclass(frozen=True)
class AttachmentRef:
    """A file attached to the follow-up (or to a status shown as of the round)."""

    pk: int
    name: str


@dataclass(frozen=True)
class CouncilComment:
    """A comment the secretariat chose for the council's report."""

    pk: int
    author: str
    written_on: datetime.date
    text: str


@dataclass
class FollowUpCell:
    followup_id: int
    department_id: int | None  # None: awaiting placement
    department_name: str
    action: str
    status: str = ""
    status_text: str = ""
    status_round: str = ""
    marker: str = ""
    attachments: list[AttachmentRef] = field(default_factory=list)
    comments: list[CouncilComment] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"f{self.followup_id}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS_DA.get(self.status, self.status)

    @property
    def marker_label(self) -> str:
        return MARK_LABELS.get(self.marker, "")

    @property
    def unplaced(self) -> bool:
        return self.department_id is None


@dataclass
class RecommendationRow:
    recommendation_id: int
    number: int
    kind: str
    text: str
    theme: str
    followups: list[FollowUpCell] = field(default_factory=list)
    marker: str = ""
    comments: list[CouncilComment] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"r{self.recommendation_id}"

    @property
    def marker_label(self) -> str:
        return MARK_LABELS.get(self.marker, "")

    @property
    def is_criticism(self) -> bool:
        return self.kind == Recommendation.Kind.CRITICISM


@dataclass
class ThemeGroup:
    name: str
    rows: list[RecommendationRow]


@dataclass
class Section:
    department_name: str | None  # None: the whole organisation
    themes: list[ThemeGroup]

    @property
    def heading(self) -> str:
        if self.department_name is None:
            return ORGANISATION_HEADING
        return DEPARTMENT_HEADING.format(name=self.department_name)


@dataclass
class ReportTable:
    report: AnnualReport
    round: FollowUpRound | None
    department: Department | None
    sections: list[Section]
    as_of: datetime.datetime | None = None

    def recommendation_rows(self):
        """(section, theme group, row) for every recommendation row, in document order."""
        for section in self.sections:
            for group in section.themes:
                for row in group.rows:
                    yield section, group, row

    def row_hashes(self) -> dict[str, str]:
        """A content hash per recommendation and per follow-up, to mark later changes."""
        hashes: dict[str, str] = {}
        for _section, _group, row in self.recommendation_rows():
            hashes[row.key] = _digest([row.theme, row.kind, row.text])
            for cell in row.followups:
                hashes[cell.key] = _digest(
                    [cell.department_name, cell.action, cell.status, cell.status_text]
                )
        return hashes

    def data_version(self) -> str:
        """Changes whenever anything shown in the document changes (or its template)."""
        payload = {
            "template": TEMPLATE_VERSION,
            "report": [self.report.pk, self.report.title, self.report.introduction],
            "round": [self.round.pk, self.round.name, str(self.round.meeting_date)]
            if self.round
            else None,
            "department": self.department.pk if self.department else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "sections": [s.heading for s in self.sections],
            "rows": sorted(self.row_hashes().items()),
            # Shown in the document but not part of the change markers' row hashes.
            "shown": sorted(
                [row.key, row.number] + [[c.key, c.status_round] for c in row.followups]
                for _s, _g, row in self.recommendation_rows()
            ),
            # Files and the council's comments: shown, but not changes of a row.
            "evidence": sorted(
                [row.key, [[c.pk, c.text] for c in row.comments]]
                + [
                    [
                        c.key,
                        [[a.pk, a.name] for a in c.attachments],
                        [[m.pk, m.text] for m in c.comments],
                    ]
                    for c in row.followups
                ]
                for _s, _g, row in self.recommendation_rows()
            ),
            "markers": sorted(
                [row.key, row.marker] + [[c.key, c.marker] for c in row.followups]
                for _s, _g, row in self.recommendation_rows()
            ),
        }
        return _digest([json.dumps(payload, sort_keys=True, default=str)])

    def apply_markers(self, previous: dict[str, str] | None) -> None:
        """Mark rows new or changed since a previous snapshot of `row_hashes()`."""
        if previous is None:
            return
        current = self.row_hashes()
        for _section, _group, row in self.recommendation_rows():
            row.marker = _marker(row.key, current, previous)
            for cell in row.followups:
                cell.marker = _marker(cell.key, current, previous)

    @property
    def themes(self) -> list[str]:
        return sorted({g.name for s in self.sections for g in s.themes}, key=danish_key)


def _marker(key: str, current: dict[str, str], previous: dict[str, str]) -> str:
    if key not in previous:
        return MARK_NEW
    return MARK_CHANGED if previous[key] != current[key] else ""


def _digest(parts: list[Any]) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


@dataclass
class _Source:
    """Flat rows the table is assembled from: live objects or historical instances."""

    recommendations: list[Any]
    themes: dict[int, str]
    scope: dict[int, list[int]]
    followups: list[Any]
    statuses: list[Any]
    rounds: dict[int, Any]
    departments: dict[int, Any]
    attachments: list[Any] = field(default_factory=list)
    comments: list[CouncilComment] = field(default_factory=list)
    # Which follow-up (or recommendation: key "r<pk>") each comment of `comments` is on.
    comment_targets: dict[int, str] = field(default_factory=dict)


def build_table(
    *,
    report: AnnualReport,
    user,
    round: FollowUpRound | None = None,
    department: Department | None = None,
    as_of: datetime.datetime | None = None,
) -> ReportTable:
    """The table for `report` as `user` may see it, with statuses as of `round`.

    A department the user may not see raises Department.DoesNotExist (views answer 404)."""
    if department is not None and not access_for(user).can_see_department(department.pk):
        raise Department.DoesNotExist(f"Department {department.pk} is not visible to the user")
    source = _historical_source(report, user, as_of) if as_of else _live_source(report, user)
    return ReportTable(
        report=report,
        round=round,
        department=department,
        sections=_assemble(source, user, round, department),
        as_of=as_of,
    )


def _live_source(report: AnnualReport, user) -> _Source:
    recommendations = list(Recommendation.objects.visible_to(user).for_report(report))
    theme_ids = {r.theme_id for r in recommendations}
    themes = dict(Theme.objects.filter(pk__in=theme_ids).values_list("pk", "name"))
    scope: dict[int, list[int]] = defaultdict(list)
    for rec_id, dep_id in RecommendationDepartment.objects.filter(
        recommendation__in=[r.pk for r in recommendations]
    ).values_list("recommendation_id", "department_id"):
        scope[rec_id].append(dep_id)
    followups = list(FollowUp.objects.visible_to(user).for_report(report))
    rounds = {r.pk: r for r in FollowUpRound.objects.visible_to(user).filter(report=report)}
    statuses = list(
        StatusUpdate.objects.visible_to(user).filter(
            round__in=list(rounds), followup__in=[f.pk for f in followups]
        )
    )
    departments = {d.pk: d for d in Department.objects.all()}
    followup_ids = [f.pk for f in followups]
    attachments = list(
        Attachment.objects.visible_to(user)
        .current()
        .filter(followup__in=followup_ids)
        .only("pk", "followup_id", "status_update_id", "original_name", "created_at")
        .order_by("created_at", "pk")
    )
    comments = list(
        Comment.objects.visible_to(user)
        .for_council()
        .filter(
            Q(followup__in=followup_ids) | Q(recommendation__in=[r.pk for r in recommendations])
        )
        .select_related("author")
        .order_by("created_at", "pk")
    )
    source = _Source(recommendations, themes, scope, followups, statuses, rounds, departments)
    source.attachments = attachments
    _add_comments(source, comments, {c.author_id: c.author for c in comments})
    return source


def _add_comments(source: _Source, comments: list[Any], authors: dict[int, Any]) -> None:
    for comment in comments:
        author = authors.get(comment.author_id)
        source.comments.append(
            CouncilComment(
                pk=comment.pk,
                author=(author.get_full_name() or author.username) if author else "?",
                written_on=timezone.localdate(comment.created_at),
                text=comment.text,
            )
        )
        source.comment_targets[comment.pk] = (
            f"f{comment.followup_id}" if comment.followup_id else f"r{comment.recommendation_id}"
        )


def _as_of(model, as_of: datetime.datetime, *conditions: Q, **filters) -> list:
    """Objects of `model` matching `filters` as they stood at `as_of`, in one query.

    Built from the history rows directly: simple-history's `as_of()` looks up the fields
    excluded from history (the version counters) once per row. Those keep their defaults
    here; the table does not show them.
    """
    records = (
        model.history.filter(*conditions, history_date__lte=as_of, **filters)
        .latest_of_each()
        .exclude(history_type="-")
    )
    fields = [f.attname for f in model.history.model.tracked_fields]
    return [model(**{name: getattr(r, name) for name in fields}) for r in records]


def _historical_source(report: AnnualReport, user, as_of: datetime.datetime) -> _Source:
    """The same rows from simple-history as they stood at `as_of`, limited by today's access."""
    visible_recs = set(
        Recommendation.objects.visible_to(user).for_report(report).values_list("pk", flat=True)
    )
    recommendations = [
        r for r in _as_of(Recommendation, as_of, report_id=report.pk) if r.pk in visible_recs
    ]
    rec_ids = [r.pk for r in recommendations]
    themes = {
        t.pk: t.name for t in _as_of(Theme, as_of, id__in={r.theme_id for r in recommendations})
    }
    scope: dict[int, list[int]] = defaultdict(list)
    for entry in _as_of(RecommendationDepartment, as_of, recommendation_id__in=rec_ids):
        scope[entry.recommendation_id].append(entry.department_id)
    visible_followups = set(
        FollowUp.objects.visible_to(user).for_report(report).values_list("pk", flat=True)
    )
    followups = [
        f
        for f in _as_of(FollowUp, as_of, recommendation_id__in=rec_ids)
        if f.pk in visible_followups
    ]
    visible_rounds = set(
        FollowUpRound.objects.visible_to(user).filter(report=report).values_list("pk", flat=True)
    )
    rounds = {
        r.pk: r for r in _as_of(FollowUpRound, as_of, report_id=report.pk) if r.pk in visible_rounds
    }
    if access_for(user).is_read_only:
        # Read-only roles see what was published *then*, not drafts of a round published later.
        rounds = {pk: r for pk, r in rounds.items() if r.state == FollowUpRound.State.PUBLISHED}
        if not any(r.kind == FollowUpRound.Kind.PLAN for r in rounds.values()):
            followups = []
    statuses = _as_of(
        StatusUpdate, as_of, round_id__in=list(rounds), followup_id__in=[f.pk for f in followups]
    )
    departments = {d.pk: d for d in _as_of(Department, as_of)}
    source = _Source(recommendations, themes, scope, followups, statuses, rounds, departments)
    followup_ids = [f.pk for f in followups]
    # Files and comments as they stood then (a file removed since is still listed, one
    # removed before is not), of the follow-ups and recommendations shown.
    source.attachments = sorted(
        (
            a
            for a in _as_of(Attachment, as_of, followup_id__in=followup_ids)
            if a.removed_at is None
        ),
        key=lambda a: (a.created_at, a.pk),
    )
    # Whether a comment was chosen for the council is read from the row as it stood then
    # (filtering the history rows first would find a choice taken back since).
    comments = sorted(
        (
            c
            for c in _as_of(
                Comment,
                as_of,
                Q(followup_id__in=followup_ids) | Q(recommendation_id__in=rec_ids),
            )
            if c.for_council
        ),
        key=lambda c: (c.created_at, c.pk),
    )
    authors = get_user_model().objects.in_bulk({c.author_id for c in comments})
    _add_comments(source, comments, authors)
    return source


def _assemble(
    source: _Source, user, round: FollowUpRound | None, department: Department | None
) -> list[Section]:
    # Status as of the round: the newest status given in that round or an earlier one.
    latest: dict[int, Any] = {}
    cutoff = round.deadline if round else None
    for status in sorted(source.statuses, key=lambda s: (source.rounds[s.round_id].deadline, s.pk)):
        if cutoff is None or source.rounds[status.round_id].deadline <= cutoff:
            latest[status.followup_id] = status

    def department_name(pk: int | None) -> str:
        if pk is None:
            return UNPLACED_NAME
        dep = source.departments.get(pk)
        return dep.name if dep is not None else "?"

    # A status's files count from the round the table reports (as its statuses do).
    status_rounds = {s.pk: source.rounds[s.round_id] for s in source.statuses}
    files: dict[int, list[AttachmentRef]] = defaultdict(list)
    for attachment in source.attachments:
        if attachment.status_update_id is not None:
            status_round = status_rounds.get(attachment.status_update_id)
            if status_round is None or (cutoff is not None and status_round.deadline > cutoff):
                continue
        files[attachment.followup_id].append(AttachmentRef(attachment.pk, attachment.original_name))
    said: dict[str, list[CouncilComment]] = defaultdict(list)
    for comment in source.comments:
        said[source.comment_targets[comment.pk]].append(comment)

    cells: dict[int, list[FollowUpCell]] = defaultdict(list)
    for followup in source.followups:
        if department is not None and followup.department_id != department.pk:
            continue
        cell = FollowUpCell(
            followup_id=followup.pk,
            department_id=followup.department_id,
            department_name=department_name(followup.department_id),
            action=followup.action,
            attachments=files.get(followup.pk, []),
            comments=said.get(f"f{followup.pk}", []),
        )
        status = latest.get(followup.pk)
        if status is not None:
            cell.status = status.status
            cell.status_text = status.text
            cell.status_round = source.rounds[status.round_id].name
        cells[followup.recommendation_id].append(cell)
    for items in cells.values():
        # Departments in Danish order, then the lines awaiting placement in their order.
        items.sort(
            key=lambda c: (c.unplaced, "" if c.unplaced else danish_key(c.department_name), c.key)
        )

    visible = access_for(user).visible_department_ids()
    org_rows: list[RecommendationRow] = []
    by_department: dict[int, list[RecommendationRow]] = defaultdict(list)
    for rec in source.recommendations:

        def row(followups: list[FollowUpCell], rec=rec) -> RecommendationRow:
            return RecommendationRow(
                recommendation_id=rec.pk,
                number=rec.number,
                kind=rec.kind,
                text=rec.text,
                theme=source.themes.get(rec.theme_id, ""),
                followups=followups,
                comments=said.get(f"r{rec.pk}", []),
            )

        if rec.scope == Recommendation.Scope.ORGANISATION:
            org_rows.append(row(cells.get(rec.pk, [])))
            continue
        for dep_id in source.scope.get(rec.pk, []):
            if visible is not None and dep_id not in visible:
                continue
            if department is not None and dep_id != department.pk:
                continue
            own = [c for c in cells.get(rec.pk, []) if c.department_id == dep_id]
            by_department[dep_id].append(row(own))

    def grouped(rows: list[RecommendationRow]) -> list[ThemeGroup]:
        """The ombudsman's order (by number); a theme heading over each run of rows of one
        theme, as the documents do."""
        groups: list[ThemeGroup] = []
        for r in sorted(rows, key=lambda r: r.number):
            if groups and groups[-1].name == r.theme:
                groups[-1].rows.append(r)
            else:
                groups.append(ThemeGroup(r.theme, [r]))
        return groups

    sections = [Section(None, grouped(org_rows))] if org_rows else []
    dep_order = sorted(by_department, key=lambda pk: danish_key(department_name(pk)))
    for dep_id in dep_order:
        sections.append(Section(department_name(dep_id), grouped(by_department[dep_id])))
    # A department-scoped recommendation's lines awaiting placement are shown once, under
    # the recommendation in the first section that holds it.
    shown: set[int] = set()
    for section in sections[1 if org_rows else 0 :]:
        for group in section.themes:
            for r in group.rows:
                if r.recommendation_id in shown:
                    continue
                shown.add(r.recommendation_id)
                r.followups.extend(
                    c for c in cells.get(r.recommendation_id, []) if c.department_id is None
                )
    return sections
