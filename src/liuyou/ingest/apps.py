from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "liuyou.ingest"
    label = "ingest"
    verbose_name = "数据导入"
