"""Permissions for the daily pipeline's jobs page: job:view and job:run."""

from django.db import migrations


def seed(apps, schema_editor):
    from liuyou.system import catalog

    catalog.sync(apps)


class Migration(migrations.Migration):
    dependencies = [("system", "0006_binary_collation_for_ranges")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
