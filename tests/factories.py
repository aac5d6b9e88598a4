"""Test data. Plain factories write through the ORM; `open_plan` uses the services."""

import datetime
from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from departments.models import Department, Membership
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from recommendations.models import (
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    Theme,
    theme_key,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="da_DK")
    last_name = factory.Faker("last_name", locale="da_DK")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get_or_create(name=name)[0])
        if create:
            self.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Forvaltning {n}")
    short_name = factory.Sequence(lambda n: f"F{n}")
    kind = Department.Kind.ADMINISTRATION


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = Membership.Role.CASE_OFFICER


class AnnualReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualReport
        django_get_or_create = ["year"]

    # Generated years live in 2100-2199, away from the years tests choose explicitly (all
    # before 2100, e.g. open_plan's 2030): get_or_create on a shared year would hand a test
    # another fixture's report (and its open round) depending on how many reports ran before.
    year = factory.Sequence(lambda n: 2100 + n % 100)
    title = factory.LazyAttribute(lambda o: f"Borgerrådgiverens årsberetning {o.year}")
    published_on = factory.LazyAttribute(lambda o: datetime.date(o.year + 1, 4, 1))


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Tema {n}")
    key = factory.LazyAttribute(lambda o: theme_key(o.name))


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation
        skip_postgeneration_save = True

    report = factory.SubFactory(AnnualReportFactory)
    theme = factory.SubFactory(ThemeFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Faker("sentence", locale="da_DK")
    scope = Recommendation.Scope.ORGANISATION

    @factory.post_generation
    def named(self, create, extracted, **kwargs):
        """`named=[dept, ...]` scopes the recommendation to those departments."""
        if extracted:
            self.scope = Recommendation.Scope.DEPARTMENTS
            self.save()
            for department in extracted:
                RecommendationDepartment.objects.create(recommendation=self, department=department)


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpRound

    report = factory.SubFactory(AnnualReportFactory)
    name = factory.Sequence(lambda n: f"Runde {n}")
    kind = FollowUpRound.Kind.PLAN
    deadline = datetime.date(2030, 1, 1)
    state = FollowUpRound.State.OPEN


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    recommendation = factory.SubFactory(RecommendationFactory)
    department = factory.SubFactory(DepartmentFactory)
    action = factory.Faker("sentence", locale="da_DK")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As the services do: every follow-up has its row in the progress read model.
        from followups.services import followup_progress_refresh

        followup = super()._create(model_class, *args, **kwargs)
        followup_progress_refresh(followup_ids=[followup.pk])
        return followup


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusUpdate

    followup = factory.SubFactory(FollowUpFactory, state=FollowUp.State.APPROVED)
    round = factory.SubFactory(RoundFactory, kind=FollowUpRound.Kind.STATUS)
    status = "in_progress"
    text = "I gang"
    author = factory.SubFactory(UserFactory)
    reported_on = datetime.date(2030, 1, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As the services do: keep the progress read model in step.
        from followups.services import followup_progress_refresh

        update = super()._create(model_class, *args, **kwargs)
        followup_progress_refresh(followup_ids=[update.followup_id])
        return update


@dataclass
class Plan:
    report: AnnualReport
    recommendation: Recommendation
    round: FollowUpRound
    followup: FollowUp


def open_plan(*, department: Department, actor, year: int = 2030) -> Plan:
    """A report with one recommendation naming `department`, and its plan round opened."""
    from followups.services import round_open

    report = AnnualReportFactory(year=year)
    recommendation = RecommendationFactory(report=report, number=1, named=[department])
    round = round_open(
        actor=actor,
        report=report,
        name="Handleplan",
        kind="plan",
        deadline=datetime.date(year + 1, 6, 1),
    )
    followup = FollowUp.objects.get(recommendation=recommendation, department=department)
    return Plan(report, recommendation, round, followup)


def approve_and_publish(plan: Plan, *, officer, manager, secretariat) -> FollowUp:
    """`plan`'s follow-up written, submitted and approved; its action plan published."""
    from followups import services

    f = services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Handling"
    )
    services.followup_submit(followup=f, actor=officer)
    services.followup_approve(followup=f, actor=manager)
    services.round_close(round=plan.round, actor=secretariat)
    services.round_publish(round=plan.round, actor=secretariat)
    return FollowUp.objects.get(pk=f.pk)


def add_editions(*, report, round, created_by, first: int, n: int) -> None:
    """`n` stored editions numbered from `first`, each for a new department, with a tiny
    file (for list and query-count tests; real editions come from edition_archive)."""
    from django.core.files.base import ContentFile

    from reports.models import ReportEdition

    for number in range(first, first + n):
        edition = ReportEdition(
            report=report,
            round=round,
            department=DepartmentFactory(),
            number=number,
            sha256="0" * 64,
            size=4,
            data_version="v",
            created_by=created_by,
        )
        edition.file.save(f"e{number}.pdf", ContentFile(b"%PDF"), save=True)


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment on a follow-up (pass `followup=None, recommendation=...` for one on a
    recommendation)."""

    class Meta:
        model = "collaboration.Comment"

    followup = factory.SubFactory(FollowUpFactory)
    recommendation = None
    author = factory.SubFactory(UserFactory)
    text = "Vi har talt med borgerrådgiveren."


# The smallest file each allowed kind starts with (the checks read the magic bytes).
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "collaboration.Attachment"

    followup = factory.SubFactory(FollowUpFactory)
    status_update = None
    file = factory.django.FileField(filename="bilag.pdf", data=PDF_BYTES)
    original_name = "bilag.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    uploaded_by = factory.SubFactory(UserFactory)
