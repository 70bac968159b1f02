"""Reads of the tags, always through the data scope: counts per tag, the customers of a tag,
one customer's tags and history, the AND / OR / NOT filter other lists use, and the lookup of
a pasted list of customer or ID numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from liuyou.core import pii, scope
from liuyou.core.access import has_perm
from liuyou.customers.models import Customer, CustomerAlias
from liuyou.tags.models import CustomerTag, Tag, TagEvaluation, TagGroup, TagHistory, TagKind, TagVersion

VIEW = "tag:view"
ASSIGN = "tag:assign"
MANAGE = "tag:manage"
CHUNK = 2000


# --- what other capabilities use ---------------------------------------------------------------


def tag_filter_q(
    *,
    all_of: Iterable[int] = (),
    any_of: Iterable[int] = (),
    none_of: Iterable[int] = (),
    prefix: str = "",
) -> Q:
    """Customers holding every tag of `all_of`, at least one of `any_of` (when given) and none
    of `none_of` (Tag ids). `prefix` is the path from the queried model to the customer: ""
    for Customer, "customer__" for CustomerFeature. Each test is an EXISTS on the indexed
    (customer, tag) key, so no row is multiplied."""
    ref = f"{prefix[:-2]}_id" if prefix.endswith("__") else (prefix or "pk")
    q = Q()
    for tag_id in dict.fromkeys(all_of):
        q &= Q(Exists(CustomerTag.objects.filter(customer_id=OuterRef(ref), tag_id=tag_id)))
    any_ids = list(dict.fromkeys(any_of))
    if any_ids:
        q &= Q(Exists(CustomerTag.objects.filter(customer_id=OuterRef(ref), tag_id__in=any_ids)))
    none_ids = list(dict.fromkeys(none_of))
    if none_ids:
        q &= ~Q(Exists(CustomerTag.objects.filter(customer_id=OuterRef(ref), tag_id__in=none_ids)))
    return q


def customer_tags(*, customer: Any) -> list[CustomerTag]:
    """The active tags one customer holds, with tag, group and who put it on, in group order
    (for the customer 360 page; the page has already checked the customer is in scope)."""
    return list(
        CustomerTag.objects.filter(customer=customer, tag__is_active=True)
        .select_related("tag", "tag__group", "by")
        .order_by("tag__group__sort_order", "tag__group_id", "tag__sort_order", "tag__name")
    )


def tag_counts(*, user: Any) -> dict[int, int]:
    """tag id -> customers holding it in the user's tag:view scope."""
    qs = scope.scoped(CustomerTag.objects.all(), user, VIEW)
    return {row["tag_id"]: row["n"] for row in qs.order_by().values("tag_id").annotate(n=Count("pk"))}


def tag_choices(*, user: Any, manual_only: bool = False) -> list[tuple[str, list[tuple[int, str]]]]:
    """Active tags grouped for a select: [(group name, [(tag id, tag name), ...]), ...]."""
    if not has_perm(user, VIEW):
        return []
    grouped: dict[str, list[tuple[int, str]]] = defaultdict(list)
    qs = Tag.objects.filter(is_active=True).select_related("group")
    if manual_only:
        qs = qs.filter(kind=TagKind.MANUAL)
    for tag in qs.order_by("group__sort_order", "group_id", "sort_order", "name"):
        grouped[tag.group.name].append((tag.pk, tag.name))
    return list(grouped.items())


def can_tag(*, user: Any, customer: Any) -> bool:
    """Whether `user` may put tags on or take them off this customer (tag:assign and scope)."""
    q = scope.scope_q(user, ASSIGN, Customer)
    if q is None:
        return False
    if not q.children:
        return True
    return Customer.objects.filter(q, pk=customer.pk).exists()


# --- pages -------------------------------------------------------------------------------------


@dataclass
class TagRow:
    tag: Tag
    count: int
    evaluation: TagEvaluation | None

    @property
    def rule_text(self) -> str:
        from liuyou.tags.rules import describe

        return describe(self.tag.rule)


def groups_with_tags(*, user: Any, include_inactive: bool = True) -> list[tuple[TagGroup, list[TagRow]]]:
    """Every group with its tags, each with the count in the user's scope and its latest rule
    evaluation."""
    counts = tag_counts(user=user)
    latest = latest_evaluations()
    tags = Tag.objects.select_related("group").order_by("sort_order", "name")
    if not include_inactive:
        tags = tags.filter(is_active=True)
    by_group: dict[int, list[TagRow]] = defaultdict(list)
    for tag in tags:
        by_group[tag.group_id].append(TagRow(tag, counts.get(tag.pk, 0), latest.get(tag.pk)))
    return [(g, by_group.get(g.pk, [])) for g in TagGroup.objects.order_by("sort_order", "pk")]


