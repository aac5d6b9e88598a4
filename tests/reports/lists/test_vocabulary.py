"""The lists' vocabulary (reports.lists.vocabulary): read once per process while the tables are
unchanged, never stale, in Danish order."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments import services as department_services
from followups import services as followup_services
from followups.models import FollowUp, FollowUpRound
from recommendations import services as recommendation_services
from reports.lists import vocabulary
from reports.lists.filters import FollowUpFilter
from tests.factories import (
    AnnualReportFactory,
    DepartmentFactory,
    ThemeFactory,
    approve_and_publish,
)
from tests.lists import listed

pytestmark = pytest.mark.django_db


def test_tree_and_themes_in_danish_order():
    top = DepartmentFactory(name="Østerbro")
    DepartmentFactory(name="Aarhus")  # "aa" sorts as å
    DepartmentFactory(name="Zone")
    DepartmentFactory(name="Ældre", parent=top, kind="center")
    DepartmentFactory(name="Børn", parent=top, kind="center")
    for name in ["Åbenhed", "Adgang", "Ærinde"]:
        ThemeFactory(name=name)
    v = vocabulary.load()
    assert [label for _pk, label in v.department_tree] == [
        "Zone",
        "Østerbro",
        "\u2003Børn",
        "\u2003Ældre",
        "Aarhus",
    ]
    assert [label for _pk, label in v.theme_choices] == ["Adgang", "Ærinde", "Åbenhed"]
    names = {pk: label.strip() for pk, label in v.department_tree}
    assert [names[pk] for pk in v.department_order] == [
        "Børn",
        "Zone",
        "Ældre",
        "Østerbro",
        "Aarhus",
    ]


def test_department_choices_keep_the_tree_order_of_the_visible_ones():
    top = DepartmentFactory(name="Top")
    child = DepartmentFactory(name="Barn", parent=top, kind="center")
    other = DepartmentFactory(name="Andet")
    v = vocabulary.load()
    assert v.department_choices({child.pk, other.pk}) == (
        (other.pk, "Andet"),
        (child.pk, "\u2003Barn"),
    )
    assert v.department_choices(None) is v.department_tree


def test_forms_share_the_choices_instead_of_copying_them(rf, secretariat, plan):
    """Django deep-copies a form's fields as it builds the form: the department, theme and
    round choices are kept as the one shared tuple."""
    request = rf.get("/")
    request.user = secretariat
    filterset = FollowUpFilter(request.GET, queryset=FollowUp.objects.all(), request=request)
    for name in ("department", "theme", "round"):
        given = filterset.filters[name].extra["choices"]
        assert isinstance(given, vocabulary.SharedChoices) and given
        assert filterset.form.fields[name].choices.choices is given


def test_rounds_visible_to_each_user_follow_the_querysets_rule(plan, secretariat, council):
    published = AnnualReportFactory(year=2031)
    round = followup_services.round_open(
        actor=secretariat,
        report=published,
        name="Status",
        kind="status",
        deadline=plan.round.deadline,
    )
    followup_services.round_close(round=round, actor=secretariat)
    followup_services.round_publish(round=round, actor=secretariat)
    v = vocabulary.load()
    for user in (secretariat, council, AnonymousUser()):
        expected = set(FollowUpRound.objects.visible_to(user).values_list("pk", flat=True))
        assert set(v.rounds_visible_to(user)) == expected
    assert set(FollowUpRound.objects.visible_to(council)) == {round}
    assert set(v.rounds_visible_to(council)) == {round.pk}
    assert set(v.rounds_visible_to(AnonymousUser())) == set()
    # Newest report first.
    assert list(v.rounds_visible_to(secretariat)) == [round.pk, plan.round.pk]


@pytest.mark.postgres
def test_one_query_while_unchanged_on_postgresql():
    DepartmentFactory(name="A")
    first = vocabulary.current()
    with CaptureQueriesContext(connection) as queries:
        again = vocabulary.current()
    assert again is first
    assert len(queries) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("change", ["department", "theme", "report", "round"])
def test_a_change_to_any_table_is_seen_on_the_next_request(change, plan, secretariat, ombudsman):
    before = vocabulary.current()
    if change == "department":
        d = plan.recommendation.departments.first()
        department_services.department_update(
            department=d,
            actor=secretariat,
            name="Omdøbt",
            short_name=d.short_name,
            kind=d.kind,
            parent=None,
            active=True,
        )
        assert "Omdøbt" in dict(vocabulary.current().department_tree).values()
    elif change == "theme":
        recommendation_services.theme_get_or_create(actor=ombudsman, name="Nyt tema")
        assert "Nyt tema" in dict(vocabulary.current().theme_choices).values()
    elif change == "report":
        AnnualReportFactory(year=2040)
        assert (2040, "2040") in vocabulary.current().year_choices
    else:
        followup_services.round_close(round=plan.round, actor=secretariat)
        assert vocabulary.current().rounds[plan.round.pk].state == FollowUpRound.State.CLOSED
    assert vocabulary.current() is not before


def test_a_round_published_meanwhile_shows_in_the_council_members_list(
    client, plan, officer, manager, secretariat, council
):
    """The council's list is read (and its vocabulary held) before the plan is published."""
    url = reverse("dashboard:followups")
    client.force_login(council)
    assert plan.round.pk not in round_choices(client.get(url))
    assert listed(client, url, {}, 1) == []
    followup = approve_and_publish(plan, officer=officer, manager=manager, secretariat=secretariat)
    assert plan.round.pk in round_choices(client.get(url))
    assert listed(client, url, {"round": plan.round.pk}, 1) == [followup.pk]


def round_choices(response) -> list[int]:
    return [int(v) for v, _label in response.context["form"].fields["round"].choices if v]


def test_loading_takes_two_queries(plan):
    with CaptureQueriesContext(connection) as queries:
        vocabulary.load()
    assert len(queries) == 2
