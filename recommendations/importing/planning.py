"""What an import would create: the parsed document matched against the database.

Only reads. The preview page, `import_report --dry-run` and the commit all use the same
plan, so what is committed is exactly what was shown.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy

from departments.models import Department, department_children, descendant_ids
from followups.models import ActionStatus, FollowUp, FollowUpRound, StatusUpdate
from recommendations.importing.parsing import (
    ActionItem,
    Item,
    ParsedDocument,
    Row,
    SourcePos,
    Warning,
    render_items,
    split_item,
)
from recommendations.models import (
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    Theme,
    theme_key,
)

MSG_UNKNOWN_DEPARTMENT = gettext_lazy(
    "%(where)s: no department is called “%(name)s”. Its recommendations are imported without "
    "that department; choose “create departments” to create it."
)
MSG_INACTIVE_DEPARTMENT = gettext_lazy(
    "%(where)s: the department “%(name)s” is inactive; its recommendations are imported "
    "without that department."
)
MSG_NEW_DEPARTMENT = gettext_lazy("%(where)s: the department “%(name)s” will be created.")
MSG_UNASSIGNED = gettext_lazy(
    "%(where)s: the action “%(text)s” names no department; the secretariat must assign it."
)
MSG_NO_SCOPE = gettext_lazy(
    "%(where)s: the recommendation names no known department; it is imported as concerning "
    "the whole organisation."
)
MSG_DUPLICATE_IN_FILE = gettext_lazy(
    "%(where)s: the recommendation repeats the one at %(first)s; it is imported once."
)
MSG_EXISTS = gettext_lazy(
    "%(where)s: the recommendation already exists in annual report %(year)s (no. %(number)s); "
    "it is not created again."
)
MSG_FOLLOWUP_DIFFERS = gettext_lazy(
    "%(where)s: %(department)s already has a follow-up with another text for this "
    "recommendation; the existing one is kept."
)
MSG_NO_STATUS_ROUND = gettext_lazy(
    "The Status column is not imported: annual report %(year)s has no open status round. Open "
    "a status round and import the file again to add the statuses."
)
MSG_STATUS_NOT_APPROVED = gettext_lazy(
    "%(where)s: %(department)s's follow-up is not approved, so its status is not imported."
)
MSG_OUTSIDE_SCOPE = gettext_lazy(
    "%(where)s: the existing recommendation does not concern %(department)s; that "
    "department's follow-up is not imported."
)
MSG_UNKNOWN_STATUS = gettext_lazy(
    "%(where)s: “%(label)s” is not a known status (%(known)s); the status is not imported."
)
MSG_STATUS_WITHOUT_FOLLOWUP = gettext_lazy(
    "%(where)s: a status without any follow-up action is not imported."
)
MSG_DROPPED_WITHOUT_REASON = gettext_lazy(
    "%(where)s: the status “not carried out” needs a reason after the colon; it is not imported."
)
MSG_STATUS_EXISTS = gettext_lazy(
    "%(where)s: %(department)s already has a status in “%(round)s”; it is kept."
)

# The Danish labels of DOMAIN.md, accepted whatever the translation files say.
DANISH_STATUS_LABELS = {
    "planlagt": ActionStatus.PLANNED,
    "igangsat": ActionStatus.IN_PROGRESS,
    "gennemført": ActionStatus.DONE,
    "løbende": ActionStatus.ONGOING,
    "sat på pause": ActionStatus.PAUSED,
    "ikke gennemført": ActionStatus.DROPPED,
}

PREFIX_RE = re.compile(r"^\s*(?P<label>[^:\n]{1,100}?)\s*:\s*(?P<rest>.*)$", re.DOTALL)
WORD_RE = re.compile(r"\w+")


def department_key(text: str) -> str:
    """Names match ignoring case, spacing and punctuation: 'Natur- og Byg' is 'natur og byg'."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text)


@dataclass(eq=False)
class PlannedDepartment:
    """An existing department, or one the import will create from a section heading."""

    name: str
    department: Department | None = None
    short_name: str = ""
    pos: SourcePos | None = None

    @property
    def is_new(self) -> bool:
        return self.department is None

    def __str__(self) -> str:
        return self.name


