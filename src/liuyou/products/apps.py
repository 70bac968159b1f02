from typing import Any

from django.apps import AppConfig


def count_products(user: Any) -> int:
    """Products on offer (the catalogue is the bank's; no data scope)."""
    from liuyou.products.models import Product

    return Product.objects.filter(is_active=True).count()


class ProductsConfig(AppConfig):
    name = "liuyou.products"
    label = "products"
    verbose_name = "产品与匹配"

    def ready(self) -> None:
        from liuyou.core import scope, workbench
        from liuyou.products.models import ProductMatch

        # A match is seen through its customer, like the customer's feature rows. The catalogue
        # itself is the bank's, not a customer's: it has no data scope.
        scope.register(
            ProductMatch,
            scope.ScopeSpec(
                org_path="customer__org__path",
                owner="customer__manager_id",
                org_ids=("customer__org_id", "customer__grid_id"),
            ),
        )
        workbench.provide(
            "products", count=count_products, url="/products/", permission="product:view", unit="个"
        )
