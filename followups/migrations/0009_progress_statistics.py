from django.db import migrations

# PostgreSQL's planner takes the status and the report of a progress row as independent;
# they are not (the newest report's follow-ups have no status yet). Joint statistics let it
# see that, e.g., "no published status" in the published plans' reports is (nearly) nothing.
STATISTICS = {
    "progress_status_report_stats": "latest_status, report_id",
    "progress_published_report_stats": "published_status, report_id",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in STATISTICS.items():
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} (mcv) ON {columns} "  # noqa: S608
            "FROM followups_followupprogress"
        )
    schema_editor.execute("ANALYZE followups_followupprogress")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("followups", "0008_progress_completion_indexes")]

    operations = [migrations.RunPython(create, drop)]
