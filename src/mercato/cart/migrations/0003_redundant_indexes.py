"""Two indexes every new guest's cart and line wrote for no query (cart.models).

Cart.session_key's own index (and PostgreSQL's `_like` twin): every look-up by key is a
guest's (customer IS NULL), served by the unique cart_one_per_guest_session.
CartLine.cart's own index: cartline_one_per_sku (cart, sku) starts with the cart.

The indexes are dropped by name: Django's AlterField for the session key also dropped
cart_one_per_guest_session (the partial unique index on the same column) on PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("cart_cart_session_key_bf21cb35", "cart_cart", "session_key", ""),
    ("cart_cart_session_key_bf21cb35_like", "cart_cart", "session_key", "varchar_pattern_ops"),
    ("cart_cartline_cart_id_c7b9981e", "cart_cartline", "cart_id", ""),
]


def drop(apps, schema_editor):
    for name, _table, _column, _ops in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table, column, ops in INDEXES:
        if ops and not postgresql:
            continue
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{table}" ("{column}"{" " + ops if ops else ""})'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cart", "0002_cart_purpose"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="cart",
                    name="session_key",
                    field=models.CharField(blank=True, max_length=40, verbose_name="session key"),
                ),
                migrations.AlterField(
                    model_name="cartline",
                    name="cart",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="cart.cart",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create)],
        ),
    ]
