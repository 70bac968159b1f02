"""The built-in industry classification (customers.industries)."""

from django.db import migrations


def seed(apps, schema_editor):
    from liuyou.customers import industries

    industries.sync(apps)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_library")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
