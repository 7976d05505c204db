import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalog", "0002_import_job"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "product",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="catalog.product",
                    ),
                ),
                ("name_tokens", models.TextField(blank=True)),
                ("meta_tokens", models.TextField(blank=True)),
                ("body_tokens", models.TextField(blank=True)),
                ("indexed_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
            },
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.CharField(max_length=60, unique=True)),
                ("length", models.PositiveSmallIntegerField(db_index=True)),
            ],
            options={"verbose_name": "search term", "verbose_name_plural": "search terms"},
        ),
        migrations.CreateModel(
            name="SynonymGroup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("terms", models.JSONField(default=list, verbose_name="terms")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
            ],
            options={
                "verbose_name": "synonym group",
                "verbose_name_plural": "synonym groups",
                "ordering": ["id"],
                "permissions": [("manage_search", "Can manage search synonyms and read search logs")],
            },
        ),
        migrations.CreateModel(
            name="SearchQueryDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("query", models.CharField(max_length=100, verbose_name="query")),
                ("day", models.DateField(verbose_name="day")),
                ("searches", models.PositiveIntegerField(default=0, verbose_name="searches")),
                ("zero_results", models.PositiveIntegerField(default=0, verbose_name="searches without results")),
                ("last_seen", models.DateTimeField(verbose_name="last searched")),
            ],
            options={
                "verbose_name": "search query count",
                "verbose_name_plural": "search query counts",
                "ordering": ["-day", "-searches"],
                "indexes": [models.Index(fields=["day", "query"], name="searchqueryday_day_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("query", "day"), name="searchqueryday_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="HiddenHotSearch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("query", models.CharField(max_length=100, unique=True, verbose_name="query")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "hidden hot search", "verbose_name_plural": "hidden hot searches"},
        ),
    ]
