"""Permissions for tags, products, target lists and leads (issue 4)."""

from django.db import migrations


def seed(apps, schema_editor):
    from liuyou.system import catalog

    catalog.sync(apps)


class Migration(migrations.Migration):
    dependencies = [("system", "0008_mining_permissions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
