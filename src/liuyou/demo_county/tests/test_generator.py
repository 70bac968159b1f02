"""The demo county generator: determinism, layout, valid identities, control files,
references, shares and the coverage of the 11 dimensions, read back from the files."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from stdnum.cn import ric, uscc

from liuyou.demo_county import generate
from liuyou.demo_county.dates import last_month_end_before, month_ends
from liuyou.demo_county.ids import org_code_check_char, phone_is_valid, ric_is_valid, uscc_is_valid
from liuyou.demo_county.layout import IMPORT_ORDER
from liuyou.demo_county.tests.dimensions import DIMENSIONS, read, shares
from liuyou.system.demo import plan_demo_bank

END = date(2026, 10, 31)
SEED = 2026

# Copied from shared/extracts.md on purpose, independently of layout.py.
EXPECTED_HEADERS = {
    "org": "机构号,机构名称,上级机构号,机构类型,地址",
    "staff": "工号,姓名,机构号,岗位,手机号码,企业微信账号,状态,入职日期",
    "village": "村编码,村名称,乡镇,户数,人口,经度,纬度,所属机构号",
    "core_customer": "客户号,客户名称,客户类型,证件类型,证件号码,统一社会信用代码,性别,出生日期,手机号码,"
    "联系地址,村编码,开户机构号,开户日期,是否社保卡,是否代发工资",
    "core_deposit": "账号,客户号,产品类型,开户日期,到期日期,余额,月日均余额,账户状态,数据日期",
    "credit_loan": "借据号,合同号,客户号,产品代码,发放日期,到期日期,发放金额,贷款余额,执行利率,担保方式,"
    "还款方式,贷款用途,行业代码,是否零售,逾期天数,逾期本金,欠息,是否重组,重组日期,是否借新还旧,是否信用减值,"
    "预期信用损失,债务人破产清算,逃废债,结清日期,借据状态,主办客户经理工号,经办机构号,数据日期,"
    "技术性逾期,重组后首次还款日,擅自改变用途,无还本续贷",
    "credit_line": "授信编号,客户号,授信额度,已用额度,起始日期,到期日期,状态",
    "guarantee": "借据号,担保人客户号,担保类型,担保金额",
    "bureau": "客户号,报告日期,他行贷款机构数,他行贷款余额,他行不良余额,他行逾期90天以上余额,全部贷款余额,"
    "近3个月查询次数,近24个月最大逾期期数,对外担保余额,信用卡使用率,授权日期,授权用途,授权到期日",
    "txn_monthly": "客户号,月份,入账金额,出账金额,代发工资金额,惠农补贴金额,收单交易额,县外交易金额,交易笔数",
    "crm_customer": "客户号,主办客户经理工号,协办客户经理工号,客户分类,产业,村编码,家庭人口,标签,"
    "拒绝营销,备注",
    "relation": "客户号,关联客户号,关联证件号码,关系类型",
}


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("county")
    manifest = generate(out_dir=out, customers=3000, seed=SEED, end_date=END)
    return out, manifest


def latest(out: Path, source: str) -> list[dict[str, str]]:
    return read(sorted(out.glob(f"{source}_*.csv"))[-1])


def all_rows(out: Path, source: str) -> list[dict[str, str]]:
    rows = []
    for f in sorted(out.glob(f"{source}_*.csv")):
        rows += read(f)
    return rows


def bad_lines(manifest, file_name: str) -> set[int]:
    entry = next(e for e in manifest.files if e.file == file_name)
    return {b["行号"] for b in entry.bad_rows}


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(out_dir=a, customers=300, seed=7, end_date=END)
    generate(out_dir=b, customers=300, seed=7, end_date=END)
    generate(out_dir=c, customers=300, seed=8, end_date=END)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert len(names) > 100
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    differs = [n for n in names if (c / n).exists() and (a / n).read_bytes() != (c / n).read_bytes()]
    assert "core_customer_20261031.csv" in differs
    assert "credit_loan_20261031.csv" in differs


def test_every_file_has_the_exact_headers_of_the_specification(county):
    out, manifest = county
    sources = {e.source for e in manifest.files}
    assert sources == set(EXPECTED_HEADERS)
    for e in manifest.files:
        raw = (out / e.file).read_bytes()
        if e.encoding == "GBK":
            text = raw.decode("gb18030")
        else:
            assert raw.startswith(b"\xef\xbb\xbf")
            text = raw.decode("utf-8-sig")
        assert text.split("\r\n", 1)[0] == EXPECTED_HEADERS[e.source], e.file


def test_core_banking_files_are_gbk_and_decode_as_gb18030(county):
    out, manifest = county
    gbk = [e for e in manifest.files if e.encoding == "GBK"]
    assert {e.source for e in gbk} == {"core_customer", "core_deposit"}
    for e in gbk:
        raw = (out / e.file).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.decode("gb18030").startswith("客户号" if e.source == "core_customer" else "账号")


def test_control_files_hold_the_row_count(county):
    out, manifest = county
    for e in manifest.files:
        raw = (out / e.file).read_bytes()
        text = raw.decode("gb18030") if e.encoding == "GBK" else raw.decode("utf-8-sig")
        rows = list(csv.reader(text.splitlines()))
        assert int((out / e.control_file).read_text()) == len(rows) - 1 == e.rows, e.file
        # every row has exactly the header's columns: no value carries a stray comma or quote
        assert {len(r) for r in rows} == {len(rows[0])}, e.file
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        assert (out / e.control_file).name == e.file.removesuffix(".csv") + ".ok"


def test_manifest_lists_files_in_import_order_with_data_dates(county):
    out, manifest = county
    ranks = [IMPORT_ORDER.index(e.source) for e in manifest.files]
    assert ranks == sorted(ranks)
    dates = month_ends(END, 24)
    for source in ("core_deposit", "credit_loan", "txn_monthly", "bureau"):
        got = [e.data_date for e in manifest.files if e.source == source]
        assert got == [d.isoformat() for d in dates], source
    for source in ("core_customer", "crm_customer"):
        got = [e.data_date for e in manifest.files if e.source == source]
        assert got == [dates[-13].isoformat(), END.isoformat()]
    for e in manifest.files:
        assert e.file == f"{e.source}_{e.data_date.replace('-', '')}.csv"
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [f["file"] for f in on_disk["files"]] == [e.file for e in manifest.files]


def test_default_end_date_is_the_last_month_end_before_today():
    assert last_month_end_before(date(2026, 11, 28)) == date(2026, 10, 31)
    assert last_month_end_before(date(2026, 3, 1)) == date(2026, 2, 28)
    assert last_month_end_before(date(2024, 3, 31)) == date(2024, 2, 29)


def test_identity_numbers_are_valid_except_the_deliberate_bad_rows(county):
    out, manifest = county
    customer_file = f"core_customer_{END:%Y%m%d}.csv"
    bad = bad_lines(manifest, customer_file)
    found_bad = set()
    seen_ids = set()
    for line, r in enumerate(read(out / customer_file), start=2):
        ok = True
        if r["客户类型"] == "个人":
            n = r["证件号码"]
            ok &= ric_is_valid(n) and ric.calc_check_digit(n) == n[-1]
            if ok:
                assert ric.get_birth_date(n).isoformat() == r["出生日期"]
                assert (int(n[16]) % 2 == 1) == (r["性别"] == "男")
                assert n not in seen_ids
                seen_ids.add(n)
            assert r["统一社会信用代码"] == ""
        else:
            code = r["统一社会信用代码"]
            assert uscc.is_valid(code) and uscc_is_valid(code), code
            assert org_code_check_char(code[8:16]) == code[16]
            assert r["证件号码"] == ""
        ok &= phone_is_valid(r["手机号码"])
        if not ok:
            found_bad.add(line)
    assert found_bad <= bad
    # the unknown-village rows are the remaining deliberate ones
    villages = {r["村编码"] for r in latest(out, "village")}
    unknown_village = {
        line for line, r in enumerate(read(out / customer_file), start=2) if r["村编码"] not in villages
    }
    assert found_bad | unknown_village == bad
    reasons = Counter(b["原因"] for e in manifest.files for b in e.bad_rows if e.source == "core_customer")
    assert len(reasons) == 4 and sum(reasons.values()) == 6
    sci = [r for r in read(out / customer_file) if "E+" in r["证件号码"]]
    assert sci and all(r["证件号码"].count(".") == 1 for r in sci)
    for r in latest(out, "relation"):
        if r["关联证件号码"]:
            assert ric_is_valid(r["关联证件号码"])
            assert r["关联证件号码"] not in seen_ids


def test_expected_rejects_are_declared_per_file(county):
    out, manifest = county
    rejects = {e.file: e.expected_rejects for e in manifest.files if e.expected_rejects}
    assert rejects == {f"core_customer_{END:%Y%m%d}.csv": 6, f"village_{END:%Y%m%d}.csv": 1}
    assert manifest.stats["bad_customer_rows"] == 6
    lines = sorted(b["行号"] for e in manifest.files if e.source == "core_customer" for b in e.bad_rows)
    assert lines[0] > 100 and lines[-1] < 3000  # spread through the file, not bunched at the end


def test_references_match_the_demo_bank(county):
    out, _ = county
    orgs, users = plan_demo_bank(SEED)
    grids = {o.code for o in orgs if o.kind == "grid"}
    outlets = {o.code for o in orgs if o.kind == "outlet"}
    managers = {u.staff_no for u in users if u.role == "account_manager"}
    assert {r["机构号"] for r in latest(out, "org")} == {o.code for o in orgs if o.kind != "grid"}
    assert {r["机构类型"] for r in latest(out, "org")} == {"总行", "支行", "网点"}
    staff = latest(out, "staff")
    assert {u.staff_no for u in users} <= {r["工号"] for r in staff}

    villages = latest(out, "village")
    good_villages = [v for v in villages if len(v["村编码"]) == 12]
    assert len(good_villages) >= 200
    assert {v["所属机构号"] for v in villages} <= grids
    assert len({v["乡镇"] for v in good_villages}) == 12
    for v in good_villages:
        assert 118 < float(v["经度"]) < 120 and 36 < float(v["纬度"]) < 37.5

    customers = {r["客户号"] for r in latest(out, "core_customer")}
    everyone = customers | {r["客户号"] for r in all_rows(out, "core_customer")}
    for r in latest(out, "core_customer"):
        assert r["开户机构号"] in outlets
    crm = latest(out, "crm_customer")
    assert {r["客户号"] for r in crm} <= customers
    for r in crm:
        assert r["主办客户经理工号"] in managers
        assert r["协办客户经理工号"] == "" or r["协办客户经理工号"] in managers
    loans = all_rows(out, "credit_loan")
    assert {r["客户号"] for r in loans} <= customers
    assert {r["主办客户经理工号"] for r in loans} <= managers
    assert {r["经办机构号"] for r in loans} <= outlets
    loan_nos = {r["借据号"] for r in latest(out, "credit_loan")}
    for r in latest(out, "guarantee"):
        assert r["借据号"] in loan_nos and r["担保人客户号"] in customers
    for r in latest(out, "relation"):
        assert r["客户号"] in customers
        assert (r["关联客户号"] in customers) != (r["关联证件号码"] != "")
    assert {r["客户号"] for r in latest(out, "credit_line")} <= customers
    for source in ("core_deposit", "txn_monthly", "bureau"):
        assert {r["客户号"] for r in all_rows(out, source)} <= everyone, source


def test_left_staff_leave_orphans(county):
    out, manifest = county
    left = {r["工号"] for r in latest(out, "staff") if r["状态"] == "离职"}
    assert left == set(manifest.stats["left_staff"]) and len(left) == 2
    orphans = [r for r in latest(out, "crm_customer") if r["主办客户经理工号"] in left]
    assert len(orphans) >= 10
    _, users = plan_demo_bank(SEED)
    first_manager = next(u.staff_no for u in users if u.role == "account_manager")
    assert first_manager not in left


def test_segment_shares_are_realistic(county):
    out, _ = county
    crm = latest(out, "crm_customer")
    share = {k: v / len(crm) for k, v in Counter(r["客户分类"] for r in crm).items()}
    assert 0.48 <= share["农户"] <= 0.65
    assert 0.10 <= share["个体工商户"] <= 0.22
    assert 0.08 <= share["外出务工人员"] <= 0.20
    assert 0.07 <= share["上班族"] <= 0.18
    assert 0.015 <= share["小微企业"] <= 0.04
    assert len(crm) == 3000
    refused = sum(r["拒绝营销"] == "是" for r in crm) / len(crm)
    assert 0.01 <= refused <= 0.05


def test_every_dimension_holds_at_least_one_percent_of_customers(county):
    out, _ = county
    got = shares(out, END)
    assert set(got) == set(DIMENSIONS)
    low = {k: f"{v:.2%}" for k, v in got.items() if v < 0.01}
    assert not low, low


def test_loans_cover_every_state_the_risk_pages_need(county):
    out, _ = county
    rows = latest(out, "credit_loan")
    status = Counter(r["借据状态"] for r in rows)
    assert status["正常"] > 0 and status["逾期"] > 0 and status["结清"] > 0 and status["核销"] > 0
    days = [int(r["逾期天数"]) for r in rows if r["借据状态"] == "逾期"]
    assert min(days) <= 30 and any(31 <= d <= 90 for d in days) and max(days) > 90
    assert any(r["是否重组"] == "是" and r["重组日期"] for r in rows)
    assert any(r["是否借新还旧"] == "是" for r in rows)
    assert any(r["是否信用减值"] == "是" for r in rows)
    assert {r["担保方式"] for r in rows} == {"信用", "保证", "抵押", "质押"}
    # balances follow the history: a cleared loan shows its clearing date and a zero balance
    for r in rows:
        if r["借据状态"] == "结清":
            assert r["结清日期"] and float(r["贷款余额"]) == 0
    history = Counter(r["数据日期"] for r in all_rows(out, "credit_loan"))
    assert len(history) == 24


def test_bureau_has_valid_expired_and_other_purpose_authorisations(county):
    out, _ = county
    reports = all_rows(out, "bureau")
    valid = [r for r in reports if r["授权用途"] == "营销" and r["授权到期日"] >= END.isoformat()]
    expired = [r for r in reports if r["授权到期日"] < END.isoformat()]
    other = [r for r in reports if r["授权用途"] not in ("营销", "贷前审查", "贷后管理")]
    assert valid and expired and other
    assert any(float(r["他行贷款余额"]) > 0 for r in valid)


def test_cash_flows_follow_the_farming_seasons(county):
    out, _ = county
    crop = {
        r["客户号"]
        for r in latest(out, "crm_customer")
        if r["客户分类"] == "农户" and r["产业"] in ("大棚蔬菜种植", "果树种植", "粮食种植")
    }
    inflow: Counter[int] = Counter()
    outflow: Counter[int] = Counter()
    for r in all_rows(out, "txn_monthly"):
        if r["客户号"] in crop:
            month = int(r["月份"][5:])
            inflow[month] += float(r["入账金额"])
            outflow[month] += float(r["出账金额"])
    mean_in = sum(inflow.values()) / 12
    mean_out = sum(outflow.values()) / 12
    assert inflow[9] > 1.5 * mean_in and inflow[10] > 1.5 * mean_in
    assert outflow[3] > 1.5 * mean_out and outflow[4] > 1.5 * mean_out


def test_earlier_snapshot_lets_the_importer_close_departed_customers(county):
    out, manifest = county
    early, late = sorted(out.glob("core_customer_*.csv"))
    before = {r["客户号"] for r in read(early)}
    after = {r["客户号"] for r in read(late)}
    gone = before - after
    assert len(gone) == manifest.stats["departed_customers"] == 15
    closed = [r for r in all_rows(out, "core_deposit") if r["客户号"] in gone and r["账户状态"] == "销户"]
    assert closed
    crm_early = {r["客户号"]: r["主办客户经理工号"] for r in read(sorted(out.glob("crm_customer_*.csv"))[0])}
    crm_late = {r["客户号"]: r["主办客户经理工号"] for r in latest(out, "crm_customer")}
    changed = sum(1 for c, m in crm_late.items() if c in crm_early and crm_early[c] != m)
    assert changed > 0


KEYS = {
    "org": ("机构号",),
    "staff": ("工号",),
    "village": ("村编码",),
    "core_customer": ("客户号",),
    "core_deposit": ("账号",),
    "credit_loan": ("借据号",),
    "credit_line": ("授信编号",),
    "guarantee": ("借据号", "担保人客户号"),
    "bureau": ("客户号", "报告日期"),
    "txn_monthly": ("客户号", "月份"),
    "crm_customer": ("客户号",),
    "relation": ("客户号", "关联客户号", "关联证件号码", "关系类型"),
}


def test_keys_are_unique_within_every_file_and_across_incremental_files(county):
    out, manifest = county
    assert set(KEYS) == {e.source for e in manifest.files}
    incremental: dict[str, set[tuple[str, ...]]] = {"bureau": set(), "txn_monthly": set()}
    for e in manifest.files:
        keys = [tuple(r[k] for k in KEYS[e.source]) for r in read(out / e.file)]
        assert len(keys) == len(set(keys)), e.file
        if e.source in incremental:
            assert not incremental[e.source] & set(keys), e.file
            incremental[e.source] |= set(keys)
    for e in manifest.files:
        if e.source == "txn_monthly":
            assert {r["月份"] for r in read(out / e.file)} == {e.data_date[:7]}


def test_files_of_an_earlier_run_are_replaced(tmp_path):
    stale = tmp_path / "core_deposit_20990131.csv"
    stale.write_text("old", encoding="utf-8")
    keep = tmp_path / "notes.txt"
    keep.write_text("mine", encoding="utf-8")
    manifest = generate(out_dir=tmp_path, customers=50, seed=1, end_date=END)
    assert not stale.exists() and keep.exists()
    names = {p.name for p in tmp_path.iterdir()} - {"notes.txt", "manifest.json"}
    assert names == {e.file for e in manifest.files} | {e.control_file for e in manifest.files}
