"""Dictionaries for the customer library's coded columns."""

from django.db import migrations


def seed(apps, schema_editor):
    from liuyou.system import catalog

    catalog.sync(apps)


class Migration(migrations.Migration):
    dependencies = [("system", "0003_user_totp_last_step")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
