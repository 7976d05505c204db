"""Four weighed fields per product (name and brand; own category; details; fallback), a
vocabulary with pinyin readings, one-way synonyms and the dictionary's fingerprint.

The index is emptied: run `mercato rebuild_search_index` after migrating (docs/search.md).

PostgreSQL: the tsvector is built from the token lists as they are (a tsvector literal:
no parser splits 1.5匹 or 8gb), weights A/B/C/D, GIN index; a trigram index on the
vocabulary's spellings for typos. SQLite: FTS5 table search_fts(a, b, c, d) whose tokenizer
keeps a decimal point inside a token.
"""

from django.db import migrations, models

PG_DROP = [
    "DROP INDEX IF EXISTS search_term_spell_prefix_idx",
    "DROP INDEX IF EXISTS search_term_term_prefix_idx",
    "DROP INDEX IF EXISTS search_term_trgm_idx",
    "DROP INDEX IF EXISTS search_document_vector_idx",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector",
]


def _tokens(column: str, weight: str) -> str:
    # Each token becomes 'token':1A in a tsvector literal: no parser splits it, and the
    # position carries the weight (array_to_tsvector's lexemes have none to carry it).
    literal = "'''\\1'':1" + weight + "'"
    return f"(regexp_replace({column}, '(\\S+)', {literal}, 'g'))::tsvector"


PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE search_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    + " || ".join(
        _tokens(column, weight)
        for column, weight in [
            ("name_tokens", "A"),
            ("category_tokens", "B"),
            ("detail_tokens", "C"),
            ("fallback_tokens", "D"),
        ]
    )
    + ") STORED",
    "CREATE INDEX search_document_vector_idx ON search_searchdocument USING gin (vector)",
    "CREATE INDEX search_term_trgm_idx ON search_searchterm USING gin (spell gin_trgm_ops)",
    # LIKE 'huaw%' and LIKE '蓝牙耳%' use these whatever the database's collation.
    "CREATE INDEX search_term_term_prefix_idx ON search_searchterm (term text_pattern_ops)",
    "CREATE INDEX search_term_spell_prefix_idx ON search_searchterm (spell text_pattern_ops)",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts"]
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(a, b, c, d, "
    "tokenize = \"unicode61 remove_diacritics 0 tokenchars '.'\")",
]
OLD_PG = [
    "ALTER TABLE search_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, name_tokens), 'A') "
    "|| setweight(to_tsvector('simple'::regconfig, meta_tokens), 'B') "
    "|| setweight(to_tsvector('simple'::regconfig, body_tokens), 'C')) STORED",
    "CREATE INDEX search_document_vector_idx ON search_searchdocument USING gin (vector)",
    "CREATE INDEX search_term_trgm_idx ON search_searchterm USING gin (term gin_trgm_ops)",
]
OLD_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "name, meta, body, tokenize = 'unicode61 remove_diacritics 2')",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def _empty_index(apps, schema_editor):
    apps.get_model("search", "SearchDocument").objects.all().delete()
    apps.get_model("search", "SearchTerm").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0003_default_synonyms")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP}),
            _run({"postgresql": OLD_PG, "sqlite": OLD_SQLITE}),
        ),
        migrations.RunPython(_empty_index, migrations.RunPython.noop),
        migrations.RemoveField(model_name="searchdocument", name="meta_tokens"),
        migrations.RemoveField(model_name="searchdocument", name="body_tokens"),
        migrations.AddField(
            model_name="searchdocument",
            name="category_tokens",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="detail_tokens",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="fallback_tokens",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="spec_values",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="searchterm", name="term", field=models.CharField(max_length=60)
        ),
        migrations.AddField(
            model_name="searchterm",
            name="spell",
            field=models.CharField(default="", max_length=120),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="searchterm",
            name="initials",
            field=models.CharField(blank=True, db_index=True, max_length=30),
        ),
        migrations.AddField(
            model_name="searchterm",
            name="fuzzy",
            field=models.CharField(blank=True, db_index=True, max_length=120),
        ),
        migrations.AddField(
            model_name="searchterm",
            name="kind",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "character or parent-category word"),
                    (2, "spec value or description word"),
                    (3, "word of a name"),
                    (4, "category"),
                    (5, "brand"),
                ],
                default=3,
            ),
        ),
        migrations.AddField(
            model_name="searchterm", name="docs", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="searchterm", name="primary", field=models.BooleanField(default=True)
        ),
        migrations.AddField(
            model_name="searchterm", name="sold", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddConstraint(
            model_name="searchterm",
            constraint=models.UniqueConstraint(
                fields=("term", "spell"), name="searchterm_term_spell_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="searchterm",
            index=models.Index(fields=["spell"], name="searchterm_spell_idx"),
        ),
        migrations.AddField(
            model_name="synonymgroup",
            name="one_way",
            field=models.BooleanField(default=False, verbose_name="one way"),
        ),
        migrations.CreateModel(
            name="DictionaryState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("fingerprint", models.CharField(blank=True, max_length=64)),
                ("changed_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "search dictionary state",
                "verbose_name_plural": "search dictionary state",
            },
        ),
        # Backwards, the vocabulary is emptied before its terms become unique again.
        migrations.RunPython(migrations.RunPython.noop, _empty_index),
        migrations.RunPython(
            _run({"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}),
            _run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
