"""Parameter changes (validated, versioned, audited) and the daily counts (step 6)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from liuyou.mining import selectors, services
from liuyou.mining.definitions import CODES
from liuyou.mining.models import Dimension, DimensionCount, DimensionVersion
from liuyou.mining.tests.conftest import D
from liuyou.system.models import OperationLog

pytestmark = pytest.mark.django_db


def test_defaults_are_in_force_before_any_change():
    item = selectors.one_in_force("high_deposit")
    assert item.params == {"min_average": 50000}
    assert item.version == 1
    assert item.condition_text() == "近3个月日均存款 ≥ 50,000 元"
    assert selectors.one_in_force("high_utilization").condition_text() == "本行在贷客户，授信使用率 ≥ 80.00%"


def test_update_params_versions_and_audits(role_users, feats):
    admin = role_users["hq_admin"]
    row = services.update_params(
        user=admin, code="high_deposit", params={"min_average": "80000"}, note="提高门槛"
    )
    assert (row.version, row.params) == (2, {"min_average": "80000"})
    versions = list(DimensionVersion.objects.filter(dimension=row).values_list("version", "params", "note"))
    assert versions == [(2, {"min_average": "80000"}, "提高门槛"), (1, {"min_average": 50000}, "初始参数")]
    log = OperationLog.objects.get(action="mining.dimension.update")
    assert log.before["params"] == {"min_average": 50000}
    assert log.after["params"] == {"min_average": "80000"}
    # the new threshold is what lists now use
    feats.feature(deposit_avg_3m=Decimal("60000"))
    assert services.mine(data_date=D)["high_deposit"]["customers"] == 0
    assert services.mine(data_date=D)["high_deposit"]["version"] == 2


def test_unchanged_params_make_no_new_version(role_users):
    admin = role_users["hq_admin"]
    services.update_params(user=admin, code="payroll", params={"min_months": 3})
    assert Dimension.objects.get(code="payroll").version == 1
    assert not OperationLog.objects.filter(action="mining.dimension.update").exists()


@pytest.mark.parametrize(
    ("code", "params", "message"),
    [
        ("high_deposit", {"min_average": "abc"}, "应为数字"),
        ("high_deposit", {"min_average": "-1"}, "不能小于 0"),
        ("high_utilization", {"min_utilization": "1.5"}, "不能大于 1"),
        ("unused_credit", {"min_days": "30.5"}, "应为整数"),
        ("payroll", {"min_months": "4"}, "不能大于 3"),
        ("payroll", {"bogus": "1"}, "未知参数：bogus"),
        ("nope", {}, "没有这个维度"),
        ("high_deposit", {"min_average": "NaN"}, "应为数字"),
    ],
)
def test_bad_params_are_refused_and_nothing_changes(role_users, code, params, message):
    with pytest.raises(ValidationError) as err:
        services.update_params(user=role_users["hq_admin"], code=code, params=params)
    assert message in str(err.value)
    assert not DimensionVersion.objects.exclude(version=1).exists()


def test_disabled_dimension_is_not_counted(role_users, feats):
    services.update_params(
        user=role_users["hq_admin"], code="payroll", params={"min_months": 3}, is_active=False
    )
    feats.feature(payroll_months_3m=3)
    assert "payroll" not in services.mine(data_date=D)


def test_mine_counts_per_org_village_and_manager(bank, role_users, feats):
    am = role_users["account_manager"]
    for _ in range(3):
        feats.feature(org=bank.o1, grid=bank.g1, manager=am, acquiring_avg_3m=Decimal("40000"))
    feats.feature(org=bank.b2, grid=bank.g2, acquiring_avg_3m=Decimal("40000"))
    totals = services.mine(data_date=D)
    assert totals["active_merchant"]["customers"] == 4
    rows = DimensionCount.objects.filter(data_date=D, code="active_merchant")
    assert sorted((r.org_id, r.manager_id, r.customers) for r in rows) == sorted(
        [(bank.o1.pk, am.pk, 3), (bank.b2.pk, None, 1)]
    )
    # a re-run replaces the date's counts
    services.mine(data_date=D)
    assert DimensionCount.objects.filter(data_date=D, code="active_merchant").count() == 2


def test_counts_follow_the_data_scope(bank, role_users, feats):
    am = role_users["account_manager"]
    feats.feature(org=bank.o1, grid=bank.g1, manager=am, deposit_avg_3m=Decimal("60000"))
    feats.feature(org=bank.b2, grid=bank.g2, deposit_avg_3m=Decimal("60000"))
    services.mine(data_date=D)
    assert selectors.counts(user=role_users["hq_admin"], data_date=D)["high_deposit"]["customers"] == 2
    assert selectors.counts(user=am, data_date=D)["high_deposit"]["customers"] == 1
    assert selectors.counts(user=role_users["none"], data_date=D)["high_deposit"]["customers"] == 0
    by_branch = selectors.counts_by(user=role_users["hq_admin"], data_date=D, by="org")
    assert by_branch[bank.b1.pk]["high_deposit"] == 1
    assert by_branch[bank.b2.pk]["high_deposit"] == 1


def test_mine_refuses_a_date_without_features(db):
    with pytest.raises(ValueError, match="客户宽表尚未生成"):
        services.mine(data_date=D)


def test_mine_command_prints_one_json_object_with_all_codes(feats):
    from liuyou.ingest.models import ImportRun

    ImportRun.objects.create(source="core_customer", file_name="x.csv", status="completed", data_date=D)
    feats.feature(deposit_avg_3m=Decimal("60000"))
    out = io.StringIO()
    call_command("mine", "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["data_date"] == "2026-06-30"
    assert [d["code"] for d in result["dimensions"]] == list(CODES)
    assert {d["code"]: d["count"] for d in result["dimensions"]}["high_deposit"] == 1


def test_mine_command_without_any_import_exits_2(db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("mine", "--json")
    assert exit_info.value.code == 2
    assert json.loads(capsys.readouterr().out)["error"] == "尚无已完成的导入，无法确定数据日期"
