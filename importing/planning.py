"""What an import would create: the parsed document matched against the database.

Only reads. The preview page, `import_report --dry-run` and the commit all use the same
plan, so what is committed is exactly what was shown.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy

from departments.models import Department, department_children, descendant_ids
from followups.models import UNPLACED_NAME, ActionStatus, FollowUp, FollowUpRound, StatusUpdate
from followups.services import status_text_addition
from importing.parsing import (
    ActionItem,
    Item,
    ParsedDocument,
    Row,
    SourcePos,
    Warning,
    render_items,
    split_item,
)
from importing.security import ImportRefused
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
MSG_MARKED_UNPLACED = gettext_lazy(
    "%(where)s: the action “%(text)s” is marked as awaiting placement in the document; it is "
    "imported as awaiting placement, for the secretariat to place."
)
MSG_UNASSIGNED = gettext_lazy(
    "%(where)s: the action “%(text)s” names no department; it is imported as awaiting "
    "placement, for the secretariat to place."
)
# Stands for the department of a follow-up awaiting placement (preview, warnings, report).
UNPLACED_LABEL = gettext_lazy("Awaiting placement")
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
MSG_NO_STATUS_ROUND = gettext_lazy(
    "The file has statuses (%(where)s), but annual report %(year)s has no open status round, "
    "so they would be lost. Open a status round and import the file again, or remove the "
    "statuses from the file."
)
MSG_STATUS_NOT_APPROVED = gettext_lazy(
    "%(where)s: %(department)s's follow-up is not approved, so its status cannot be imported "
    "and would be lost. Approve the follow-up first, or remove the status from the file."
)
MSG_OUTSIDE_SCOPE = gettext_lazy(
    "%(where)s: the recommendation does not concern %(department)s, so the action "
    "“%(text)s” is imported as awaiting placement."
)
MSG_NEW_LINE_UNPLACED = gettext_lazy(
    "%(where)s: %(department)s already has a follow-up on this recommendation without the "
    "action “%(text)s”; the action is imported as awaiting placement, so that the "
    "secretariat can add it."
)
MSG_OUTSIDE_SCOPE_MOVED = gettext_lazy(
    "%(where)s: the recommendation does not concern %(department)s, so the action "
    "“%(text)s” goes to the section's department, %(section)s."
)
MSG_NEAR_EXISTING = gettext_lazy(
    "%(where)s: the recommendation is taken to be no. %(number)s of annual report %(year)s, "
    "whose text differs only slightly: %(difference)s. It is not created again."
)
MSG_NEAR_IN_FILE = gettext_lazy(
    "%(where)s: the recommendation is taken to be the one at %(first)s, whose text differs "
    "only slightly: %(difference)s."
)
MSG_FREE_STATUSES = gettext_lazy(
    "%(count)s follow-ups get a status written as free text, without a status word; the "
    "text is kept with the status “%(status)s”."
)
MSG_STATUS_WITHOUT_FOLLOWUP = gettext_lazy(
    "%(where)s: the status “%(text)s” has no follow-up action to belong to. Write the action "
    "in the Opfølgning column; nothing has been imported."
)
MSG_STATUSES_JOINED = gettext_lazy(
    "%(where)s: %(department)s already has a status from an earlier row of this "
    "recommendation; this row's status is added to its text: “%(text)s”."
)
MSG_DROPPED_WITHOUT_REASON = gettext_lazy(
    "%(where)s: the status “not carried out” needs a reason after the colon; its text is kept "
    "as a free-text status."
)
MSG_STATUS_EXISTS = gettext_lazy(
    "%(where)s: %(department)s already has a status in “%(round)s”; it is kept, and the "
    "file's words are added to its text."
)

# The Danish labels of DOMAIN.md, accepted whatever the translation files say.
DANISH_STATUS_LABELS = {
    "planlagt": ActionStatus.PLANNED,
    "igangsat": ActionStatus.IN_PROGRESS,
    "gennemført": ActionStatus.DONE,
    "løbende": ActionStatus.ONGOING,
    "sat på pause": ActionStatus.PAUSED,
    "ikke gennemført": ActionStatus.DROPPED,
    "ikke vurderet": ActionStatus.NOT_ASSESSED,
}

# Recommendation texts at least this similar (difflib's ratio) are one recommendation with a
# spelling fix ("Støre" → "Større"), not two.
NEAR_RATIO = 0.95
# The status of a free-text status cell unless the user chooses another in the preview.
FREE_TEXT_STATUS = ActionStatus.NOT_ASSESSED

PREFIX_RE = re.compile(r"^\s*(?P<label>[^:\n]{1,100}?)\s*:\s*(?P<rest>.*)$", re.DOTALL)
WORD_RE = re.compile(r"\w+")


def department_key(text: str) -> str:
    """Names match ignoring case, spacing and punctuation: 'Natur- og Byg' is 'natur og byg'."""
    return re.sub(r"[\W_]+", "", text.casefold())


# The label the council's table and its exports give a line awaiting placement (Danish, and
# the English of a translated page copied into a document).
UNPLACED_KEYS = frozenset({department_key(UNPLACED_NAME), department_key("Awaiting placement")})


def marked_unplaced(text: str) -> str | None:
    """'Afventer placering: Vi …' → 'Vi …': the line is awaiting placement, not a department's."""
    match = PREFIX_RE.match(text)
    if match and department_key(match.group("label")) in UNPLACED_KEYS:
        return match.group("rest").strip()
    return None


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
    # None: no department could be determined; the follow-up awaits placement by the
    # secretariat (one per action line, so that each line can be placed on its own).
    department: PlannedDepartment | None
    items: list[Item] = field(default_factory=list)
    status: str = ""
    status_text: str = ""
    status_pos: SourcePos | None = None
    # The status cell was free text (no "<status>:" prefix): the document's choice applies.
    status_free: bool = False
    existing: FollowUp | None = None
    # False when an existing follow-up or status is kept instead.
    create: bool = True
    create_status: bool = False
    # The file's words for a status the follow-up already has in the round, added to its text.
    status_addition: str = ""

    @property
    def action(self) -> str:
        return render_items(self.items)

    @property
    def unplaced(self) -> bool:
        return self.department is None

    @property
    def label(self) -> str:
        return self.department.name if self.department else str(UNPLACED_LABEL)

    @property
    def status_label(self) -> str:
        return str(dict(ActionStatus.choices).get(self.status, ""))

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
    existing: Recommendation | None = None
    theme_is_new: bool = False

    @property
    def scope(self) -> str:
        if self.existing is not None:
            return self.existing.scope
        if self.organisation or not self.departments:
            return Recommendation.Scope.ORGANISATION
        return Recommendation.Scope.DEPARTMENTS

    @property
    def actions(self) -> int:
        return sum(len(f.items) for f in self.followups)

    @property
    def unplaced(self) -> list[PlannedFollowUp]:
        return [f for f in self.followups if f.unplaced]

    def followup_for(
        self, department: PlannedDepartment | None, existing: FollowUp | None = None
    ) -> PlannedFollowUp:
        for followup in self.followups:
            if department is not None and followup.department is department:
                return followup
            if department is None and existing is not None and followup.existing is existing:
                return followup
        followup = PlannedFollowUp(department=department, existing=existing)
        if existing is not None:
            followup.create = False
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
    free_status: str = ""
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

    @property
    def free_statuses(self) -> int:
        return sum(1 for f in self.followups if f.status_free)

    def summary(self) -> dict:
        """The figures `import_report` prints as its last line."""
        return {
            "sections": len(self.sections),
            "themes": len(self.themes),
            "recommendations": len(self.recommendations),
            "followups": len(self.followups),
            "actions": sum(r.actions for r in self.recommendations),
            "unplaced": sum(1 for f in self.followups if f.unplaced),
            "statuses": sum(1 for f in self.followups if f.status),
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
            "unplaced_created": sum(1 for f in self.followups if f.create and f.unplaced),
            "statuses_created": sum(1 for f in self.followups if f.create_status),
            "status_round": self.status_round.name if self.status_round else None,
        }

    def fingerprint(self) -> str:
        """Changes whenever the file or the database would make the import differ."""
        content = {
            "year": self.year,
            "report": self.report.pk if self.report else None,
            "free_status": self.free_status,
            "details": self.details(),
            "recommendations": [
                [
                    r.theme,
                    r.text,
                    r.scope,
                    r.existing.pk if r.existing else None,
                    [d.name for d in r.departments],
                    [
                        [
                            f.department.name if f.department else None,
                            f.existing.pk if f.existing else None,
                            f.action,
                            f.status,
                            f.status_text,
                            f.create,
                            f.create_status,
                        ]
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
    """'Igangsat: i gang' → ('in_progress', 'i gang', 'Igangsat'); free text → (None, text, '')."""
    text = text.strip()
    match = PREFIX_RE.match(text)
    if match:
        value = labels.get(" ".join(match.group("label").split()).casefold())
        if value is not None:
            return value, match.group("rest").strip(), match.group("label").strip()
    lines = text.splitlines()
    value = labels.get(" ".join(lines[0].split()).casefold()) if lines else None
    if value is not None:
        return value, "\n".join(lines[1:]).strip(), lines[0].strip()
    return None, text, ""


def text_difference(old: str, new: str, limit: int = 3) -> str:
    """The words that differ: '“Støre” → “Større”' (at most `limit` changes)."""
    a, b = old.split(), new.split()
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before, after = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        changes.append(f"“{before}” → “{after}”" if before else f"+ “{after}”")
        if not after:
            changes[-1] = f"− “{before}”"
    shown = "; ".join(changes[:limit])
    return shown + (" …" if len(changes) > limit else "")


def near_identical(a: str, b: str) -> bool:
    """Two recommendation texts that differ by a spelling fix or two, not in content."""
    if a == b:
        return True
    if min(len(a), len(b)) < 20 or abs(len(a) - len(b)) > max(3, len(a) // 20):
        return False
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_RATIO or matcher.quick_ratio() < NEAR_RATIO:
        return False
    return matcher.ratio() >= NEAR_RATIO


def line_key(text: str) -> str:
    """An action line as a follow-up's text holds it, without bullet, case or spacing."""
    item = split_item(text)
    return " ".join(item.text.split()).casefold() if item is not None else ""


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
    def __init__(
        self,
        document: ParsedDocument,
        *,
        year: int,
        create_departments: bool,
        free_status: str = "",
    ):
        self.plan = ImportPlan(
            document=document,
            year=year,
            create_departments=create_departments,
            report=AnnualReport.objects.filter(year=year).first(),
            free_status=free_status or FREE_TEXT_STATUS,
        )
        self.plan.warnings.extend(document.warnings)
        active = [
            PlannedDepartment(d.name, d, d.short_name)
            for d in Department.objects.active().order_by("pk")
        ]
        self.index = DepartmentIndex(active)
        self.by_pk: dict[int, PlannedDepartment] = {
            e.department.pk: e for e in active if e.department is not None
        }
        self.inactive = {
            department_key(text)
            for d in Department.objects.filter(active=False)
            for text in (d.name, d.short_name)
        }
        self.taken_short = {
            s.casefold() for s in Department.objects.values_list("short_name", flat=True)
        }
        self.children = department_children()
        self.by_key: dict[tuple[str, str], PlannedRecommendation] = {}
        self.labels = status_labels()
        self.theme_keys = set(Theme.objects.values_list("key", flat=True))
        report = self.plan.report
        self.existing: dict[tuple[str, str], Recommendation] = {}
        self.existing_by_theme: dict[str, list[Recommendation]] = {}
        if report is not None:
            for rec in Recommendation.objects.for_report(report).select_related("theme"):
                if self.existing.setdefault((rec.theme.key, _text_key(rec.text)), rec) is rec:
                    self.existing_by_theme.setdefault(rec.theme.key, []).append(rec)
            # Statuses go only where status_update_save would put them: an open status round
            # (a closed or published round is what the council has already received).
            self.plan.status_round = (
                FollowUpRound.objects.filter(report=report).status_rounds().open().first()
            )
        # Filled once the recommendations are known (_load_existing).
        self.existing_followups: dict[int, list[FollowUp]] = {}
        self.line_owner: dict[tuple[int, str], FollowUp] = {}
        self.scopes: dict[int, set[int]] = {}

    def warn(self, pos: SourcePos | None, message, **params) -> None:
        text = str(message) % {"where": pos, **params} if pos else str(message) % params
        self.plan.warnings.append(Warning(pos, text))

    def build(self) -> ImportPlan:
        parsed_sections = self.plan.document.sections
        # Pass 1: every heading's department, existing or to be created, before any row is
        # read: an action in the first section may name a department a later heading makes.
        for parsed in parsed_sections:
            department = None
            if parsed.department is not None:  # else the whole organisation
                department = self._section_department(parsed.department, parsed.pos)
            self.plan.sections.append(
                PlannedSection(
                    pos=parsed.pos,
                    heading=parsed.department or "",
                    department=department,
                    organisation=parsed.is_organisation,
                )
            )
        # Pass 2: the recommendations, each with every section it appears in (its scope).
        rows: list[tuple[Row, PlannedSection, PlannedRecommendation]] = []
        for parsed, section in zip(parsed_sections, self.plan.sections, strict=True):
            for row in parsed.rows:
                recommendation = self._recommendation(row, section)
                if recommendation not in section.recommendations:
                    section.recommendations.append(recommendation)
                rows.append((row, section, recommendation))
        self._load_existing()
        for recommendation in self.plan.recommendations:
            self._scope(recommendation, [r for r, _s, rec in rows if rec is recommendation])
        # Pass 3: every action line to a follow-up, now that departments and scopes are known.
        for row, section, recommendation in rows:
            self._actions(row, section, recommendation)
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

    def _near(self, key: tuple[str, str]) -> tuple[Recommendation | None, str]:
        """An existing recommendation of the same theme whose text differs by a spelling fix."""
        for rec in self.existing_by_theme.get(key[0], []):
            if near_identical(_text_key(rec.text), key[1]):
                return rec, rec.text
        return None, ""

    def _recommendation(self, row: Row, section: PlannedSection) -> PlannedRecommendation:
        key = (theme_key(row.theme), _text_key(row.text))
        recommendation = self.by_key.get(key)
        if recommendation is None:
            # The same recommendation earlier in the file with a spelling difference.
            for planned in self.plan.recommendations:
                if theme_key(planned.theme) == key[0] and near_identical(
                    _text_key(planned.text), key[1]
                ):
                    recommendation = planned
                    self.by_key[key] = planned
                    self.warn(
                        row.pos,
                        MSG_NEAR_IN_FILE,
                        first=planned.pos,
                        difference=text_difference(planned.text, row.text),
                    )
                    break
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
            else:
                existing, old_text = self._near(key)
                if existing is not None:
                    recommendation.existing = existing
                    self.warn(
                        row.pos,
                        MSG_NEAR_EXISTING,
                        year=self.plan.year,
                        number=existing.number,
                        difference=text_difference(old_text, row.text),
                    )
        if section.organisation:
            recommendation.organisation = True
        elif section.department is not None and section.department not in (
            recommendation.departments
        ):
            recommendation.departments.append(section.department)
        return recommendation

    def _load_existing(self) -> None:
        """The follow-ups and scopes of the recommendations the file repeats (one query
        each), and which existing follow-up holds which action line."""
        existing_recs = [r.existing for r in self.plan.recommendations if r.existing]
        if not existing_recs:
            return
        for followup in FollowUp.objects.filter(recommendation__in=existing_recs).order_by("pk"):
            self.existing_followups.setdefault(followup.recommendation_id, []).append(followup)
            for line in followup.action.splitlines():
                key = line_key(line)
                if key:
                    self.line_owner.setdefault((followup.recommendation_id, key), followup)
        for rec_id, dep_id in RecommendationDepartment.objects.filter(
            recommendation__in=existing_recs
        ).values_list("recommendation_id", "department_id"):
            self.scopes.setdefault(rec_id, set()).add(dep_id)
        # A named department's sub-departments are concerned too (as followup_record decides).
        self.scopes = {
            rec_id: descendant_ids(ids, self.children) for rec_id, ids in self.scopes.items()
        }

    def _scope(self, rec: PlannedRecommendation, rows: list[Row]) -> None:
        """A new recommendation from no known section concerns the departments its actions
        name; with none, the whole organisation."""
        if rec.existing is not None or rec.organisation or rec.departments:
            return
        for row in rows:
            for action in row.actions:
                prefixed = self.index.prefix(action.text)
                named = prefixed[0] if prefixed else self.index.mentioned(action.text)
                if named is not None and named not in rec.departments:
                    rec.departments.append(named)
        if not rec.departments:
            self.warn(rec.pos, MSG_NO_SCOPE)

    def _concerns(self, rec: PlannedRecommendation, department: PlannedDepartment) -> bool:
        """Whether followup_record will accept a follow-up of `department` on `rec`."""
        if rec.scope == Recommendation.Scope.ORGANISATION:
            return True
        if rec.existing is not None:
            named = self.scopes.get(rec.existing.pk, set())
            return department.department is not None and department.department.pk in named
        if department in rec.departments:
            return True
        existing_ids = {d.department.pk for d in rec.departments if d.department is not None}
        return department.department is not None and department.department.pk in descendant_ids(
            existing_ids, self.children
        )

    def _planned_department(self, department: Department) -> PlannedDepartment:
        entry = self.by_pk.get(department.pk)
        if entry is None:  # an inactive department keeps what it already has
            entry = PlannedDepartment(department.name, department, department.short_name)
            self.by_pk[department.pk] = entry
        return entry

    def _actions(self, row: Row, section: PlannedSection, rec: PlannedRecommendation) -> None:
        current: PlannedDepartment | None = None
        current_pos: SourcePos | None = None
        # An "Afventer placering:" label line: its bullets below it in the cell are one line
        # awaiting placement, as the export wrote them (the follow-up once they are planned).
        marked: list[PlannedFollowUp] | None = None
        for action in row.actions:
            if action.pos != current_pos:
                current, current_pos, marked = None, action.pos, None
            item = Item(action.text, action.bullet)
            unplaced_rest = marked_unplaced(action.text)
            if unplaced_rest is not None or (marked is not None and action.bullet):
                if unplaced_rest is not None:
                    split = split_item(unplaced_rest)
                    if not action.bullet:
                        marked = []
                    if split is None:
                        continue
                    item = split
                    item.bullet = item.bullet or action.bullet
                self._marked_unplaced(rec, item, action, marked)
                continue
            marked = None
            prefixed = self.index.prefix(action.text)
            department: PlannedDepartment | None
            if prefixed is not None:
                department, rest = prefixed
                if not action.bullet:
                    # A label line ("Natur og Byg: - …") covers the bullets below it in the
                    # cell; a labelled bullet ("- NB: …") only itself.
                    current = department
                labelled = split_item(rest)
                if labelled is None:
                    # A bare label ("Natur og Byg:"): its bullets follow, or the department
                    # has not answered yet (the export writes an empty task like this).
                    if self._concerns(rec, department):
                        followup = rec.followup_for(department)
                        self._existing_followup(rec, followup)
                        if action.status:
                            self._add_status(followup, action.status, action.pos)
                    continue
                item = labelled
                item.bullet = item.bullet or action.bullet
            else:
                department = current or self.index.mentioned(action.text) or section.department
            owner = self._owner(rec, item)
            if owner is not None:
                # A line already imported stays where it is, placed or awaiting placement.
                if owner.department is None:
                    followup = rec.followup_for(None, existing=owner)
                else:
                    followup = rec.followup_for(self._planned_department(owner.department))
                    self._existing_followup(rec, followup)
            else:
                if department is not None and not self._concerns(rec, department):
                    fallback = section.department
                    if fallback is not None and not self._concerns(rec, fallback):
                        fallback = None
                    self.warn(
                        action.pos,
                        MSG_OUTSIDE_SCOPE_MOVED if fallback else MSG_OUTSIDE_SCOPE,
                        department=department.name,
                        section=fallback.name if fallback else "",
                        text=_shorten(action.text),
                    )
                    department = fallback
                warned = False
                if department is not None:
                    followup = rec.followup_for(department)
                    self._existing_followup(rec, followup)
                    if followup.existing is not None:
                        # A new line for a follow-up the department already has: the
                        # adopted text is not changed behind its back, and the line is not
                        # dropped either; the secretariat places it (and so joins them).
                        self.warn(
                            action.pos,
                            MSG_NEW_LINE_UNPLACED,
                            department=department.name,
                            text=_shorten(action.text),
                        )
                        department, warned = None, True
                if department is None:
                    followup = PlannedFollowUp(department=None)
                    rec.followups.append(followup)
                    if not warned:
                        self.warn(action.pos, MSG_UNASSIGNED, text=_shorten(action.text))
            followup.items.append(item)
            if action.status:
                self._add_status(followup, action.status, action.pos)
        if row.status and not row.actions:
            # A status cell whose row (and the rows it continues) has no action: it belongs
            # to nothing that can be imported, and is not dropped either.
            raise ImportRefused(
                MSG_STATUS_WITHOUT_FOLLOWUP, where=str(row.pos), text=_shorten(row.status)
            )

    def _marked_unplaced(
        self,
        rec: PlannedRecommendation,
        item: Item,
        action: ActionItem,
        marked: list[PlannedFollowUp] | None,
    ) -> None:
        """A line the document marks as awaiting placement (the report's own export): the
        line already imported stays where it is (placed since, or still waiting); a new one
        awaits placement, together with the other bullets of its label line."""
        owner = self._owner(rec, item)
        if owner is not None:
            if owner.department is None:
                followup = rec.followup_for(None, existing=owner)
            else:
                followup = rec.followup_for(self._planned_department(owner.department))
                self._existing_followup(rec, followup)
        elif marked:
            followup = marked[0]
        else:
            followup = PlannedFollowUp(department=None)
            rec.followups.append(followup)
            if marked is not None:
                marked.append(followup)
            self.warn(action.pos, MSG_MARKED_UNPLACED, text=_shorten(item.text))
        followup.items.append(item)
        if action.status:
            self._add_status(followup, action.status, action.pos)

    def _owner(self, rec: PlannedRecommendation, item: Item) -> FollowUp | None:
        if rec.existing is None:
            return None
        return self.line_owner.get((rec.existing.pk, line_key(item.text)))

    def _existing_followup(self, rec: PlannedRecommendation, followup: PlannedFollowUp) -> None:
        """An existing recommendation's follow-up of the same department is kept."""
        if rec.existing is None or followup.existing is not None or followup.department is None:
            return
        department = followup.department.department
        if department is None:
            return
        for existing in self.existing_followups.get(rec.existing.pk, []):
            if existing.department_id == department.pk:
                followup.existing, followup.create = existing, False
                return

    def _add_status(self, followup: PlannedFollowUp, text: str, pos: SourcePos | None) -> None:
        """The status of a row's line; several rows of one follow-up (continuation rows, one
        department's lines over several rows) each keep their words: the first gives the
        status, the lines of the others not already in its text are added to it (with their
        status word if it differs)."""
        if not followup.status_pos:
            self._status(followup, text, pos)
            return
        value, rest, _label = parse_status(text, self.labels)
        new = rest if value is not None and value == followup.status else text
        have = {" ".join(line.split()) for line in followup.status_text.splitlines()}
        added = []
        for line in new.splitlines():
            line = " ".join(line.split())
            if line and line not in have:
                added.append(line)
                have.add(line)
        if not added:
            return  # the same cell, read again for another line of its row
        followup.status_text = "\n".join([t for t in [followup.status_text] if t] + added)
        self.warn(
            pos, MSG_STATUSES_JOINED, department=followup.label, text=_shorten(" ".join(added))
        )

    def _status(self, followup: PlannedFollowUp, text: str, pos: SourcePos | None) -> None:
        value, rest, _label = parse_status(text, self.labels)
        followup.status_pos = pos
        if value == ActionStatus.DROPPED and not rest:
            self.warn(pos, MSG_DROPPED_WITHOUT_REASON)
            value, rest = None, text.strip()
        if value is None:
            # Free text without a status word: kept as it is, with the status the user
            # chose for free-text statuses (by default "not assessed").
            followup.status, followup.status_text = self.plan.free_status, rest
            followup.status_free = True
            return
        followup.status, followup.status_text = value, rest

    def _statuses(self) -> None:
        """Decide, now that follow-ups are known, which statuses are created or kept."""
        if self.plan.free_statuses:
            self.warn(
                None,
                MSG_FREE_STATUSES,
                count=self.plan.free_statuses,
                status=dict(ActionStatus.choices).get(self.plan.free_status, ""),
            )
        with_status = [f for f in self.plan.followups if f.status]
        status_round = self.plan.status_round
        if status_round is None:
            if with_status:
                # Refused, not warned: a warning is not a place to keep the statuses.
                raise ImportRefused(
                    MSG_NO_STATUS_ROUND,
                    where=", ".join(str(f.status_pos) for f in with_status[:5])
                    + (" …" if len(with_status) > 5 else ""),
                    year=self.plan.year,
                )
            return
        current_statuses = {
            s.followup_id: s
            for s in StatusUpdate.objects.filter(
                round=status_round,
                followup__in=[f.existing for f in with_status if f.existing],
            )
        }
        for followup in with_status:
            state = followup.existing.state if followup.existing else followup.new_state
            if state != FollowUp.State.APPROVED:
                raise ImportRefused(
                    MSG_STATUS_NOT_APPROVED,
                    where=str(followup.status_pos),
                    department=followup.label,
                )
            followup.create_status = True
            current = current_statuses.get(followup.existing.pk) if followup.existing else None
            if current is not None:
                followup.create_status = False
                followup.status_addition = status_text_addition(
                    current, StatusUpdate(status=followup.status, text=followup.status_text)
                )
                if followup.status_addition:
                    self.warn(
                        followup.status_pos,
                        MSG_STATUS_EXISTS,
                        department=followup.label,
                        round=status_round.name,
                    )


def _text_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_plan(
    document: ParsedDocument, *, year: int, create_departments: bool, free_status: str = ""
) -> ImportPlan:
    """Match the parsed document against the database; nothing is written."""
    return _Planner(
        document, year=year, create_departments=create_departments, free_status=free_status
    ).build()
