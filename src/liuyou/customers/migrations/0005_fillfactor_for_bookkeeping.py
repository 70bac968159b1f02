"""On PostgreSQL, leave room in the pages of the tables full sources keep (fillfactor 80).

Every file of a full source moves `last_seen` of each row it still holds. With full pages an
update must put the new row version on another page and touch every index (a dozen on the
customer table); with room on the page it is a heap-only (HOT) update that touches none,
since `last_seen` is in no index. Applies to pages written from now on.
"""

from django.db import migrations

TABLES = (
    "customers_customer",
    "customers_village",
    "customers_relation",
    "customers_depositaccount",
    "customers_loan",
    "customers_creditline",
    "customers_guarantee",
)


def roomy(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f'ALTER TABLE "{table}" SET (fillfactor = 80)')


def full(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f'ALTER TABLE "{table}" RESET (fillfactor)')


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_aliases_and_conflicts")]

    operations = [migrations.RunPython(roomy, full)]
