from typing import Any

from django.apps import AppConfig


def count_import_runs(user: Any) -> int:
    """Import runs the user may see (every source, every channel)."""
    from liuyou.core.scope import scoped
    from liuyou.ingest.models import ImportRun

    return scoped(ImportRun.objects.all(), user, "import:view").count()


class IngestConfig(AppConfig):
    name = "liuyou.ingest"
    label = "ingest"
    verbose_name = "数据导入"

    def ready(self) -> None:
        from liuyou.core import workbench

        workbench.provide(
            "data_import", count=count_import_runs, url="/imports/runs/", permission="import:view", unit="次"
        )