def latest_evaluations() -> dict[int, TagEvaluation]:
    last = TagEvaluation.objects.values("tag_id").annotate(d=Max("data_date"))
    wanted = Q(pk__in=[])
    for row in last:
        wanted |= Q(tag_id=row["tag_id"], data_date=row["d"])
    return {e.tag_id: e for e in TagEvaluation.objects.filter(wanted)}


def tag_get(*, tag_id: int) -> Tag:
    from django.http import Http404

    tag = Tag.objects.select_related("group").filter(pk=tag_id).first()
    if tag is None:
        raise Http404("没有这个标签")
    return tag


def holders(
    *,
    user: Any,
    tag: Tag,
    org: Any = None,
    village: Any = None,
    manager: Any = None,
    source: str = "",
    permission: str = VIEW,
) -> QuerySet[CustomerTag]:
    """The customers holding `tag` in the user's scope (as CustomerTag rows with the customer),
    optionally within an org's subtree, a village, a manager's book or one source."""
    from liuyou.system.models import Org

    qs = CustomerTag.objects.filter(tag=tag)
    if org is not None:
        qs = qs.filter(Org.subtree_q(org.path, "customer__org__path"))
    if village is not None:
        qs = qs.filter(customer__village=village)
    if manager is not None:
        qs = qs.filter(customer__manager=manager)
    if source:
        qs = qs.filter(source=source)
    qs = qs.select_related("customer", "customer__org", "customer__manager", "by")
    return scope.scoped(qs, user, permission).order_by("customer__customer_no")


def customer_for(*, user: Any, customer_no: str, permission: str = VIEW) -> Customer:
    """One customer inside the user's scope for `permission` (and the customer:view scope);
    Http404 otherwise."""
    qs = Customer.objects.select_related("org", "manager", "village")
    return scope.get_or_404(
        scope.scoped(qs, user, "customer:view"), user, permission, customer_no=customer_no
    )


def customer_history(*, customer: Any) -> QuerySet[TagHistory]:
    return TagHistory.objects.filter(customer=customer).select_related("tag", "tag__group", "by")


def versions(*, tag: Tag) -> list[TagVersion]:
    return list(tag.versions.select_related("changed_by").order_by("-version"))


def latest_feature_date() -> date | None:
    from liuyou.features.models import FeatureBuild

    return FeatureBuild.objects.aggregate(latest=Max("data_date"))["latest"]


def preview(*, user: Any, rule: dict[str, Any], tag: Tag | None = None) -> dict[str, Any]:
    """What a (validated) rule would select on the latest feature date, in the user's scope:
    matched customers and, for an existing tag, how many would be added and removed."""
    from liuyou.features.models import CustomerFeature
    from liuyou.tags.rules import compile_q

    day = latest_feature_date()
    if day is None:
        return {"data_date": None, "matched": 0, "added": None, "removed": None}
    matching = scope.scoped(
        CustomerFeature.objects.filter(data_date=day).filter(compile_q(rule)), user, MANAGE
    )
    out: dict[str, Any] = {"data_date": day, "matched": matching.count(), "added": None, "removed": None}
    if tag is not None:
        out["added"] = matching.filter(
            ~Exists(CustomerTag.objects.filter(tag=tag, customer_id=OuterRef("customer_id")))
        ).count()
        out["removed"] = (
            scope.scoped(CustomerTag.objects.filter(tag=tag, source="rule"), user, MANAGE)
            .filter(~Exists(matching.filter(customer_id=OuterRef("customer_id"))))
            .count()
        )
    return out


# --- bulk lists --------------------------------------------------------------------------------


def resolve_entries(*, user: Any, entries: list[str], kind: str) -> tuple[dict[str, set[int]], list[str]]:
    """entry -> ids of the customers it names inside the user's tag:assign scope, and the
    entries that name none (unknown, or outside the scope: the two look the same).
    Customer numbers match the customer number or an alias; ID numbers match through the
    HMAC index under every configured key."""
    visible = scope.scoped(Customer.objects.all(), user, ASSIGN)
    found: dict[str, set[int]] = defaultdict(set)
    for i in range(0, len(entries), CHUNK):
        part = entries[i : i + CHUNK]
        if kind == "customer_no":
            for pk, no in visible.filter(customer_no__in=part).values_list("pk", "customer_no"):
                found[no].add(pk)
            aliases = CustomerAlias.objects.filter(alias_no__in=part, customer__in=visible.values("pk"))
            for no, pk in aliases.values_list("alias_no", "customer_id"):
                found[no].add(pk)
        else:
            by_digest: dict[str, str] = {}
            for entry in part:
                for d in pii.digests_for_lookup(entry):
                    by_digest[d] = entry
            digests = list(by_digest)
            for j in range(0, len(digests), CHUNK):
                rows = visible.filter(id_no_digest__in=digests[j : j + CHUNK]).values_list(
                    "pk", "id_no_digest"
                )
                for pk, d in rows:
                    found[by_digest[d]].add(pk)
    unknown = [e for e in entries if e not in found]
    return dict(found), unknown
