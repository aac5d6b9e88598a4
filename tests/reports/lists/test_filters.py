"""The lists' filters (reports.lists.filters): sorting by department or theme in Danish order
(core.queries), text searches, and follow-up criteria on the recommendation list."""

import json
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import queries
from core.queries import _walk_sql, order_by_groups
from core.text import danish_key
from followups.models import FollowUp
from recommendations.models import Recommendation
from reports.lists import criteria
from tests.factories import (
    AnnualReportFactory,
    DepartmentFactory,
    FollowUpFactory,
    MembershipFactory,
    RecommendationFactory,
    ThemeFactory,
)
from tests.lists import listed

pytestmark = pytest.mark.django_db

FUPS = reverse("dashboard:followups")
RECS = reverse("dashboard:recommendations")


@pytest.fixture
def data():
    """Departments and themes with Danish names (two departments share a name), follow-ups
    spread over them in a shuffled order, over two reports."""
    rng = random.Random(7)
    names = ["Østre", "Aabenraa", "Bygning", "Ældre", "Bygning", "Zoo", "Åbyhøj", "Centrum"]
    departments = [DepartmentFactory(name=name) for name in names]
    # "Ældre" lies under "Aabenraa".
    departments[3] = DepartmentFactory(name=names[3], parent=departments[1], kind="center")
    themes = [ThemeFactory(name=n) for n in ["Øvrigt", "Adgang", "Ærinde", "Svar", "Aaben"]]
    reports = [AnnualReportFactory(), AnnualReportFactory()]
    followups = []
    for i in range(24):
        rec = RecommendationFactory(report=reports[i % 2], theme=rng.choice(themes))
        for department in rng.sample(departments, 2):
            followups.append(FollowUpFactory(recommendation=rec, department=department))
    return {"departments": departments, "themes": themes, "followups": followups}


def by_department(f: FollowUp):
    return (danish_key(f.department.name), f.department_id, -f.recommendation_id, f.pk)


def by_theme(f: FollowUp):
    theme = f.recommendation.theme
    return (danish_key(theme.name), theme.pk, -f.recommendation_id, f.pk)


@pytest.fixture(params=["sorted", "walked"])
def plan(request, monkeypatch, is_postgres):
    """Both plans of order_by_groups: sorting every row, and walking the groups (PostgreSQL
    walks when `walk_pays`; here it is made to walk always)."""
    if request.param == "walked":
        if not is_postgres:
            pytest.skip("the walk is PostgreSQL's plan")
        monkeypatch.setattr(queries, "walk_pays", lambda expected, window, table: True)
    return request.param


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 5 rows, at most 4 pages (the window: 21 rows)."""
    from reports.lists import views as lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 5)
    monkeypatch.setattr(lists, "COUNT_LIMIT", 20)
    monkeypatch.setattr(lists, "MAX_PAGE", 4)


@pytest.mark.parametrize(("sort", "key"), [("department", by_department), ("theme", by_theme)])
def test_follow_ups_in_danish_order_across_pages(
    client, secretariat, data, plan, small_pages, sort, key
):
    client.force_login(secretariat)
    expected = [f.pk for f in sorted(data["followups"], key=key)][:20]
    with CaptureQueriesContext(connection) as ctx:
        assert listed(client, FUPS, {"sort": sort}, pages=4) == expected
    # The plan chosen is the one asked for: 48 rows are sorted, unless the threshold is lowered.
    walked = any("CROSS JOIN LATERAL" in q["sql"] for q in ctx.captured_queries)
    assert walked == (plan == "walked")
    page = client.get(FUPS, {"sort": sort}).context["page"]
    assert (page.count, page.count_capped) == (20, True)


def test_recommendations_by_theme_across_pages(client, secretariat, data, plan, small_pages):
    client.force_login(secretariat)
    recs = Recommendation.objects.select_related("theme", "report")
    expected = sorted(
        recs, key=lambda r: (danish_key(r.theme.name), r.theme_id, -r.report.year, r.number)
    )
    assert listed(client, RECS, {"sort": "theme"}, pages=4) == [r.pk for r in expected][:20]


def test_filters_and_access_still_apply_to_the_walk(client, data, plan, small_pages):
    """A manager sees only their departments' follow-ups, also when the list is walked."""
    own, sub = data["departments"][1], data["departments"][3]
    manager = MembershipFactory(department=own, role="manager").user
    client.force_login(manager)
    mine = [f for f in data["followups"] if f.department_id in {own.pk, sub.pk}]
    expected = [f.pk for f in sorted(mine, key=by_department)]
    assert listed(client, FUPS, {"sort": "department"}, pages=4) == expected[:20]
    report = data["followups"][0].recommendation.report
    narrowed = [f for f in mine if f.recommendation.report_id == report.pk]
    assert (
        listed(client, FUPS, {"sort": "department", "year": report.year}, pages=4)
        == [f.pk for f in sorted(narrowed, key=by_department)][:20]
    )


