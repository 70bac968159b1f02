"""Permissions for the 11-dimension analysis: mining:view and mining:config."""

from django.db import migrations


def seed(apps, schema_editor):
    from liuyou.system import catalog

    catalog.sync(apps)


class Migration(migrations.Migration):
    dependencies = [("system", "0007_job_permissions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
