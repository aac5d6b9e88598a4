"""The recommendation list's text search (reports.dashboard.filters, search_results)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AnnualReportFactory, RecommendationFactory
from tests.lists import listed

pytestmark = pytest.mark.django_db

RECS = reverse("dashboard:recommendations")


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
    from reports.dashboard import lists

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
    from reports.dashboard import lists

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
