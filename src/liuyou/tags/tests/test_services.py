"""The daily rule evaluation (set-based diff, idempotent, history), manual tags beside rule
tags, bulk lists with their report, tag_filter_q, scoped counts, versions and the log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from liuyou.customers.models import Customer, CustomerAlias
from liuyou.system.models import OperationLog
from liuyou.tags import selectors, services
from liuyou.tags.models import CustomerTag, Tag, TagEvaluation, TagGroup, TagHistory, TagVersion
from liuyou.tags.tests.conftest import D

pytestmark = pytest.mark.django_db

D2 = D.replace(day=29)


def rule(*conditions, match="all"):
    return {"match": match, "conditions": [{"column": c, "op": o, "value": v} for c, o, v in conditions]}


@pytest.fixture
def hq(role_users):
    return role_users["hq_admin"]


@pytest.fixture
def big(hq):
    group = TagGroup.objects.get(code="type")
    return services.create_tag(
        user=hq,
        group=group,
        code="t_big",
        name="测试大户",
        kind="rule",
        rule=rule(("deposit_avg_3m", ">=", "50000")),
    )


@pytest.fixture
def manual_tag(hq):
    return services.create_tag(
        user=hq, group=TagGroup.objects.get(code="project"), code="t_manual", name="测试项目", kind="manual"
    )


def holders(tag) -> dict[str, str]:
    return dict(CustomerTag.objects.filter(tag=tag).values_list("customer__customer_no", "source"))


def history(tag) -> list[tuple[str, str, str]]:
    return sorted(TagHistory.objects.filter(tag=tag).values_list("customer__customer_no", "action", "source"))


def test_seeded_groups_and_tags_exist():
    assert list(TagGroup.objects.filter(kind="builtin").values_list("name", flat=True)) == [
        "区域",
        "产业",
        "类型",
        "项目",
    ]
    big = Tag.objects.get(code="high_deposit")
    assert big.kind == "rule" and big.rule["conditions"][0] == {
        "column": "deposit_avg_3m",
        "op": ">=",
        "value": "50000",
    }
    assert TagVersion.objects.filter(tag=big, version=1).exists()
    assert Tag.objects.get(code="vegetable").rule["conditions"][0]["op"] == "prefix"
    assert Tag.objects.get(code="yanguichao").kind == "manual"
    from liuyou.tags import rules

    for tag in Tag.objects.filter(kind="rule"):
        assert rules.validate(tag.rule) == tag.rule, tag.code  # seeded in the stored form


def test_seeded_industry_tag_matches_code_prefix_or_crm_wording(feats):
    feats.feature(customer_no="CODE", industry="A0141")
    feats.feature(customer_no="WORD", industry="大棚蔬菜种植")
    feats.feature(customer_no="PIG", industry="生猪养殖")
    services.evaluate(tag=Tag.objects.get(code="vegetable"), data_date=D)
    services.evaluate(tag=Tag.objects.get(code="livestock"), data_date=D)
    assert holders(Tag.objects.get(code="vegetable")) == {"CODE": "rule", "WORD": "rule"}
    assert holders(Tag.objects.get(code="livestock")) == {"PIG": "rule"}


def test_evaluation_adds_and_removes_set_based_and_is_idempotent(feats, big):
    a = feats.feature(customer_no="A", deposit_avg_3m=Decimal("60000"))
    b = feats.feature(customer_no="B", deposit_avg_3m=Decimal("50000"))
    feats.feature(customer_no="C", deposit_avg_3m=Decimal("49999.99"))
    first = services.evaluate(tag=big, data_date=D)
    assert (first.matched, first.added, first.removed, first.total) == (2, 2, 0, 2)
    assert holders(big) == {"A": "rule", "B": "rule"}
    assert CustomerTag.objects.get(tag=big, customer=a.customer).data_date == D
    again = services.evaluate(tag=big, data_date=D)
    assert (again.added, again.removed, again.total) == (0, 0, 2)
    assert history(big) == [("A", "added", "rule"), ("B", "added", "rule")]
    # next day B drops below the threshold, C rises above it
    feats.feature(a.customer, day=D2, deposit_avg_3m=Decimal("60000"))
    feats.feature(b.customer, day=D2, deposit_avg_3m=Decimal("100"))
    feats.feature(Customer.objects.get(customer_no="C"), day=D2, deposit_avg_3m=Decimal("70000"))
    second = services.evaluate(tag=big, data_date=D2)
    assert (second.added, second.removed, second.total) == (1, 1, 2)
    assert holders(big) == {"A": "rule", "C": "rule"}
    assert history(big) == [
        ("A", "added", "rule"),
        ("B", "added", "rule"),
        ("B", "removed", "rule"),
        ("C", "added", "rule"),
    ]
    removed = TagHistory.objects.get(tag=big, action="removed")
    assert removed.data_date == D2 and removed.by is None and "近3个月日均存款 ≥ 50,000 元" in removed.note
    ev = TagEvaluation.objects.get(tag=big, data_date=D)
    assert (ev.added, ev.removed, ev.total, ev.version) == (2, 0, 2, 1)


def test_tag_step_evaluates_active_rule_tags_and_reports_per_tag(feats, big, hq):
    feats.feature(customer_no="A", deposit_avg_3m=Decimal("60000"))
    off = services.create_tag(user=hq, group=big.group, code="t_off", name="停用的", kind="rule",
                              rule=rule(("deposit_avg_3m", ">=", "1")), is_active=False)  # fmt: skip
    result = services.tag_step(data_date=D)
    assert result.details["per_tag"]["t_big"] == {"added": 1, "removed": 0, "total": 1}
    assert "t_off" not in result.details["per_tag"] and not holders(off)
    assert result.rows == result.details["added"] + result.details["removed"]
    again = services.tag_step(data_date=D)
    assert again.rows == 0 and again.details["per_tag"]["t_big"]["total"] == 1


def test_tag_step_needs_the_feature_table(db):
    with pytest.raises(ValueError, match="客户宽表尚未生成"):
        services.tag_step(data_date=D)


def test_manual_tag_survives_the_rule_and_a_rule_tag_can_become_manual(feats, big, hq):
    a = feats.feature(customer_no="A", deposit_avg_3m=Decimal("10"))
    b = feats.feature(customer_no="B", deposit_avg_3m=Decimal("90000"))
    assert services.add_manual(user=hq, customer=a.customer, tag=big) == "added"
    services.evaluate(tag=big, data_date=D)
    # A does not match but holds it by hand: kept; B matches: gets the rule row
    assert holders(big) == {"A": "manual", "B": "rule"}
    assert services.add_manual(user=hq, customer=a.customer, tag=big) == "already"
    assert services.add_manual(user=hq, customer=b.customer, tag=big) == "converted"
    feats.feature(a.customer, day=D2, deposit_avg_3m=Decimal("10"))
    feats.feature(b.customer, day=D2, deposit_avg_3m=Decimal("10"))
    services.evaluate(tag=big, data_date=D2)
    assert holders(big) == {"A": "manual", "B": "manual"}
    # a rule-held tag is not removed by hand; a manual one is
    c = feats.feature(customer_no="C", day=D2, deposit_avg_3m=Decimal("90000"))
    services.evaluate(tag=big, data_date=D2)
    assert services.remove_manual(user=hq, customer=c.customer, tag=big) == "rule"
    assert services.remove_manual(user=hq, customer=a.customer, tag=big) == "removed"
    assert services.remove_manual(user=hq, customer=a.customer, tag=big) == "absent"
    assert holders(big) == {"B": "manual", "C": "rule"}
    notes = list(
        TagHistory.objects.filter(tag=big, customer=b.customer, source="manual").values_list(
            "note", flat=True
        )
    )
    assert notes == ["由规则标签转为手工标签"]
    actions = set(
        OperationLog.objects.filter(action__startswith="tags.customer").values_list("action", flat=True)
    )
    assert actions == {"tags.customer.add", "tags.customer.remove"}


def test_inactive_tag_cannot_be_assigned(feats, manual_tag, hq):
    a = feats.feature(customer_no="A")
    services.update_tag(
        user=hq, tag=manual_tag, group=manual_tag.group, name=manual_tag.name, is_active=False
    )
    with pytest.raises(ValidationError, match="已停用"):
        services.add_manual(user=hq, customer=a.customer, tag=manual_tag)


# --- bulk ------------------------------------------------------------------------------------


@pytest.fixture
def book(bank, role_users, make_customer):
    am = role_users["account_manager"]
    mine = make_customer("M1", org=bank.o1, manager=am, id_no="410521199001011234")
    mine2 = make_customer("M2", org=bank.o1, manager=am, id_no="410521199202022345")
    theirs = make_customer("T1", org=bank.b2, id_no="410521198503033456")
    CustomerAlias.objects.create(alias_no="M1-OLD", customer=mine, source="core_customer", data_date=D)
    return am, mine, mine2, theirs


def test_bulk_by_customer_number_reports_added_already_and_unknown(book, manual_tag):
    am, mine, mine2, theirs = book
    services.add_manual(user=am, customer=mine2, tag=manual_tag)
    report = services.bulk_tag(
        user=am, tag=manual_tag, entries=["M1", "M1-OLD", "M2", "T1", "NOPE", "M1", " "], kind="customer_no"
    )
    # M1 and its alias name one customer; T1 is outside the manager's book: unknown like NOPE
    assert (report.entries, report.duplicates, report.matched) == (5, 1, 2)
    assert (report.added, report.already, report.converted) == (1, 1, 0)
    assert report.unknown == ["T1", "NOPE"]
    assert holders(manual_tag) == {"M1": "manual", "M2": "manual"}
    assert TagHistory.objects.filter(tag=manual_tag, customer=mine, by=am, action="added").count() == 1
    log = OperationLog.objects.get(action="tags.bulk.add")
    assert log.after["added"] == 1 and log.after["unknown_count"] == 2 and "unknown" not in log.after


def test_bulk_by_id_number_masks_unknown_entries(book, manual_tag):
    am, mine, mine2, theirs = book
    report = services.bulk_tag(
        user=am,
        tag=manual_tag,
        entries=["４１０５２１１９９００１０１１２３４", "410521198503033456", "11010519491231002X"],
        kind="id_no",
    )
    assert report.matched == 1 and report.added == 1
    assert holders(manual_tag) == {"M1": "manual"}
    assert report.unknown == ["4105**********3456", "1101**********002X"]
    log = OperationLog.objects.get(action="tags.bulk.add")
    assert "410521198503033456" not in str(log.after)


def test_bulk_remove_keeps_rule_tags(book, feats, big, hq):
    am, mine, mine2, theirs = book
    feats.feature(mine, deposit_avg_3m=Decimal("90000"))
    services.evaluate(tag=big, data_date=D)
    services.add_manual(user=hq, customer=mine2, tag=big)
    report = services.bulk_tag(
        user=hq, tag=big, entries=["M1", "M2", "T1"], kind="customer_no", action="remove"
    )
    assert (report.removed, report.rule_kept, report.not_had, report.unknown) == (1, 1, 1, [])
    assert holders(big) == {"M1": "rule"}


def test_bulk_limits_and_errors(book, manual_tag):
    am = book[0]
    with pytest.raises(ValidationError, match="每次最多 10,000 条，本次 10,001 条"):
        services.bulk_tag(
            user=am, tag=manual_tag, entries=[f"X{i}" for i in range(10_001)], kind="customer_no"
        )
    with pytest.raises(ValidationError, match="请至少填写一个"):
        services.bulk_tag(user=am, tag=manual_tag, entries=["  "], kind="customer_no")
    with pytest.raises(ValidationError, match="名单类型"):
        services.bulk_tag(user=am, tag=manual_tag, entries=["M1"], kind="phone")


# --- the selectors others use -------------------------------------------------------------------


def test_tag_filter_q_and_or_not_exact_sets(bank, make_customer, feats, hq):
    group = TagGroup.objects.get(code="project")
    x, y, z = (services.create_tag(user=hq, group=group, code=f"t_{n}", name=n, kind="manual") for n in "xyz")
    held = {"P1": [x, y], "P2": [x], "P3": [y, z], "P4": [z], "P5": []}
    for no, tags in held.items():
        c = feats.feature(customer_no=no).customer
        for t in tags:
            services.add_manual(user=hq, customer=c, tag=t)

    def customers(**kw):
        return set(
            Customer.objects.filter(selectors.tag_filter_q(**kw)).values_list("customer_no", flat=True)
        )

    assert customers(all_of=[x.pk, y.pk]) == {"P1"}
    assert customers(any_of=[x.pk, z.pk]) == {"P1", "P2", "P3", "P4"}
    assert customers(none_of=[x.pk]) == {"P3", "P4", "P5"}
    assert customers(all_of=[y.pk], none_of=[z.pk]) == {"P1"}
    assert customers(all_of=[x.pk], any_of=[y.pk, z.pk]) == {"P1"}
    assert customers(any_of=[y.pk], none_of=[x.pk, z.pk]) == set()
    assert customers() == {"P1", "P2", "P3", "P4", "P5"}
    # on the feature table, through prefix="customer__": no row multiplied
    from liuyou.features.models import CustomerFeature

    rows = CustomerFeature.objects.filter(
        selectors.tag_filter_q(any_of=[x.pk, y.pk, z.pk], prefix="customer__")
    )
    assert sorted(rows.values_list("customer__customer_no", flat=True)) == ["P1", "P2", "P3", "P4"]


def test_counts_and_lists_follow_the_data_scope(bank, role_users, feats, big):
    am = role_users["account_manager"]
    feats.feature(customer_no="MINE", org=bank.o1, manager=am, deposit_avg_3m=Decimal("60000"))
    feats.feature(customer_no="B2", org=bank.b2, deposit_avg_3m=Decimal("60000"))
    feats.feature(customer_no="B1", org=bank.o1, deposit_avg_3m=Decimal("60000"))
    services.evaluate(tag=big, data_date=D)
    assert selectors.tag_counts(user=role_users["hq_admin"])[big.pk] == 3
    assert selectors.tag_counts(user=am)[big.pk] == 1
    assert selectors.tag_counts(user=role_users["branch_head"])[big.pk] == 2
    assert selectors.tag_counts(user=role_users["system_admin"]) == {}
    listed = selectors.holders(user=role_users["branch_head"], tag=big)
    assert sorted(listed.values_list("customer__customer_no", flat=True)) == ["B1", "MINE"]
    choices = dict(selectors.tag_choices(user=am))
    assert "测试大户" in [name for _, name in choices["类型"]]
    assert selectors.tag_choices(user=role_users["system_admin"]) == []


def test_customer_tags_for_the_360(feats, big, manual_tag, hq):
    a = feats.feature(customer_no="A", deposit_avg_3m=Decimal("60000"))
    services.evaluate(tag=big, data_date=D)
    services.add_manual(user=hq, customer=a.customer, tag=manual_tag)
    got = selectors.customer_tags(customer=a.customer)
    assert [(ct.tag.group.name, ct.tag.name, ct.source) for ct in got] == [
        ("类型", "测试大户", "rule"),
        ("项目", "测试项目", "manual"),
    ]


# --- tags: versions and the log -----------------------------------------------------------------


def test_rule_change_is_versioned_and_audited(big, hq):
    higher = rule(("deposit_avg_3m", ">=", "80000"))
    services.update_tag(user=hq, tag=big, group=big.group, name=big.name, rule=higher, note="提高门槛")
    big.refresh_from_db()
    assert big.version == 2 and big.rule["conditions"][0]["value"] == "80000"
    v = TagVersion.objects.get(tag=big, version=2)
    assert v.note == "提高门槛" and v.changed_by == hq
    log = OperationLog.objects.filter(action="tags.tag.update").latest("seq")
    assert log.before["rule"]["conditions"][0]["value"] == "50000"
    assert log.after["rule"]["conditions"][0]["value"] == "80000" and log.after["version"] == 2
    # nothing changed: no new version
    services.update_tag(user=hq, tag=big, group=big.group, name=big.name, rule=big.rule)
    assert Tag.objects.get(pk=big.pk).version == 2


def test_tag_and_group_validation(hq, big):
    group = TagGroup.objects.get(code="type")
    with pytest.raises(ValidationError, match="编码须以小写字母开头"):
        services.create_tag(user=hq, group=group, code="Bad Code", name="x", kind="manual")
    with pytest.raises(ValidationError, match="已被使用"):
        services.create_tag(user=hq, group=group, code="t_big", name="x", kind="manual")
    with pytest.raises(ValidationError, match="已有名为“测试大户”的标签"):
        services.create_tag(user=hq, group=group, code="t_dup", name="测试大户", kind="manual")
    with pytest.raises(ValidationError, match="至少需要一个条件"):
        services.create_tag(
            user=hq, group=group, code="t_empty", name="空规则", kind="rule", rule={"conditions": []}
        )
    g = services.create_group(user=hq, code="campaign", name="营销活动")
    assert g.kind == "custom" and OperationLog.objects.filter(action="tags.group.create").exists()
    with pytest.raises(ValidationError, match="已有名为“营销活动”的标签组"):
        services.create_group(user=hq, code="campaign2", name="营销活动")
