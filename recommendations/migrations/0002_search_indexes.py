"""Danish full-text search on recommendation texts (PostgreSQL only; SQLite uses icontains).

An expression index matching RecommendationQuerySet.search():
to_tsvector('danish', COALESCE(text, '')). Kept out of Meta.indexes so other databases
need nothing; the ORM never needs to know about it.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS recommendation_text_fts_da
ON recommendations_recommendation
USING gin (to_tsvector('danish'::regconfig, COALESCE(text, ''::text)))
"""
DROP = "DROP INDEX IF EXISTS recommendation_text_fts_da"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
