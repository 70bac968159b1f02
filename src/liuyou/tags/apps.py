from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "liuyou.tags"
    label = "tags"
    verbose_name = "客户标签"

    def ready(self) -> None:
        from liuyou.core import scope
        from liuyou.tags.models import CustomerTag, TagHistory

        # A customer's tags and their history are seen through the customer, like its loans.
        via_customer = scope.ScopeSpec(
            org_path="customer__org__path",
            owner="customer__manager_id",
            org_ids=("customer__org_id", "customer__grid_id"),
        )
        for model in (CustomerTag, TagHistory):
            scope.register(model, via_customer)
