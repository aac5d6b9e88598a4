"""Load the fictional Eksempelby Kommune. Running it again changes nothing."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from collaboration.models import Comment
from collaboration.services import attachment_add, comment_add, comment_mark_for_council
from core.history import history_skipped
from demo import data as demo
from departments.models import Department
from departments.services import (
    department_create,
    global_roles_sync,
    membership_set,
    user_history_record,
    user_set_global_roles,
)
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from followups.services import (
    followup_approve,
    followup_move_target_date,
    followup_return,
    followup_submit,
    followup_update,
    round_close,
    round_open,
    round_publish,
    status_update_save,
)
from notifications.services import round_remind_now
from recommendations.models import AnnualReport, Recommendation
from recommendations.services import recommendation_create, report_create, theme_get_or_create

# Not translated: the operator of a production server reads it in a terminal.
REFUSED_IN_PRODUCTION = (
    "Demodata (fiktive brugere med en offentlig adgangskode) må ikke indlæses med "
    "disse indstillinger (DEMO_ALLOWED er slået fra, som i produktion). Brug "
    "DJANGO_SETTINGS_MODULE=config.settings.dev på en database kun til demo."
)


def demo_pdf() -> bytes:
    """The demo's evidence: a one-page guideline, rendered like the council's PDF."""
    from reports.pdf import html_to_pdf

    return html_to_pdf(
        '<html lang="da"><head><title>Vejledning om svartider</title></head><body>'
        "<h1>Vejledning om svartider</h1><p>Når en sag tager længere tid end lovet, får "
        "borgeren besked med en ny dato og en kontaktperson (fiktiv demo).</p></body></html>"
    ).content


QUIET_MAIL = "django.core.mail.backends.locmem.EmailBackend"

STATUS_CYCLE = ["done", "in_progress", "ongoing", "in_progress", "paused", "done", "dropped"]


class Command(BaseCommand):
    help = "Load the fictional demo municipality (Eksempelby Kommune) and its demo users."

    def handle(self, *args, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError(REFUSED_IN_PRODUCTION)
        # The demo's own e-mails (workflow steps, reminders) are recorded as sent but not
        # printed: the console would fill with them before the log-ins.
        with override_settings(EMAIL_BACKEND=QUIET_MAIL):
            self.load()
        self.print_logins()

    def load(self):
        with transaction.atomic():
            global_roles_sync()
            users = self.ensure_users()
            actor = users["sekretariat"]
            departments = self.ensure_departments(actor)
            self.ensure_memberships(users, departments, actor)
            themes = {
                name: theme_get_or_create(actor=actor, name=name, description=description)
                for name, description in demo.THEMES.items()
            }
            for spec in demo.REPORTS:
                if not AnnualReport.objects.filter(year=spec["year"]).exists():
                    self.load_report(spec, themes, departments, actor)
            self.load_rounds(users, actor)
            self.load_collaboration(users)
            self.send_reminders(actor)

    def load_collaboration(self, users):
        """A conversation on a returned answer, the ombudsman's office asking on a
        recommendation (shown to the council), and a guideline attached as evidence to a
        status in the open status round. Once: skipped when the demo has comments."""
        if Comment.objects.exists():
            return
        returned = (
            FollowUp.objects.filter(state=FollowUp.State.RETURNED, department__short_name="SSF")
            .select_related("department")
            .order_by("pk")
            .first()
        )
        if returned is not None:
            comment_add(
                actor=users["leder"],
                followup=returned,
                text="@sagsbehandler Skriv gerne, hvem der ringer tilbage, og inden for hvor "
                "mange dage.",
            )
            comment_add(
                actor=users["sagsbehandler"],
                followup=returned,
                text="Det gør jeg. Teamet aftaler det på mødet tirsdag, så retter jeg svaret.",
            )
        status = (
            StatusUpdate.objects.filter(
                round__state=FollowUpRound.State.OPEN,
                status="done",
                followup__department__short_name="SSF",
            )
            .select_related("followup__department", "round", "followup__recommendation")
            .order_by("pk")
            .first()
        )
        if status is not None:
            question = comment_add(
                actor=users["borgerraadgiver"],
                recommendation=status.followup.recommendation,
                text="Borgerrådgiveren vil gerne se den nye vejledning, før sagen lukkes.",
            )
            comment_mark_for_council(comment=question, actor=users["sekretariat"], for_council=True)
            attachment_add(
                actor=users["sagsbehandler"],
                followup=status.followup,
                status_update=status,
                uploaded_file=SimpleUploadedFile(
                    "vejledning-svartider.pdf", demo_pdf(), content_type="application/pdf"
                ),
            )

    def send_reminders(self, actor):
        """The secretariat reminded the departments each open round waits for, a week
        before its deadline (once: the reminder's key holds the day)."""
        for round in FollowUpRound.objects.open():
            round_remind_now(round=round, actor=actor, today=round.deadline - datetime.timedelta(7))

    def ensure_users(self):
        user_model = get_user_model()
        users = {}
        created = []
        for username, (first, last, _roles, _members, staff) in demo.USERS.items():
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@eksempelby.invalid",
                    is_staff=staff,
                )
                user.set_password(demo.DEMO_PASSWORD)
                # Recorded below, by the demo's secretariat user, once it exists.
                with history_skipped(user):
                    user.save()
                created.append(user)
            users[username] = user
        for user in created:
            user_history_record(user=user, actor=users["sekretariat"], created=True)
        for username, (_f, _l, roles, _m, _s) in demo.USERS.items():
            user_set_global_roles(
                user=users[username], roles=set(roles), actor=users["sekretariat"]
            )
        return users

    def ensure_departments(self, actor):
        departments: dict[str, Department] = {}
        for short, name, kind, parent in demo.DEPARTMENTS:
            department = Department.objects.filter(short_name=short).first()
            if department is None:
                department = department_create(
                    actor=actor,
                    name=name,
                    short_name=short,
                    kind=kind,
                    parent=departments[parent] if parent else None,
                )
            departments[short] = department
        return departments

    def ensure_memberships(self, users, departments, actor):
        for username, (_f, _l, _r, memberships, _s) in demo.USERS.items():
            for short, role in memberships:
                membership_set(
                    user=users[username], department=departments[short], role=role, actor=actor
                )

    def load_report(self, spec, themes, departments, actor):
        report = report_create(
            actor=actor,
            year=spec["year"],
            title=spec["title"],
            published_on=spec["published_on"],
            case_number=spec["case_number"],
            document_number=spec["document_number"],
            introduction=spec["introduction"],
        )
        for theme, kind, scope, text, response, reason, link in spec["recommendations"]:
            previous = None
            if link:
                previous = Recommendation.objects.get(report__year=link[0], number=link[1])
            recommendation_create(
                actor=actor,
                report=report,
                theme=themes[theme],
                text=text,
                kind=kind,
                scope="departments" if scope else "organisation",
                departments=[departments[s] for s in scope or []],
                response=response,
                response_reason=reason,
                previous=previous,
                link_kind=link[2] if link else "",
            )

    def write_followup(self, followup, users, index):
        """Write the demo answer as the department's own case officer where one exists."""
        writer = self.writer_for(followup, users)
        text = demo.ACTIONS[followup.recommendation.theme.name].format(
            dept=followup.department.name
        )
        return followup_update(
            followup=followup,
            actor=writer,
            expected_version=followup.version,
            action=text,
            responsible=f"Teamleder, {followup.department.short_name}",
            target_date=followup.recommendation.report.published_on
            + datetime.timedelta(days=120 + 30 * (index % 6)),
            # Every other answer names its case officer (the rest stay the department's).
            assignee=writer if index % 2 == 0 and writer != users["sekretariat"] else None,
        )

    def writer_for(self, followup, users):
        if followup.department.short_name in ("SSF", "ÆO", "HJP", "BCH"):
            return users["sagsbehandler"]
        if followup.department.short_name in ("BUF", "FAM", "SKO"):
            return users["sagsbehandler.buf"]
        if followup.department.short_name in ("TMF", "NOB"):
            return users["sagsbehandler.tmf"]
        return users["sekretariat"]

    def approver_for(self, followup, users):
        if followup.department.short_name in ("SSF", "ÆO", "HJP", "BCH"):
            return users["leder"]
        if followup.department.short_name in ("BUF", "FAM", "SKO"):
            return users["leder.buf"]
        return users["sekretariat"]

    def load_rounds(self, users, actor):
        report_2024 = AnnualReport.objects.get(year=2024)
        report_2025 = AnnualReport.objects.get(year=2025)
        if not FollowUpRound.objects.filter(report=report_2024).exists():
            plan = round_open(actor=actor, report=report_2024, kind="plan", **demo.PLAN_ROUND_2024)
            for index, followup in enumerate(self.followups(report_2024)):
                followup = self.write_followup(followup, users, index)
                followup = followup_submit(
                    followup=followup, actor=self.writer_for(followup, users)
                )
                followup_approve(followup=followup, actor=self.approver_for(followup, users))
            round_close(round=plan, actor=actor)
            round_publish(round=plan, actor=actor)
            status = round_open(
                actor=actor, report=report_2024, kind="status", **demo.STATUS_ROUND_2024
            )
            # One deadline slipped: the original date stays visible with the reason.
            slipped = self.followups(report_2024)[1]
            followup_move_target_date(
                followup=slipped,
                actor=self.writer_for(slipped, users),
                new_date=slipped.target_date + datetime.timedelta(days=90),
                reason="Den nye telefonløsning blev leveret tre måneder senere end aftalt.",
            )
            # Some departments have answered the open status round, others not yet.
            for index, followup in enumerate(self.followups(report_2024)):
                if index % 3 == 2:
                    continue
                value = STATUS_CYCLE[index % len(STATUS_CYCLE)]
                status_update_save(
                    followup=followup,
                    round=status,
                    actor=self.writer_for(followup, users),
                    status=value,
                    text=demo.STATUS_TEXTS.get(value, ""),
                    reported_on=datetime.date(2026, 11, 2 + index % 15),
                )
        if not FollowUpRound.objects.filter(report=report_2025).exists():
            round_open(actor=actor, report=report_2025, kind="plan", **demo.PLAN_ROUND_2025)
            for index, followup in enumerate(self.followups(report_2025)):
                if index % 4 == 3:
                    continue  # not answered yet
                followup = self.write_followup(followup, users, index)
                if index % 4 == 0:
                    followup = followup_submit(
                        followup=followup, actor=self.writer_for(followup, users)
                    )
                if index % 8 == 0:
                    followup_approve(followup=followup, actor=self.approver_for(followup, users))
                elif index % 8 == 4:
                    followup_return(
                        followup=followup,
                        actor=self.approver_for(followup, users),
                        comment="Skriv venligst, hvem der har ansvaret, og hvornår det sker.",
                    )

    def followups(self, report):
        return list(
            FollowUp.objects.for_report(report)
            .select_related("recommendation__theme", "recommendation__report", "department")
            .order_by("recommendation__number", "department__short_name")
        )

    def print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, (first, last, roles, memberships, _s) in demo.USERS.items():
            what = ", ".join(roles + [f"{role} i {short}" for short, role in memberships])
            self.stdout.write(f"  {username:<20} {first} {last} – {what}")
