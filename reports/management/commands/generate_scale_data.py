"""Build a synthetic, fictional data set at national scale (for benchmarks and load tests).

Default: 120,000 recommendations, 600,000 follow-ups and 1,800,000 status updates, with one
simple-history row per object (plus a change row for every moved target date). Small tables
(departments, themes, reports, rounds, users) go through the ORM with
`bulk_create_with_history`; the big ones are streamed in chunks: PostgreSQL uses COPY
(psycopg 3 `cursor.copy`), other databases `executemany`. Everything runs in one transaction
and ends with ANALYZE.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from departments.access import GlobalRole
from departments.models import Department, Membership
from followups.models import (
    FINISHED_STATUSES,
    ActionStatus,
    FollowUp,
    FollowUpProgress,
    FollowUpRound,
    StatusUpdate,
    TargetDateChange,
)
from recommendations.models import (
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    Theme,
    theme_key,
)
from reports import scale_words as words

SECRETARIAT_USERNAME = "scale-sekretariat"
MANAGER_USERNAME = "scale-leder"
OFFICER_USERNAME = "scale-sagsbehandler"
COUNCIL_USERNAME = "scale-byraad"
PASSWORD = "scale-2026"  # noqa: S105 (fictional benchmark users)

# Columns written for each big table (the historical table adds the history columns).
REC_COLUMNS = [
    "id",
    "number",
    "kind",
    "text",
    "scope",
    "response",
    "response_reason",
    "assessment",
    "assessment_note",
    "link_kind",
    "previous_id",
    "report_id",
    "theme_id",
]
RECDEPT_COLUMNS = ["id", "department_id", "recommendation_id"]
FOLLOWUP_COLUMNS = [
    "id",
    "action",
    "responsible",
    "target_date",
    "original_target_date",
    "state",
    "return_comment",
    "department_id",
    "recommendation_id",
]
CHANGE_COLUMNS = [
    "id",
    "old_date",
    "new_date",
    "reason",
    "changed_at",
    "changed_by_id",
    "followup_id",
]
PROGRESS_COLUMNS = [
    "followup_id",
    "department_id",
    "recommendation_id",
    "report_id",
    "latest_status",
    "finished_on",
    "published_status",
    "published_finished_on",
    "target_date",
]
STATUS_COLUMNS = ["id", "status", "text", "reported_on", "author_id", "followup_id", "round_id"]
HISTORY_COLUMNS = [
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
]


def _table(model, historical: bool = False) -> str:
    return (model.history.model if historical else model)._meta.db_table


class TableWriter:
    """Appends rows to a table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.rows_written: dict[str, int] = {}
        self.cursor = connection.cursor()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.postgres:
            with self.cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            self.cursor.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
                rows,
            )
        self.rows_written[table] = self.rows_written.get(table, 0) + len(rows)

    def next_id(self, table: str, column: str = "id") -> int:
        self.cursor.execute(f"SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}")  # noqa: S608
        return self.cursor.fetchone()[0]

    def reset_sequences(self, tables: Iterable[tuple[str, str]]) -> None:
        if not self.postgres:
            return
        for table, column in tables:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608
                f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
            )

    def analyze(self) -> None:
        self.cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Generate a fictional national-scale data set (with history rows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recommendations", type=int, default=120_000)
        parser.add_argument("--followups-per", type=int, default=5)
        parser.add_argument("--statuses-per", type=int, default=3)
        parser.add_argument("--years", type=int, default=12)
        parser.add_argument("--municipalities", type=int, default=5)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--chunk", type=int, default=2000, help="Recommendations per chunk.")

    def handle(self, *args, **opts) -> None:
        if Recommendation.objects.exists():
            raise CommandError("The database already has recommendations; use an empty one.")
        if not 1 <= opts["years"] <= 40:
            raise CommandError("--years must be between 1 and 40.")
        if opts["municipalities"] < 1 or opts["municipalities"] > len(words.MUNICIPALITIES):
            raise CommandError(f"--municipalities must be 1–{len(words.MUNICIPALITIES)}.")
        self.rng = random.Random(opts["seed"])  # noqa: S311 (test data)
        started = time.perf_counter()
        with transaction.atomic():
            self.writer = TableWriter()
            self._step("users, departments, themes, reports, rounds", self._small_tables, opts)
            self._step("recommendations, follow-ups, statuses", self._big_tables, opts)
            self.writer.reset_sequences(self._sequence_tables())
        self._step("ANALYZE", lambda _o: self.writer.analyze(), opts)
        for table, n in sorted(self.writer.rows_written.items()):
            self.stdout.write(f"  {table}: {n:,} rows")
        self.stdout.write(
            self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s. ")
            + f"Logins (password '{PASSWORD}'): {SECRETARIAT_USERNAME}, {MANAGER_USERNAME}, "
            f"{OFFICER_USERNAME}, {COUNCIL_USERNAME}."
        )

    def _step(self, label: str, func, opts) -> None:
        t0 = time.perf_counter()
        func(opts)
        self.stdout.write(f"{label}: {time.perf_counter() - t0:.1f} s")

    # --- small tables through the ORM -------------------------------------------------

    def _small_tables(self, opts) -> None:
        self.now = timezone.now()
        self.today = timezone.localdate()
        self._departments(opts["municipalities"])
        self._users()
        themes = [Theme(name=n, key=theme_key(n)) for n in words.THEMES]
        self.theme_ids = [t.pk for t in bulk_create_with_history(themes, Theme)]
        if any(pk is None for pk in self.theme_ids):
            self.theme_ids = list(Theme.objects.values_list("pk", flat=True))
        self._reports_and_rounds(opts)

    def _departments(self, municipalities: int) -> None:
        self.groups: list[dict[str, list[int]]] = []  # per municipality: top-level, all ids
        for m, town in enumerate(words.MUNICIPALITIES[:municipalities], start=1):
            tops = bulk_create_with_history(
                [
                    Department(
                        name=f"{name} ({town})",
                        short_name=f"K{m}-{short}",
                        kind=Department.Kind.ADMINISTRATION,
                    )
                    for name, short in words.ADMINISTRATIONS
                ],
                Department,
            )
            tops = list(Department.objects.filter(short_name__startswith=f"K{m}-").order_by("pk"))
            centres = []
            for i, top in enumerate(tops):
                for c in range(2):
                    name = words.CENTRES[(i * 2 + c) % len(words.CENTRES)]
                    centres.append(
                        Department(
                            name=name,
                            short_name=f"{top.short_name}-C{c + 1}",
                            kind=Department.Kind.CENTRE,
                            parent=top,
                        )
                    )
            bulk_create_with_history(centres, Department)
            centres = list(Department.objects.filter(kind="center", parent__in=tops).order_by("pk"))
            units = [
                Department(
                    name=words.UNITS[(i + u) % len(words.UNITS)],
                    short_name=f"{centre.short_name}-A{u + 1}",
                    kind=Department.Kind.UNIT,
                    parent=centre,
                )
                for i, centre in enumerate(centres)
                for u in range(1)
            ]
            bulk_create_with_history(units, Department)
            all_ids = list(
                Department.objects.filter(short_name__startswith=f"K{m}-").values_list(
                    "pk", flat=True
                )
            )
            self.groups.append({"top": [t.pk for t in tops], "all": all_ids})
        self.all_tops = [pk for g in self.groups for pk in g["top"]]

    def _users(self) -> None:
        User = get_user_model()
        hashed = make_password(PASSWORD)  # hash once: the hasher is slow on purpose

        def user(username: str, first: str, last: str, **extra):
            obj, _created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last, **extra}
            )
            obj.password = hashed
            obj.save()
            return obj

        secretariat = user(SECRETARIAT_USERNAME, "Sekretariat", "Skala", is_staff=True)
        secretariat.groups.add(Group.objects.get_or_create(name=GlobalRole.SECRETARIAT)[0])
        council = user(COUNCIL_USERNAME, "Byråd", "Skala")
        council.groups.add(Group.objects.get_or_create(name=GlobalRole.COUNCIL)[0])
        first_top = self.groups[0]["top"][0]
        manager = user(MANAGER_USERNAME, "Leder", "Skala")
        officer = user(OFFICER_USERNAME, "Sagsbehandler", "Skala")
        memberships = [
            Membership(user=manager, department_id=first_top, role=Membership.Role.MANAGER),
            Membership(user=officer, department_id=first_top, role=Membership.Role.CASE_OFFICER),
        ]
        self.author_ids = [officer.pk]
        for n in range(20):
            first = words.FIRST_NAMES[n % len(words.FIRST_NAMES)]
            last = words.LAST_NAMES[n % len(words.LAST_NAMES)]
            author = user(f"scale-officer-{n + 1}", first, last)
            self.author_ids.append(author.pk)
            group = self.groups[n % len(self.groups)]
            memberships.append(
                Membership(
                    user=author,
                    department_id=group["top"][n % len(group["top"])],
                    role=Membership.Role.CASE_OFFICER,
                )
            )
        bulk_create_with_history(memberships, Membership)
        self.secretariat_id = secretariat.pk

    def _reports_and_rounds(self, opts) -> None:
        years = opts["years"]
        newest = self.today.year - 1
        first = newest - years + 1
        reports = bulk_create_with_history(
            [
                AnnualReport(
                    year=y,
                    title=f"Borgerrådgiverens årsberetning {y}",
                    published_on=datetime.date(y + 1, 3, 1),
                    case_number=f"{y + 1}-{1000 + y % 100}",
                )
                for y in range(first, newest + 1)
            ],
            AnnualReport,
        )
        reports = list(AnnualReport.objects.filter(year__gte=first).order_by("year"))
        self.report_ids = [r.pk for r in reports]
        self.report_years = [r.year for r in reports]
        self.published_on = {r.pk: r.published_on for r in reports}
        # Status rounds per report: older reports get extra rounds so that the total number of
        # status updates is exactly followups × statuses-per (the newest has none yet).
        per_report = self._split(opts["recommendations"], years)
        followups_per = opts["followups_per"]
        status_rounds = [opts["statuses_per"]] * (years - 1) + [0]
        deficit = per_report[-1] * followups_per * opts["statuses_per"]
        self.partial_round: dict[int, int] = {}  # report index → recommendations covered
        index = 0
        while deficit > 0 and years > 1:
            covered = min(per_report[index], -(-deficit // followups_per))
            status_rounds[index] += 1
            if covered < per_report[index]:
                self.partial_round[index] = covered
            deficit -= covered * followups_per
            index = (index + 1) % (years - 1)
        self.per_report = per_report
        rounds: list[FollowUpRound] = []
        for i, report in enumerate(reports):
            plan_deadline = datetime.date(report.year + 1, 4, 15)
            is_newest = i == len(reports) - 1
            if is_newest:
                plan_deadline = self.today + datetime.timedelta(days=21)
            rounds.append(
                FollowUpRound(
                    report=report,
                    name=f"Handleplan {report.year + 1}",
                    kind=FollowUpRound.Kind.PLAN,
                    deadline=plan_deadline,
                    state=FollowUpRound.State.OPEN if is_newest else FollowUpRound.State.PUBLISHED,
                    opened_at=self.now,
                    published_at=None if is_newest else self.now,
                )
            )
            for s in range(status_rounds[i]):
                rounds.append(
                    FollowUpRound(
                        report=report,
                        name=f"Status {s + 1}",
                        kind=FollowUpRound.Kind.STATUS,
                        deadline=plan_deadline + datetime.timedelta(days=182 * (s + 1)),
                        state=FollowUpRound.State.PUBLISHED,
                        opened_at=self.now,
                        published_at=self.now,
                    )
                )
        bulk_create_with_history(rounds, FollowUpRound)
        self.status_rounds: dict[int, list[tuple[int, datetime.date]]] = {}
        self.plan_deadline: dict[int, datetime.date] = {}
        for r in FollowUpRound.objects.filter(report_id__in=self.report_ids).order_by("deadline"):
            if r.kind == FollowUpRound.Kind.PLAN:
                self.plan_deadline[r.report_id] = r.deadline
            else:
                self.status_rounds.setdefault(r.report_id, []).append((r.pk, r.deadline))

    @staticmethod
    def _split(total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if i < extra else 0) for i in range(parts)]

    def _sequence_tables(self) -> list[tuple[str, str]]:
        tables = []
        for model in (
            Recommendation,
            RecommendationDepartment,
            FollowUp,
            TargetDateChange,
            StatusUpdate,
        ):
            tables.append((_table(model), "id"))
            tables.append((_table(model, historical=True), "history_id"))
        return tables

    # --- big tables, streamed -----------------------------------------------------------

    def _big_tables(self, opts) -> None:
        w = self.writer
        self.ids = {
            name: w.next_id(_table(model))
            for name, model in (
                ("rec", Recommendation),
                ("recdept", RecommendationDepartment),
                ("followup", FollowUp),
                ("change", TargetDateChange),
                ("status", StatusUpdate),
            )
        }
        self.hist_ids = {
            name: w.next_id(_table(model, True), "history_id")
            for name, model in (
                ("rec", Recommendation),
                ("recdept", RecommendationDepartment),
                ("followup", FollowUp),
                ("change", TargetDateChange),
                ("status", StatusUpdate),
            )
        }
        self.status_texts = words.STATUS_TEXTS
        chunk = max(1, opts["chunk"])
        for index, report_id in enumerate(self.report_ids):
            total = self.per_report[index]
            number = 1
            while number <= total:
                count = min(chunk, total - number + 1)
                self._chunk(opts, index, report_id, number, count)
                number += count
            self.stdout.write(f"  report {self.report_years[index]}: {total:,} recommendations")

    def _hist(self, name: str, when: datetime.datetime, user_id: int, kind: str = "+") -> tuple:
        hid = self.hist_ids[name]
        self.hist_ids[name] += 1
        return (hid, when, None, kind, user_id)

    def _followup_history(
        self, followup: tuple, created: datetime.datetime, author: int, moved: bool
    ) -> list[tuple]:
        """History rows as the services write them: the task created empty when the plan
        round opened, then written (with the first target date, if it moved later),
        submitted and approved or returned, each a few days apart (never in the future;
        a move comes later, with its own row)."""
        r = self.rng
        fid, action, responsible, target, original, state, comment, department, rec = followup
        empty = (fid, "", "", None, None, "draft", "", department, rec)
        rows = [empty + self._hist("followup", created, self.secretariat_id)]
        if not action:
            return rows
        at = created + datetime.timedelta(days=r.randint(1, 30), hours=r.randint(0, 6))
        written = (fid, action, responsible, original if moved else target, original)
        steps = [(written + ("draft", "", department, rec), author)]
        if state != "draft":
            steps.append((written + ("submitted", "", department, rec), author))
        if state in ("approved", "returned"):
            steps.append((written + (state, comment, department, rec), self.secretariat_id))
        for row, user in steps:
            rows.append(row + self._hist("followup", min(at, self.now), user, "~"))
            at += datetime.timedelta(days=r.randint(1, 10), hours=r.randint(0, 6))
        return rows

    def _next(self, name: str) -> int:
        pk = self.ids[name]
        self.ids[name] += 1
        return pk

    def _sentence(self) -> str:
        r = self.rng
        return (
            f"{r.choice(words.SUBJECTS)} {r.choice(words.MODALS)} {r.choice(words.VERBS)} "
            f"{r.choice(words.OBJECTS)}, {r.choice(words.QUALIFIERS)}."
        )

    def _action(self, department_name: str = "") -> str:
        r = self.rng
        return f"- Vi {r.choice(words.ACTIONS)} {r.choice(words.OBJECTS)}."

    def _chunk(self, opts, index: int, report_id: int, first_number: int, count: int) -> None:
        r = self.rng
        newest = index == len(self.report_ids) - 1
        followups_per = opts["followups_per"]
        published = self.published_on[report_id]
        created = datetime.datetime.combine(published, datetime.time(9), tzinfo=datetime.UTC)
        plan_deadline = self.plan_deadline[report_id]
        rounds = self.status_rounds.get(report_id, [])
        partial_limit = self.partial_round.get(index)
        recs, rec_h, recdepts, recdept_h = [], [], [], []
        followups: list[tuple] = []
        followup_h: list[tuple] = []
        changes: list[tuple] = []
        change_h: list[tuple] = []
        statuses: list[tuple] = []
        status_h: list[tuple] = []
        progress: list[tuple] = []
        sec = self.secretariat_id
        for number in range(first_number, first_number + count):
            rec_id = self._next("rec")
            group = r.choice(self.groups)
            organisation = r.random() < 0.3
            if organisation:
                pool = group["top"] if len(group["top"]) >= followups_per else self.all_tops
            else:
                pool = group["all"]
            departments = r.sample(pool, min(followups_per, len(pool)))
            text = f"{self._sentence()} {self._sentence()}"
            rec = (
                rec_id,
                number,
                "criticism" if r.random() < 0.15 else "recommendation",
                text,
                "organisation" if organisation else "departments",
                "accepted" if not newest else "",
                "",
                r.choice(["satisfactory", "partly_satisfactory", "insufficient", ""])
                if not newest
                else "",
                "",
                "",
                None,
                report_id,
                r.choice(self.theme_ids),
            )
            recs.append(rec)
            rec_h.append(rec + self._hist("rec", created, sec))
            if not organisation:
                for department_id in departments:
                    row = (self._next("recdept"), department_id, rec_id)
                    recdepts.append(row)
                    recdept_h.append(row + self._hist("recdept", created, sec))
            # Rounds this recommendation's follow-ups report in (the last may be partial).
            own_rounds = rounds
            if partial_limit is not None and number > partial_limit:
                own_rounds = rounds[:-1]
            target: datetime.date | None  # None: a draft without a date yet
            original: datetime.date | None
            for department_id in departments:
                fid = self._next("followup")
                author = r.choice(self.author_ids)
                target = plan_deadline + datetime.timedelta(days=r.randint(-60, 540))
                original = target
                moved = r.random() < 0.15
                if moved:
                    original = target - datetime.timedelta(days=r.randint(30, 200))
                if newest:
                    state = r.choices(
                        ["draft", "submitted", "approved", "returned"], [30, 25, 35, 10]
                    )[0]
                else:
                    state = "approved"
                action = self._action()
                if state == "draft" and r.random() < 0.5:
                    action, target, original, moved = "", None, None, False
                followup = (
                    fid,
                    action,
                    f"{r.choice(words.FIRST_NAMES)} {r.choice(words.LAST_NAMES)}",
                    target,
                    original,
                    state,
                    "Handlingen skal være mere konkret." if state == "returned" else "",
                    department_id,
                    rec_id,
                )
                followups.append(followup)
                followup_h.extend(self._followup_history(followup, created, author, moved))
                if moved:
                    when = min(
                        created + datetime.timedelta(days=r.randint(60, 300)),
                        self.now - datetime.timedelta(hours=1),
                    )
                    change = (
                        self._next("change"),
                        original,
                        target,
                        "Opgaven er forsinket af en omstrukturering.",
                        when,
                        author,
                        fid,
                    )
                    changes.append(change)
                    change_h.append(change + self._hist("change", when, author))
                    followup_h.append(followup + self._hist("followup", when, author, "~"))
                status = "planned"
                finished_on = None
                for round_id, deadline in own_rounds:
                    if status not in FINISHED_STATUSES:
                        status = r.choices(
                            [
                                ActionStatus.PLANNED,
                                ActionStatus.IN_PROGRESS,
                                ActionStatus.DONE,
                                ActionStatus.ONGOING,
                                ActionStatus.PAUSED,
                                ActionStatus.DROPPED,
                            ],
                            [10, 35, 30, 12, 8, 5],
                        )[0]
                    reported = deadline - datetime.timedelta(days=r.randint(0, 20))
                    update = (
                        self._next("status"),
                        str(status),
                        r.choice(self.status_texts),
                        reported,
                        author,
                        fid,
                        round_id,
                    )
                    statuses.append(update)
                    when = datetime.datetime.combine(
                        reported, datetime.time(12), tzinfo=datetime.UTC
                    )
                    status_h.append(update + self._hist("status", when, author))
                    if finished_on is None and status in FINISHED_STATUSES:
                        finished_on = reported
                # The read model (FollowUpProgress), a row per follow-up: rounds come in
                # deadline order. Every status round here is published, so the published
                # columns are the same.
                latest = str(status) if own_rounds else ""
                progress.append(
                    (
                        fid,
                        department_id,
                        rec_id,
                        report_id,
                        latest,
                        finished_on,
                        latest,
                        finished_on,
                        target,
                    )
                )
        w = self.writer
        w.write(_table(Recommendation), REC_COLUMNS + ["version"], [row + (1,) for row in recs])
        w.write(_table(Recommendation, True), REC_COLUMNS + HISTORY_COLUMNS, rec_h)
        w.write(_table(RecommendationDepartment), RECDEPT_COLUMNS, recdepts)
        w.write(
            _table(RecommendationDepartment, True), RECDEPT_COLUMNS + HISTORY_COLUMNS, recdept_h
        )
        # version and updated_at have no defaults in the database: add them to the rows.
        w.write(
            _table(FollowUp),
            FOLLOWUP_COLUMNS + ["version", "updated_at"],
            [row + (1, created) for row in followups],
        )
        w.write(_table(FollowUp, True), FOLLOWUP_COLUMNS + HISTORY_COLUMNS, followup_h)
        w.write(_table(TargetDateChange), CHANGE_COLUMNS, changes)
        w.write(_table(TargetDateChange, True), CHANGE_COLUMNS + HISTORY_COLUMNS, change_h)
        w.write(
            _table(StatusUpdate), STATUS_COLUMNS + ["version"], [row + (1,) for row in statuses]
        )
        w.write(_table(StatusUpdate, True), STATUS_COLUMNS + HISTORY_COLUMNS, status_h)
        w.write(_table(FollowUpProgress), PROGRESS_COLUMNS, progress)
