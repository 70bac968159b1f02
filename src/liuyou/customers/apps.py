from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "liuyou.customers"
    label = "customers"
    verbose_name = "客户信息库"

    def ready(self) -> None:
        from liuyou.core import pii, scope
        from liuyou.customers import models as m

        # A grid-scoped specialist sees customers of their grid; everyone else by branch path.
        scope.register(
            m.Customer,
            scope.ScopeSpec(org_path="org__path", owner="manager_id", org_ids=("org_id", "grid_id")),
        )
        # Accounts, loans, lines, bureau and transaction summaries are seen through their
        # customer: whoever sees the customer sees them, nobody else.
        via_customer = scope.ScopeSpec(
            org_path="customer__org__path",
            owner="customer__manager_id",
            org_ids=("customer__org_id", "customer__grid_id"),
        )
        for model in (m.DepositAccount, m.Loan, m.CreditLine, m.BureauSummary, m.TxnMonthly):
            scope.register(model, via_customer)
        pii.register(m.Customer, id_no="id", phone="phone")
        pii.register(m.Relation, related_id_no="id")
