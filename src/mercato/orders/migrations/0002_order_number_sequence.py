"""A PostgreSQL sequence for order numbers (orders.services.next_order_number).

SQLite keeps counting per day in OrderNumberCounter; the sequence exists only where the
database has sequences.
"""

from django.db import migrations

SEQUENCE = "orders_order_number_seq"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Start after the numbers the day counters already handed out, so none repeats.
        schema_editor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH 1; "
            f"SELECT setval('{SEQUENCE}', GREATEST(1, COALESCE("
            "(SELECT SUM(last) FROM orders_ordernumbercounter), 0) + 1), false)"
        )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, drop_sequence, elidable=False)]
