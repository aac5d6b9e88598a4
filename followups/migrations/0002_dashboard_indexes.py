"""Indexes for the lists and the dashboard (PostgreSQL only; SQLite data sets are small).

- Danish full-text search on follow-up actions, matching FollowUpQuerySet.search().
- Target dates (overdue filter and sort).
- Department and workflow state together (a manager's "submitted in my departments").
"""

from django.db import migrations

CREATE = [
    """CREATE INDEX IF NOT EXISTS followup_action_fts_da ON followups_followup
       USING gin (to_tsvector('danish'::regconfig, COALESCE(action, ''::text)))""",
    """CREATE INDEX IF NOT EXISTS followup_target_date ON followups_followup (target_date)""",
    """CREATE INDEX IF NOT EXISTS followup_department_state
       ON followups_followup (department_id, state)""",
]
DROP = [
    "DROP INDEX IF EXISTS followup_action_fts_da",
    "DROP INDEX IF EXISTS followup_target_date",
    "DROP INDEX IF EXISTS followup_department_state",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
