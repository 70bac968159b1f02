"""Permissions for reassignment and the import pages."""

from django.db import migrations


def seed(apps, schema_editor):
    from liuyou.system import catalog

    catalog.sync(apps)


class Migration(migrations.Migration):
    dependencies = [("system", "0004_customer_library_dictionaries")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
