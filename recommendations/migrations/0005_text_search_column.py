"""The recommendation text's Danish search vector as a stored, generated column (PostgreSQL
only), GIN-indexed, in place of the expression index of 0002.

RecommendationQuerySet.search() reads the column (config.text.StoredSearchVector): testing
a row no longer parses its text (to_tsvector per row made a text search's walk and count
cost milliseconds per thousand rows). The database computes the column on every write; the
model does not know it. Adding it rewrites the table (seconds at national scale). A later
migration changing the type of `text` must drop and re-add the column.
"""

from django.db import migrations

FORWARDS = [
    """ALTER TABLE recommendations_recommendation ADD COLUMN IF NOT EXISTS text_search tsvector
       GENERATED ALWAYS AS (to_tsvector('danish'::regconfig, COALESCE(text, ''::text))) STORED""",
    """CREATE INDEX IF NOT EXISTS recommendation_text_search
       ON recommendations_recommendation USING gin (text_search)""",
    "DROP INDEX IF EXISTS recommendation_text_fts_da",
]
BACKWARDS = [
    """CREATE INDEX IF NOT EXISTS recommendation_text_fts_da ON recommendations_recommendation
       USING gin (to_tsvector('danish'::regconfig, COALESCE(text, ''::text)))""",
    "ALTER TABLE recommendations_recommendation DROP COLUMN IF EXISTS text_search",
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
    dependencies = [("recommendations", "0004_list_sort_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