class DepartmentIndex:
    def __init__(self, departments: list[PlannedDepartment]) -> None:
        self.by_key: dict[str, PlannedDepartment] = {}
        self.entries = departments
        for entry in departments:
            self.add(entry)

    def add(self, entry: PlannedDepartment) -> None:
        if entry not in self.entries:
            self.entries.append(entry)
        self.by_key.setdefault(department_key(entry.name), entry)
        if entry.short_name:
            self.by_key.setdefault(department_key(entry.short_name), entry)

    def get(self, name: str) -> PlannedDepartment | None:
        return self.by_key.get(department_key(name)) if department_key(name) else None

    def prefix(self, text: str) -> tuple[PlannedDepartment, str] | None:
        """'Natur og Byg: udvider …' → (Natur og Byg, 'udvider …')."""
        match = PREFIX_RE.match(text)
        if match:
            entry = self.get(match.group("label"))
            if entry is not None:
                return entry, match.group("rest").strip()
        return None

    def mentioned(self, text: str) -> PlannedDepartment | None:
        """The department whose full name (any case) or short name (exact) comes first."""
        words = _words(text)
        folded = [w.casefold() for w in words]
        best: tuple[int, int, PlannedDepartment] | None = None
        for entry in self.entries:
            candidates = [([w.casefold() for w in _words(entry.name)], folded)]
            if len(entry.short_name) >= 2:
                candidates.append((_words(entry.short_name), words))
            for needle, haystack in candidates:
                if not needle:
                    continue
                for start in range(len(haystack) - len(needle) + 1):
                    if _words_match(haystack[start : start + len(needle)], needle):
                        score = (start, -len(needle))
                        if best is None or score < best[:2]:
                            best = (start, -len(needle), entry)
                        break
        return best[2] if best else None


def _words_match(words: list[str], needle: list[str]) -> bool:
    """Equal, also in the Danish genitive: "Ældreområdets" names "Ældreområdet"."""
    return words[:-1] == needle[:-1] and words[-1] in (needle[-1], needle[-1] + "s")


@dataclass(eq=False)
class PlannedFollowUp:
    department: PlannedDepartment
    items: list[Item] = field(default_factory=list)
    status: str = ""
    status_text: str = ""
    status_pos: SourcePos | None = None
    existing: FollowUp | None = None
    # False when an existing follow-up or status is kept instead.
    create: bool = True
    create_status: bool = False
    # True when the follow-up is not imported at all (outside an existing recommendation).
    skip: bool = False

    @property
    def action(self) -> str:
        return render_items(self.items)

    @property
    def status_label(self) -> str:
        return ActionStatus(self.status).label if self.status else ""

    @property
    def new_state(self) -> str:
        """The state a created follow-up gets: the document is the administration's adopted
        plan, so an answer is approved; an empty answer is still the department's open task."""
        return FollowUp.State.APPROVED if self.action else FollowUp.State.DRAFT


@dataclass(eq=False)
class PlannedRecommendation:
    pos: SourcePos
    theme: str
    text: str
    organisation: bool = False
    departments: list[PlannedDepartment] = field(default_factory=list)
    followups: list[PlannedFollowUp] = field(default_factory=list)
    unassigned: list[ActionItem] = field(default_factory=list)
    existing: Recommendation | None = None
    theme_is_new: bool = False

    @property
    def scope(self) -> str:
        if self.organisation or not self.departments:
            return Recommendation.Scope.ORGANISATION
        return Recommendation.Scope.DEPARTMENTS

    @property
    def actions(self) -> int:
        return sum(len(f.items) for f in self.followups) + len(self.unassigned)

    def followup_for(self, department: PlannedDepartment) -> PlannedFollowUp:
        for followup in self.followups:
            if followup.department is department:
                return followup
        followup = PlannedFollowUp(department=department)
        self.followups.append(followup)
        return followup


@dataclass(eq=False)
class PlannedSection:
    pos: SourcePos | None
    heading: str
    department: PlannedDepartment | None
    organisation: bool
    recommendations: list[PlannedRecommendation] = field(default_factory=list)


