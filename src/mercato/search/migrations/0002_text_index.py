"""The text index beside SearchDocument, per database vendor.

PostgreSQL: a generated tsvector over the pre-segmented tokens ('simple' config: the tokens
are already words, no stemming), weighted A (name) / B (brand, category) / C (the rest),
with a GIN index; pg_trgm with a trigram index on the vocabulary for spelling tolerance.
SQLite: an FTS5 table with the same three columns, rowid = product id.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE search_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, name_tokens), 'A')
        || setweight(to_tsvector('simple'::regconfig, meta_tokens), 'B')
        || setweight(to_tsvector('simple'::regconfig, body_tokens), 'C')
    ) STORED""",
    "CREATE INDEX search_document_vector_idx ON search_searchdocument USING gin (vector)",
    "CREATE INDEX search_term_trgm_idx ON search_searchterm USING gin (term gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_term_trgm_idx",
    "DROP INDEX IF EXISTS search_document_vector_idx",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "name, meta, body, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
