from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "liuyou.customers"
    label = "customers"
    verbose_name = "客户信息库"

    def ready(self) -> None:
        from liuyou.core import pii, scope
        from liuyou.customers.models import Customer

        # A grid-scoped specialist sees customers of their grid; everyone else by branch path.
        scope.register(
            Customer, scope.ScopeSpec(org_path="org__path", owner="manager_id", org_ids=("org_id", "grid_id"))
        )
        pii.register(Customer, id_no="id", phone="phone")
