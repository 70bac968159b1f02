"""On PostgreSQL, compare org paths and customer names byte by byte (COLLATE "C").

Scope filters select an org's subtree as the range path >= '/1/5/' AND path < '/1/50', and
the customer search selects a name prefix as a range too. A database created with a
linguistic collation (glibc en_US.UTF-8 ignores '/' on the first pass) would order those
strings differently and break both ranges: '/1/5/2/' would fall outside /1/5/'s subtree.
SQLite compares bytes already (BINARY). The column types are unchanged, so Django's model
state does not see this; a later AlterField of these columns must keep the collation.
"""

from django.db import migrations

COLUMNS = (("system_org", "path", 255), ("customers_customer", "name", 100))


def binary(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, length in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar({length}) COLLATE "C"'
        )


def default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, length in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar({length}) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("system", "0005_import_and_assign_permissions"),
        ("customers", "0004_aliases_and_conflicts"),
    ]

    operations = [migrations.RunPython(binary, default)]
