from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    name = "liuyou.features"
    label = "features"
    verbose_name = "客户宽表"

    def ready(self) -> None:
        from liuyou.core import scope
        from liuyou.features.models import CustomerFeature

        # A feature row is seen through its customer, like the customer's accounts and loans.
        scope.register(
            CustomerFeature,
            scope.ScopeSpec(
                org_path="customer__org__path",
                owner="customer__manager_id",
                org_ids=("customer__org_id", "customer__grid_id"),
            ),
        )