@dataclass
class ImportPlan:
    document: ParsedDocument
    year: int
    create_departments: bool
    report: AnnualReport | None
    sections: list[PlannedSection] = field(default_factory=list)
    recommendations: list[PlannedRecommendation] = field(default_factory=list)
    new_departments: list[PlannedDepartment] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    new_themes: list[str] = field(default_factory=list)
    status_round: FollowUpRound | None = None
    warnings: list[Warning] = field(default_factory=list)

    @property
    def followups(self) -> list[PlannedFollowUp]:
        return [f for r in self.recommendations for f in r.followups]

    def summary(self) -> dict:
        """The figures `import_report` prints as its last line."""
        return {
            "sections": len(self.sections),
            "themes": len(self.themes),
            "recommendations": len(self.recommendations),
            "followups": len(self.followups),
            "actions": sum(r.actions for r in self.recommendations),
            "warnings": [w.message for w in self.warnings],
        }

    def details(self) -> dict:
        """What will be written (beyond what the file contains)."""
        return {
            "report_created": self.report is None,
            "departments_created": [d.name for d in self.new_departments],
            "themes_created": list(self.new_themes),
            "recommendations_created": sum(1 for r in self.recommendations if not r.existing),
            "followups_created": sum(1 for f in self.followups if f.create),
            "statuses_created": sum(1 for f in self.followups if f.create_status),
            "status_round": self.status_round.name if self.status_round else None,
        }

    def fingerprint(self) -> str:
        """Changes whenever the file or the database would make the import differ."""
        content = {
            "year": self.year,
            "report": self.report.pk if self.report else None,
            "details": self.details(),
            "recommendations": [
                [
                    r.theme,
                    r.text,
                    r.scope,
                    r.existing.pk if r.existing else None,
                    [d.name for d in r.departments],
                    [
                        [f.department.name, f.action, f.status, f.status_text, f.create]
                        for f in r.followups
                    ],
                ]
                for r in self.recommendations
            ],
            "warnings": len(self.warnings),
        }
        encoded = json.dumps(content, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()


def status_labels() -> dict[str, str]:
    """Every accepted way of writing a status (value, English and Danish label) → value."""
    labels: dict[str, str] = dict(DANISH_STATUS_LABELS)
    for language in ("en", "da"):
        with translation.override(language):
            for value, label in ActionStatus.choices:
                labels[" ".join(str(label).split()).casefold()] = value
    for value in ActionStatus.values:
        labels[value] = value
        labels[value.replace("_", " ")] = value
    return labels


def parse_status(text: str, labels: dict[str, str]) -> tuple[str | None, str, str]:
    """'Igangsat: i gang' → ('in_progress', 'i gang', 'Igangsat'); unknown label → (None, …)."""
    text = text.strip()
    match = PREFIX_RE.match(text)
    label, rest = (match.group("label"), match.group("rest")) if match else (text, "")
    value = labels.get(" ".join(label.split()).casefold())
    if value is None and match is None:
        first_line = text.splitlines()[0]
        value = labels.get(" ".join(first_line.split()).casefold())
        if value is not None:
            rest = "\n".join(text.splitlines()[1:])
    return value, rest.strip(), label.strip()


def _short_name(name: str, taken: set[str]) -> str:
    words = _words(name)
    base = "".join(w[0] for w in words).upper() or "X"
    if len(base) < 2:
        base = (words[0][:4] if words else "X").upper()
    candidate, n = base[:28], 2
    while candidate.casefold() in taken:
        candidate = f"{base[:26]}{n}"
        n += 1
    taken.add(candidate.casefold())
    return candidate


class _Planner:
    def __init__(self, document: ParsedDocument, *, year: int, create_departments: bool):
        self.plan = ImportPlan(
            document=document,
            year=year,
            create_departments=create_departments,
            report=AnnualReport.objects.filter(year=year).first(),
        )
        self.plan.warnings.extend(document.warnings)
        self.index = DepartmentIndex(
            [
                PlannedDepartment(d.name, d, d.short_name)
                for d in Department.objects.active().order_by("pk")
            ]
        )
        self.inactive = {
            department_key(text)
            for d in Department.objects.filter(active=False)
            for text in (d.name, d.short_name)
        }
        self.taken_short = {
            s.casefold() for s in Department.objects.values_list("short_name", flat=True)
        }
        self.by_key: dict[tuple[str, str], PlannedRecommendation] = {}
        self.labels = status_labels()
        self.theme_keys = set(Theme.objects.values_list("key", flat=True))
        report = self.plan.report
        self.existing: dict[tuple[str, str], Recommendation] = {}
        if report is not None:
            for rec in Recommendation.objects.for_report(report).select_related("theme"):
                self.existing.setdefault((rec.theme.key, _text_key(rec.text)), rec)
            # Statuses go only where status_update_save would put them: an open status round
            # (a closed or published round is what the council has already received).
            self.plan.status_round = (
                FollowUpRound.objects.filter(report=report).status_rounds().open().first()
            )

    def warn(self, pos: SourcePos | None, message, **params) -> None:
        text = str(message) % {"where": pos, **params} if pos else str(message) % params
        self.plan.warnings.append(Warning(pos, text))

    def build(self) -> ImportPlan:
        for parsed in self.plan.document.sections:
            self.plan.sections.append(self._section(parsed))
        self._statuses()
        return self.plan

    def _section_department(self, name: str, pos: SourcePos | None) -> PlannedDepartment | None:
        entry = self.index.get(name)
        if entry is not None:
            return entry
        if department_key(name) in self.inactive:
            self.warn(pos, MSG_INACTIVE_DEPARTMENT, name=name)
            return None
        if self.plan.create_departments:
            entry = PlannedDepartment(
                " ".join(name.split()), None, _short_name(name, self.taken_short), pos
            )
            self.index.add(entry)
            self.plan.new_departments.append(entry)
            self.warn(pos, MSG_NEW_DEPARTMENT, name=entry.name)
            return entry
        self.warn(pos, MSG_UNKNOWN_DEPARTMENT, name=name)
        return None

    def _section(self, parsed) -> PlannedSection:
        department = None
        if not parsed.is_organisation:
            department = self._section_department(parsed.department, parsed.pos)
        section = PlannedSection(
            pos=parsed.pos,
            heading=parsed.department or "",
            department=department,
            organisation=parsed.is_organisation,
        )
        for row in parsed.rows:
            recommendation = self._recommendation(row, section)
            if recommendation not in section.recommendations:
                section.recommendations.append(recommendation)
            self._actions(row, section, recommendation)
        return section

    def _recommendation(self, row: Row, section: PlannedSection) -> PlannedRecommendation:
        key = (theme_key(row.theme), _text_key(row.text))
        recommendation = self.by_key.get(key)
        if recommendation is not None:
            if section.recommendations and recommendation in section.recommendations:
                self.warn(row.pos, MSG_DUPLICATE_IN_FILE, first=recommendation.pos)
        else:
            recommendation = PlannedRecommendation(pos=row.pos, theme=row.theme, text=row.text)
            self.by_key[key] = recommendation
            self.plan.recommendations.append(recommendation)
            if row.theme.casefold() not in {t.casefold() for t in self.plan.themes}:
                self.plan.themes.append(row.theme)
                if key[0] not in self.theme_keys:
                    self.plan.new_themes.append(row.theme)
            recommendation.theme_is_new = row.theme in self.plan.new_themes
            existing = self.existing.get(key)
            if existing is not None:
                recommendation.existing = existing
                self.warn(row.pos, MSG_EXISTS, year=self.plan.year, number=existing.number)
        if section.organisation:
            recommendation.organisation = True
        elif section.department is not None and section.department not in (
            recommendation.departments
        ):
            recommendation.departments.append(section.department)
        return recommendation

    def _actions(self, row: Row, section: PlannedSection, rec: PlannedRecommendation) -> None:
        current: PlannedDepartment | None = None
        current_pos: SourcePos | None = None
        for action in row.actions:
            if action.pos != current_pos:
                current, current_pos = None, action.pos
            item: Item | None = Item(action.text, action.bullet)
            prefixed = self.index.prefix(action.text)
            if prefixed is not None:
                department, rest = prefixed
                if not action.bullet:
                    # A label line ("Natur og Byg: - …") covers the bullets below it in the
                    # cell; a labelled bullet ("- NB: …") only itself.
                    current = department
                item = split_item(rest)
                if item is None:
                    # A bare label ("Natur og Byg:"): its bullets follow, or the department
                    # has not answered yet (the export writes an empty task like this).
                    followup = rec.followup_for(department)
                    if action.status and not followup.status_pos:
                        self._status(followup, action.status, action.pos)
                    continue
                item.bullet = item.bullet or action.bullet
            else:
                department = current or self.index.mentioned(action.text) or section.department
            if department is None:
                rec.unassigned.append(action)
                self.warn(action.pos, MSG_UNASSIGNED, text=_shorten(action.text))
                continue
            followup = rec.followup_for(department)
            followup.items.append(item)
            if action.status and not followup.status_pos:
                self._status(followup, action.status, action.pos)
        if row.status and not row.actions:
            self.warn(row.pos, MSG_STATUS_WITHOUT_FOLLOWUP)

    def _status(self, followup: PlannedFollowUp, text: str, pos: SourcePos | None) -> None:
        value, rest, label = parse_status(text, self.labels)
        followup.status_pos = pos
        if value is None:
            known = ", ".join(str(label) for label in ActionStatus.labels)
            self.warn(pos, MSG_UNKNOWN_STATUS, label=_shorten(label, 40), known=known)
            return
        if value == ActionStatus.DROPPED and not rest:
            self.warn(pos, MSG_DROPPED_WITHOUT_REASON)
            return
        followup.status, followup.status_text = value, rest

    def _statuses(self) -> None:
        """Decide, now that departments are known, what is created and what is kept."""
        existing_recs = [r.existing for r in self.plan.recommendations if r.existing]
        # One query each, whatever the number of rows: the existing follow-ups and scopes of
        # the recommendations the file repeats, and their statuses in the status round.
        existing_followups = {
            (f.recommendation_id, f.department_id): f
            for f in FollowUp.objects.filter(recommendation__in=existing_recs)
        }
        scopes: dict[int, set[int]] = {}
        for rec_id, dep_id in RecommendationDepartment.objects.filter(
            recommendation__in=existing_recs
        ).values_list("recommendation_id", "department_id"):
            scopes.setdefault(rec_id, set()).add(dep_id)
        if scopes:
            # A named department's sub-departments are concerned too (as followup_record
            # decides): one query for the tree.
            children = department_children()
            scopes = {rec_id: descendant_ids(ids, children) for rec_id, ids in scopes.items()}
        for recommendation in self.plan.recommendations:
            if not recommendation.organisation and not recommendation.departments:
                named = [f.department for f in recommendation.followups]
                if named:
                    recommendation.departments = named
                else:
                    self.warn(recommendation.pos, MSG_NO_SCOPE)
            for followup in recommendation.followups:
                self._existing_followup(recommendation, followup, existing_followups, scopes)
        with_status = [f for f in self.plan.followups if f.status and not f.skip]
        if with_status and self.plan.status_round is None:
            self.warn(None, MSG_NO_STATUS_ROUND, year=self.plan.year)
            return
        current_statuses = {
            s.followup_id: s
            for s in StatusUpdate.objects.filter(
                round=self.plan.status_round,
                followup__in=[f.existing for f in with_status if f.existing],
            )
        }
        for followup in with_status:
            state = followup.existing.state if followup.existing else followup.new_state
            if state != FollowUp.State.APPROVED:
                self.warn(
                    followup.status_pos,
                    MSG_STATUS_NOT_APPROVED,
                    department=followup.department.name,
                )
                continue
            followup.create_status = True
            current = current_statuses.get(followup.existing.pk) if followup.existing else None
            if current is not None:
                followup.create_status = False
                if (current.status, current.text) != (followup.status, followup.status_text):
                    self.warn(
                        followup.status_pos,
                        MSG_STATUS_EXISTS,
                        department=followup.department.name,
                        round=self.plan.status_round.name,
                    )

    def _existing_followup(
        self,
        rec: PlannedRecommendation,
        followup: PlannedFollowUp,
        existing_followups: dict[tuple[int, int], FollowUp],
        scopes: dict[int, set[int]],
    ) -> None:
        if rec.existing is None:
            return
        department = followup.department.department
        existing = existing_followups.get((rec.existing.pk, department.pk)) if department else None
        if existing is None:
            concerned = rec.existing.scope == Recommendation.Scope.ORGANISATION or (
                department is not None and department.pk in scopes.get(rec.existing.pk, set())
            )
            if not concerned:
                followup.skip, followup.create = True, False
                self.warn(
                    followup.status_pos or rec.pos,
                    MSG_OUTSIDE_SCOPE,
                    department=followup.department.name,
                )
            return
        followup.existing = existing
        followup.create = False
        if _text_key(existing.action) != _text_key(followup.action):
            self.warn(rec.pos, MSG_FOLLOWUP_DIFFERS, department=followup.department.name)


def _text_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_plan(document: ParsedDocument, *, year: int, create_departments: bool) -> ImportPlan:
    """Match the parsed document against the database; nothing is written."""
    return _Planner(document, year=year, create_departments=create_departments).build()
