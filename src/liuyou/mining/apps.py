from django.apps import AppConfig


class MiningConfig(AppConfig):
    name = "liuyou.mining"
    label = "mining"
    verbose_name = "多维分析"

    def ready(self) -> None:
        from liuyou.core import scope
        from liuyou.mining.models import DimensionCount

        # Counts are kept per org, grid, village and manager, so each user sums exactly the
        # customers their scope covers, as on the customer list.
        scope.register(
            DimensionCount,
            scope.ScopeSpec(org_path="org__path", owner="manager_id", org_ids=("org_id", "grid_id")),
        )
