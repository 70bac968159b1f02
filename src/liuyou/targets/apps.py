from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "liuyou.targets"
    label = "targets"
    verbose_name = "目标客户名单与线索"

    def ready(self) -> None:
        from liuyou.core import scope, workbench
        from liuyou.targets import models as m
        from liuyou.targets import selectors

        # A list is seen along the org tree from the org it belongs to; "self" sees the lists
        # one made. Members and leads are seen through their customer, and a lead also by
        # whoever it is assigned to.
        scope.register(
            m.TargetList, scope.ScopeSpec(org_path="org__path", owner="created_by_id", org_ids=("org_id",))
        )
        scope.register(
            m.TargetMember,
            scope.ScopeSpec(
                org_path="customer__org__path",
                owner="customer__manager_id",
                org_ids=("customer__org_id", "customer__grid_id"),
            ),
        )
        scope.register(
            m.Lead,
            scope.ScopeSpec(
                org_path="customer__org__path",
                owner="assignee_id",
                org_ids=("customer__org_id", "customer__grid_id"),
            ),
        )
        workbench.register_panel(
            workbench.Panel(
                key="open_leads",
                title="待跟进的线索",
                permission="lead:work",
                template="targets/_workbench_leads.html",
                context=lambda user: {"leads": selectors.open_leads(user=user, limit=5)},
                url="/targets/leads/",
            )
        )
        workbench.provide(
            "my_leads", count=selectors.open_leads_count, url="/targets/leads/", permission="lead:work"
        )
        workbench.provide(
            "target_lists", count=selectors.lists_count, url="/targets/", permission="target:view", unit="份"
        )
        workbench.provide(
            "target_customers",
            count=selectors.lists_count,
            url="/targets/",
            permission="target:view",
            unit="份",
        )
