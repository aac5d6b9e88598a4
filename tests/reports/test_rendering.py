import datetime
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from departments.access import system_user
from reports import rendering
from reports.models import ReportRendering
from reports.tables import FollowUpCell, RecommendationRow, ReportTable, Section, ThemeGroup
from reports.tables import build_table as build

# The largest report bench/pdf.py renders (60 recommendations, 8 departments, 300 follow-ups
# with statuses): its size as `report_size` counts it.
BENCH_CELLS = 460
BENCH_CHARS = 128_247


def table_of(report_data, **kwargs):
    return build(report=report_data.report, user=system_user(), **kwargs)


def synthetic_table(report, *, rows: int, followups_per_row: int, text: int) -> ReportTable:
    """A table of the bench report's shape, built in memory (no rows in the database)."""
    body = "x" * text
    recommendation_rows = [
        RecommendationRow(
            recommendation_id=n,
            number=n,
            kind="recommendation",
            text=body,
            theme="Svartider",
            followups=[
                FollowUpCell(n * 100 + k, k, "Natur og Byg", body, "done", body)
                for k in range(followups_per_row)
            ],
        )
        for n in range(rows)
    ]
    return ReportTable(
        report, None, None, [Section(None, [ThemeGroup("Svartider", recommendation_rows)])]
    )


def test_default_limits_allow_four_times_the_bench_report(report_data, settings):
    from config.settings import base

    settings.REPORT_MAX_CELLS = base.REPORT_MAX_CELLS
    settings.REPORT_MAX_CHARS = base.REPORT_MAX_CHARS
    # 4 x the bench: 640 rows with 1,200 follow-ups, texts as long as the bench's on average.
    table = synthetic_table(report_data.report, rows=640, followups_per_row=2, text=170)
    size = rendering.report_size(table)
    assert size.cells >= 4 * BENCH_CELLS
    assert size.chars >= 4 * BENCH_CHARS
    assert rendering.check_size(table) == size


@pytest.mark.parametrize("limit", ["REPORT_MAX_CELLS", "REPORT_MAX_CHARS"])
def test_a_report_over_a_limit_is_refused_and_at_the_limit_allowed(report_data, settings, limit):
    table = table_of(report_data)
    size = rendering.report_size(table)
    assert size.cells == 2 + 3 and size.chars > 0  # 2 recommendations, 3 follow-ups
    settings.REPORT_MAX_CELLS, settings.REPORT_MAX_CHARS = size.cells, size.chars
    assert rendering.check_size(table) == size
    setattr(settings, limit, getattr(settings, limit) - 1)
    with pytest.raises(rendering.ReportTooLarge) as caught:
        rendering.check_size(table)
    assert "Rapporten er for stor til at blive lavet som PDF" in caught.value.message
    assert "XLSX eller CSV" in caught.value.message


def test_content_key_ignores_the_date_asked_for_but_not_the_content(report_data):
    now = timezone.now()
    first = table_of(report_data, as_of=now - datetime.timedelta(days=1))
    second = table_of(report_data, as_of=now - datetime.timedelta(days=2))
    assert first.data_version() != second.data_version()  # the request differs …
    assert rendering.content_key(first) == rendering.content_key(second)  # … the content not
    assert rendering.content_key(first) != rendering.content_key(
        table_of(report_data, round=report_data.status_round)
    )


def test_shared_rendering_does_not_print_the_date_asked_for(report_data):
    table = table_of(report_data, as_of=timezone.now())
    assert rendering.shared_table(table).as_of is None
    assert table.as_of is not None  # the caller's table is not changed


# --- the cache -------------------------------------------------------------------------------


def put(name: str, size: int, age_days: float) -> str:
    stored = default_storage.save(f"{rendering.CACHE_DIR}/{name}", ContentFile(b"%" * size))
    stamp = (timezone.now() - datetime.timedelta(days=age_days)).timestamp()
    os.utime(default_storage.path(stored), (stamp, stamp))
    return stored


def cached() -> set[str]:
    return set(default_storage.listdir(rendering.CACHE_DIR)[1])


def test_prune_deletes_files_older_than_the_max_age(settings, db):
    settings.REPORT_CACHE_MAX_AGE = 10 * 24 * 3600
    put("old.pdf", 10, age_days=11)
    put("new.pdf", 10, age_days=9)
    result = rendering.prune_cache()
    assert cached() == {"new.pdf"}
    assert (result.deleted, result.kept, result.kept_bytes) == (1, 1, 10)


def test_prune_deletes_the_oldest_files_over_the_max_size(settings, db):
    settings.REPORT_CACHE_MAX_BYTES = 250
    for n, age in enumerate([5, 4, 3, 2, 1]):
        put(f"f{n}.pdf", 100, age_days=age)
    rendering.prune_cache()
    assert cached() == {"f3.pdf", "f4.pdf"}  # the two newest fit in 250 bytes


def test_prune_forgets_old_renderings(settings, db):
    settings.REPORT_CACHE_MAX_AGE = 3600
    long_ago = timezone.now() - datetime.timedelta(days=1)
    for key, state in [("a" * 64, "done"), ("b" * 64, "failed"), ("c" * 64, "queued")]:
        ReportRendering.objects.create(
            key=key, year=2031, state=state, queued_at=long_ago, finished_at=long_ago
        )
    ReportRendering.objects.create(key="d" * 64, year=2031, queued_at=timezone.now())
    rendering.prune_cache()
    assert list(ReportRendering.objects.values_list("key", flat=True)) == ["d" * 64]


def test_a_new_rendering_prunes_the_cache(report_data, settings):
    settings.REPORT_CACHE_MAX_AGE = 24 * 3600
    put("stale.pdf", 10, age_days=2)
    name = rendering.render_to_cache(table_of(report_data))
    assert cached() == {name.split("/")[-1]}


def test_the_new_file_is_kept_even_alone_over_the_max_size(report_data, settings):
    settings.REPORT_CACHE_MAX_BYTES = 1
    name = rendering.render_to_cache(table_of(report_data))
    assert default_storage.exists(name)


def test_prune_report_cache_command(settings, db, capsys):
    settings.REPORT_CACHE_MAX_AGE = 3600
    put("old.pdf", 10, age_days=1)
    put("new.pdf", 10, age_days=0)
    call_command("prune_report_cache")
    assert cached() == {"new.pdf"}
    assert "1" in capsys.readouterr().out


def test_render_to_cache_refuses_a_report_over_the_limit(report_data, settings, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an over-limit report must not be rendered")

    monkeypatch.setattr(rendering.pdf, "html_to_pdf_bounded", refuse)
    settings.REPORT_MAX_CELLS = 1
    with pytest.raises(rendering.ReportTooLarge):
        rendering.render_to_cache(table_of(report_data))
