"""The follow-up action's Danish search vector as a stored, generated column (PostgreSQL
only), GIN-indexed, in place of the expression index of 0002 (followup_action_fts_da).

FollowUpQuerySet.search() reads the column (config.text.StoredSearchVector): testing
a row no longer parses its text (to_tsvector per row made a text search's walk and count
cost milliseconds per thousand rows). The database computes the column on every write; the
model does not know it. Adding it rewrites the table (seconds at national scale). A later
migration changing the type of `action` must drop and re-add the column.
"""

from django.db import migrations

FORWARDS = [
    """ALTER TABLE followups_followup ADD COLUMN IF NOT EXISTS action_search tsvector
       GENERATED ALWAYS AS (to_tsvector('danish'::regconfig, COALESCE(action, ''::text))) STORED""",
    """CREATE INDEX IF NOT EXISTS followup_action_search
       ON followups_followup USING gin (action_search)""",
    "DROP INDEX IF EXISTS followup_action_fts_da",
]
BACKWARDS = [
    """CREATE INDEX IF NOT EXISTS followup_action_fts_da ON followups_followup
       USING gin (to_tsvector('danish'::regconfig, COALESCE(action, ''::text)))""",
    "ALTER TABLE followups_followup DROP COLUMN IF EXISTS action_search",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARDS:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARDS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("followups", "0010_progress_open_followup_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
