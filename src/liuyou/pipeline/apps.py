from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "liuyou.pipeline"
    label = "pipeline"
    verbose_name = "日终批处理"