@pytest.mark.postgres
def test_the_walk_stops_after_the_window(data):
    """PostgreSQL reads only the groups it needs: the array of groups is known to be in
    order, so no sort of all groups' rows comes between the walk and its LIMIT, and the
    follow-up table is visited for two of the eight departments."""
    departments = data["departments"]
    groups = [d.pk for d in sorted(departments, key=lambda d: (danish_key(d.name), d.pk))]
    counts = {d.pk: 0 for d in departments}
    for f in data["followups"]:
        counts[f.department_id] += 1
    window = counts[groups[0]] + 1  # the first group and one row of the second
    sql, params = _walk_sql(
        FollowUp.objects.all(), "department_id", groups, ("-recommendation_id", "pk"), window
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
        cursor.execute(sql, params)
        walked = [row[0] for row in cursor.fetchall()]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    top = plan[0]["Plan"]
    assert (top["Node Type"], top["Plans"][0]["Node Type"]) == ("Limit", "Nested Loop")
    scans = [n for n in _nodes(plan[0]["Plan"]) if n.get("Relation Name") == "followups_followup"]
    assert scans and all(n["Actual Loops"] == 2 for n in scans)
    ordered = sorted(data["followups"], key=by_department)
    assert sorted(walked) == sorted(f.pk for f in ordered[:window])


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize(
    ("expected", "window", "table", "walks"),
    [
        (8_600, 51, 600_000, True),  # status=done and a theme, first page: walked
        (600_000, 1_001, 600_000, True),  # no filter, last page
        (3_000, 51, 600_000, False),  # a rarer filter: the walk would read ~10,000 rows
        (20_000, 1_001, 600_000, False),  # its last page: the walk would read ~30,000 rows
        (900, 1, 900, False),  # below WALK_ABOVE_ROWS: always sorted
    ],
)
def test_walk_pays_when_it_reads_fewer_rows_than_the_sort(expected, window, table, walks):
    assert queries.walk_pays(expected, window, table) is walks


@pytest.mark.postgres
def test_the_plan_follows_postgresql_estimates(data, monkeypatch):
    """order_by_groups asks PostgreSQL for its estimates: the rows matching and the rows in
    the table; the walk is chosen from them."""
    seen = []

    def spy(expected, window, table):
        seen.append((expected, window, table))
        return True

    monkeypatch.setattr(queries, "walk_pays", spy)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE followups_followup")
    groups = [d.pk for d in data["departments"]]
    ordered = order_by_groups(
        FollowUp.objects.filter(department__in=data["departments"][:4]),
        key="department_id",
        groups=groups,
        within=("-recommendation_id", "pk"),
        window=5,
    )
    assert "CROSS JOIN LATERAL" in str(ordered.query)
    ((expected, window, table),) = seen
    assert window == 5
    assert table == len(data["followups"])
    assert 0 < expected <= table


def test_without_window_everything_is_sorted(data):
    """No window (a text search): the whole queryset, in order."""
    groups = [d.pk for d in sorted(data["departments"], key=lambda d: (danish_key(d.name), d.pk))]
    ordered = order_by_groups(
        FollowUp.objects.all(),
        key="department_id",
        groups=groups,
        within=("-recommendation_id", "pk"),
        window=None,
    )
    assert [f.pk for f in ordered] == [f.pk for f in sorted(data["followups"], key=by_department)]


@pytest.mark.parametrize("page_size", [5, 50])
def test_text_search_pages_newest_first(client, secretariat, data, monkeypatch, page_size, plan):
    """Matches come newest recommendation first, page after page, and the count covers all
    matches, not only the rows read for the page; both plans (rare words: from the GIN
    index; common words, "walked": the newest-first index, testing each row's text)."""
    from reports.lists import views as lists

    monkeypatch.setattr(lists, "PAGE_SIZE", page_size)
    hits = [
        FollowUpFactory(
            recommendation=RecommendationFactory(),
            department=department,
            action="Klagevejledningen blev opdateret",
        )
        for department in data["departments"] * 2
    ]
    client.force_login(secretariat)
    expected = [f.pk for f in sorted(hits, key=lambda f: (-f.recommendation_id, f.pk))]
    pages = -(-len(hits) // page_size)
    with CaptureQueriesContext(connection) as ctx:
        assert listed(client, FUPS, {"q": "klagevejledningen"}, pages=pages) == expected
    # The plan asked for: the GIN plan orders by an expression no index provides.
    by_expression = any(
        re.search(r'"recommendation_id"\s*\*\s*-1', q["sql"]) for q in ctx.captured_queries
    )
    assert by_expression == (plan == "sorted")
    page = client.get(FUPS, {"q": "klagevejledningen"}).context["page"]
    assert (page.count, page.count_capped) == (len(hits), False)


@pytest.mark.parametrize("sort", ["", "oldest"])
def test_recommendations_in_report_year_order_across_pages(
    client, secretariat, plan, small_pages, sort
):
    """The recommendation list walks the reports in year order (not in the order they were
    registered: an old report may be imported later), by number within each; also with a
    follow-up criterion, which only keeps recommendations having such a follow-up."""
    reports = [AnnualReportFactory(year=year) for year in (2031, 2029, 2030)]
    recs = [RecommendationFactory(report=r, number=n) for r in reports for n in (3, 1, 2)]
    for rec in recs[::2]:
        FollowUpFactory(recommendation=rec, state="approved")
    sign = 1 if sort == "oldest" else -1
    expected = sorted(recs, key=lambda r: (sign * r.report.year, r.number))
    client.force_login(secretariat)
    params = {"sort": sort} if sort else {}
    assert listed(client, RECS, params, pages=2) == [r.pk for r in expected]
    with_followup = [r.pk for r in expected if r in recs[::2]]
    assert listed(client, RECS, {**params, "state": "approved"}, pages=1) == with_followup


@pytest.mark.postgres
@pytest.mark.parametrize("few", [0, 5_000])
@pytest.mark.parametrize(
    "params", [{"state": "approved"}, {"written": "true", "sort": "oldest"}, {"moved": "true"}]
)
def test_recommendation_list_resolves_few_follow_ups_to_their_recommendations(
    client, secretariat, monkeypatch, small_pages, few, params
):
    """A follow-up criterion met by few follow-ups (on PostgreSQL's estimate) is resolved to
    their recommendations first (few=5,000), otherwise each recommendation is tested (few=0):
    the same pages either way, also when nothing matches."""
    monkeypatch.setattr(criteria, "FEW_FOLLOWUPS", few)
    reports = [AnnualReportFactory(year=year) for year in (2031, 2029, 2030)]
    recs = [RecommendationFactory(report=r, number=n) for r in reports for n in (3, 1, 2)]
    for i, rec in enumerate(recs):
        FollowUpFactory(recommendation=rec, state="approved" if i % 2 else "draft", action="x")
    sign = 1 if params.get("sort") == "oldest" else -1
    ordered = sorted(recs, key=lambda r: (sign * r.report.year, r.number))
    matching = {
        "state": {r.pk for i, r in enumerate(recs) if i % 2},
        "written": {r.pk for r in recs},
        "moved": set(),
    }[next(iter(params))]
    expected = [r.pk for r in ordered if r.pk in matching]
    client.force_login(secretariat)
    with CaptureQueriesContext(connection) as ctx:
        assert listed(client, RECS, params, pages=2) == expected
    # The path asked for: recommendations by an array of their ids, or tested one by one.
    resolved = any("= ANY(" in q["sql"] for q in ctx.captured_queries)
    assert resolved == (few > 0 and bool(matching))
    page = client.get(RECS, params).context["page"]
    assert page.count == len(expected)
    # With a year and a theme (which narrow the follow-ups resolved, too).
    theme, year = recs[1].theme, recs[1].report.year
    narrowed = [
        r.pk for r in ordered if r.pk in matching and r.report.year == year and r.theme == theme
    ]
    assert narrowed == ([recs[1].pk] if recs[1].pk in matching else [])
    narrow = {**params, "year": year, "theme": theme.pk}
    assert listed(client, RECS, narrow, pages=1) == narrowed


@pytest.mark.postgres
def test_estimated_rows_of_a_query_django_knows_to_be_empty():
    assert queries.estimated_rows(FollowUp.objects.filter(pk__in=[])) == 0


@pytest.mark.postgres
def test_council_text_search_walks_except_within_an_unpublished_plans_year(council, monkeypatch):
    """Read-only roles see no follow-up of a report whose action plan is not published, so a
    walk in list order (common words) within its year would test its rows for nothing.
    Without a year the walk starts at the newest published plan's rows, as for anyone."""
    import datetime

    from django.test import RequestFactory

    from reports.lists.filters import FollowUpFilter
    from tests.factories import RoundFactory

    monkeypatch.setattr(queries, "walk_pays", lambda expected, window, table: True)
    published, unpublished = AnnualReportFactory(year=2031), AnnualReportFactory(year=2032)
    RoundFactory(
        report=published, state="published", published_at=datetime.datetime.now(datetime.UTC)
    )
    RoundFactory(report=unpublished, state="open")
    for report in (published, unpublished):
        FollowUpFactory(recommendation=RecommendationFactory(report=report), action="Borgere")

    def walks(params: dict) -> bool:
        request = RequestFactory().get(FUPS, params)
        request.user = council
        listing = FollowUpFilter(
            params, queryset=FollowUp.objects.visible_to(council), request=request, window=51
        )
        assert listing.form.is_valid(), listing.form.errors
        return listing.text_search_walks(FollowUp.objects.search("borgere"))

    assert walks({"q": "borgere", "year": 2031})
    assert not walks({"q": "borgere", "year": 2032})
    assert walks({"q": "borgere"})


@pytest.mark.postgres
def test_follow_up_text_search_within_a_year_weighs_the_walk_against_the_year(
    client, secretariat, data, monkeypatch
):
    """Within a year the walk reads that year's rows only: walk_pays is given the table's
    rows divided among the reports (the recommendation list keeps the whole table)."""
    seen = []

    def spy(expected, window, table):
        seen.append(table)
        return False

    monkeypatch.setattr(queries, "walk_pays", spy)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE followups_followup")
        cursor.execute("ANALYZE recommendations_recommendation")
    year = data["followups"][0].recommendation.report.year
    client.force_login(secretariat)
    assert client.get(FUPS, {"q": "x", "year": year}).status_code == 200
    assert client.get(FUPS, {"q": "x"}).status_code == 200
    assert client.get(RECS, {"q": "x", "year": year}).status_code == 200
    followups = len(data["followups"])
    assert seen == [followups // 2, followups, Recommendation.objects.count()]


# The recommendation list's text search (search_results, text_search_walks).


@pytest.fixture
def hits():
    """Matching recommendations over three reports, created out of order, between others."""
    reports = [AnnualReportFactory(year=year) for year in (2031, 2033, 2032)]
    found = []
    for i in range(13):
        RecommendationFactory(report=reports[i % 3], text="Svartiderne er for lange.")
        found.append(
            RecommendationFactory(
                report=reports[(i * 2) % 3], text="Partshøringen mangler før afgørelserne."
            )
        )
    return found


@pytest.mark.parametrize("page_size", [5, 50])
@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("", lambda r: (-r.report.year, r.number)),
        ("oldest", lambda r: (r.report.year, r.number)),
    ],
)
def test_text_search_pages_in_report_order(
    client, secretariat, hits, monkeypatch, page_size, sort, key, is_postgres
):
    """Matches page after page in the list's order (newest report first, or oldest), the
    count covers every match, and on PostgreSQL the page's rows are read by their pks (the
    plan for rare words: matches from the GIN index)."""
    from core import queries
    from reports.lists import views as lists

    monkeypatch.setattr(lists, "PAGE_SIZE", page_size)
    monkeypatch.setattr(queries, "walk_pays", lambda expected, window, table: False)
    client.force_login(secretariat)
    params = {"q": "partshøringen", "sort": sort}
    expected = [r.pk for r in sorted(hits, key=key)]
    pages = -(-len(hits) // page_size)
    with CaptureQueriesContext(connection) as ctx:
        assert listed(client, RECS, params, pages) == expected
    # The rows each page shows (selected with their text) are read by the matches' pks.
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if '"recommendations_recommendation"."text"' in q["sql"]
        and not q["sql"].startswith(("SELECT COUNT", "EXPLAIN"))
    ]
    assert len(reads) == pages
    if is_postgres:
        assert all('"id" IN (SELECT' in sql for sql in reads)
    page = client.get(RECS, params).context["page"]
    assert (page.count, page.count_capped) == (len(hits), False)


@pytest.mark.postgres
@pytest.mark.parametrize("sort", ["", "oldest"])
@pytest.mark.parametrize("year", [None, 2032])
def test_common_words_walk_the_reports_in_order(client, secretariat, hits, monkeypatch, sort, year):
    """The plan for common words: the reports are walked in order and each row's text is
    tested (here forced): the same pages, also for one year."""
    from core import queries
    from reports.lists import views as lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 5)
    monkeypatch.setattr(queries, "walk_pays", lambda expected, window, table: True)
    client.force_login(secretariat)
    params = {"q": "partshøringen", "sort": sort, **({"year": year} if year else {})}
    sign = 1 if sort == "oldest" else -1
    shown = [r for r in hits if year in (None, r.report.year)]
    expected = [r.pk for r in sorted(shown, key=lambda r: (sign * r.report.year, r.number))]
    with CaptureQueriesContext(connection) as ctx:
        assert listed(client, RECS, params, pages=-(-len(shown) // 5)) == expected
    assert any("CROSS JOIN LATERAL" in q["sql"] for q in ctx.captured_queries)
