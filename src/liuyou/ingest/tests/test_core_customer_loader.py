"""The core customer extract: upsert by 客户号, references, full-file closing, older files."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric, uscc

from liuyou.core import pii
from liuyou.customers.models import Customer, Village
from liuyou.ingest import identity

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
CORE_HEADER = [
    "客户号",
    "客户名称",
    "客户类型",
    "证件类型",
    "证件号码",
    "统一社会信用代码",
    "性别",
    "出生日期",
    "手机号码",
    "联系地址",
    "村编码",
    "开户机构号",
    "开户日期",
    "是否社保卡",
    "是否代发工资",
]
V1, V2 = "410521100001", "410521100002"  # V1 served by grid 1G1, V2 by outlet 101


def rid(birth: str, seq: str = "123") -> str:
    """A valid 18-character resident ID born on `birth` (YYYYMMDD); odd `seq` is male."""
    body = "410521" + birth + seq
    return body + ric.calc_check_digit(body + "0")


def credit_code(body: str = "MA123456") -> str:
    code = "91410521" + body + identity.org_code_check(body)
    return code + uscc.calc_check_digit(code + "0")


def person(no: str, name: str, id_no: str, **kw: str) -> list[str]:
    """An individual's core row; keyword args override columns by our short names."""
    row = {
        "type": "个人",
        "id_type": "居民身份证",
        "id_no": id_no,
        "code": "",
        "sex": "",
        "birth": "",
        "phone": "",
        "address": "城关镇东关村",
        "village": V1,
        "org": "101",
        "opened": "2020-01-02",
        "card": "是",
        "payroll": "",
    } | kw
    return [no, name, *row.values()]


def enterprise(no: str, name: str, code: str, id_no: str = "", **kw: str) -> list[str]:
    return person(no, name, id_no, type="企业", id_type="", code=code, **kw)


def core_file(tmp_path, rows, day="20250301"):
    return write_csv(tmp_path / f"core_customer_{day}.csv", CORE_HEADER, rows)


@pytest.fixture
def villages(bank):
    for code, name, org in ((V1, "东关村", bank.g1), (V2, "西关村", bank.o1)):
        Village.objects.create(
            code=code, name=name, grid=org, first_seen=date(2025, 1, 1), last_seen=date(2025, 1, 1)
        )
    return bank


def two_people():
    return [
        person("C001", "张三", rid("19900101", "133"), phone="13800000001", sex="男"),
        person("C002", "李四", rid("19850505", "242"), village=V2, org="100"),
        enterprise("E001", "东关蔬菜合作社", credit_code(), village=""),
    ]


def test_load_values_grid_and_protected_columns(tmp_path, villages):
    r = run("core_customer", core_file(tmp_path, two_people()))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 3, 3, 0, 0, 0)
    zs = Customer.objects.get(customer_no="C001")
    assert (zs.name, zs.customer_type, zs.id_type, zs.sex, zs.birth_date) == (
        "张三",
        "individual",
        "resident_id",
        "M",
        None,
    )
    assert (zs.org_id, zs.village.code, zs.grid_id) == (villages.o1.pk, V1, villages.g1.pk)
    assert (zs.status, zs.first_seen, zs.last_seen, zs.closed_at) == (
        "active",
        date(2025, 3, 1),
        date(2025, 3, 1),
        None,
    )
    assert zs.has_social_security_card is True and zs.is_payroll is None and zs.open_date == date(2020, 1, 2)
    assert zs.id_no_masked == rid("19900101", "133")[:4] + "*" * 10 + rid("19900101", "133")[-4:]
    assert zs.phone_masked == "138****0001" and "13800000001" not in zs.phone_cipher
    assert pii.reveal(zs, "phone") == "13800000001"
    assert zs.id_no_digest == pii.digest(rid("19900101", "133"))
    ls = Customer.objects.get(customer_no="C002")
    # A village served by an outlet gives no grid.
    assert (ls.org_id, ls.village.code, ls.grid_id) == (villages.b1.pk, V2, None)
    ent = Customer.objects.get(customer_no="E001")
    assert (ent.customer_type, ent.credit_code, ent.village_id, ent.id_no_digest) == (
        "enterprise",
        credit_code(),
        None,
        "",
    )


def test_reload_is_unchanged_and_writes_nothing(tmp_path, villages):
    run("core_customer", core_file(tmp_path, two_people()))
    before = {c.customer_no: (c.updated_at, c.id_no_cipher, c.phone_cipher) for c in Customer.objects.all()}
    again = run("core_customer", core_file(tmp_path, two_people()))
    assert (again.read, again.inserted, again.updated, again.unchanged, again.closed) == (3, 0, 0, 3, 0)
    after = {c.customer_no: (c.updated_at, c.id_no_cipher, c.phone_cipher) for c in Customer.objects.all()}
    assert after == before

    later = run("core_customer", core_file(tmp_path, two_people(), day="20250302"))
    assert (later.updated, later.unchanged) == (0, 3)
    assert Customer.objects.get(customer_no="C001").last_seen == date(2025, 3, 2)


def test_changes_are_updates(tmp_path, villages):
    run("core_customer", core_file(tmp_path, two_people()))
    rows = two_people()
    rows[0] = person("C001", "张三", rid("19900101", "133"), phone="13900000009", sex="男", village=V2)
    r = run("core_customer", core_file(tmp_path, rows, day="20250302"))
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 2)
    zs = Customer.objects.get(customer_no="C001")
    assert (zs.phone_masked, zs.village.code, zs.grid_id) == ("139****0009", V2, None)
    assert pii.reveal(zs, "phone") == "13900000009"


def test_full_file_closes_and_reopens(tmp_path, villages):
    run("core_customer", core_file(tmp_path, two_people()))
    r = run("core_customer", core_file(tmp_path, two_people()[:2], day="20250401"))
    assert (r.unchanged, r.closed) == (2, 1)
    ent = Customer.objects.get(customer_no="E001")
    assert (ent.status, ent.closed_at) == ("closed", date(2025, 4, 1))

    back = run("core_customer", core_file(tmp_path, two_people(), day="20250501"))
    assert (back.updated, back.unchanged, back.closed) == (1, 2, 0)
    ent.refresh_from_db()
    assert (ent.status, ent.closed_at, ent.last_seen, ent.first_seen) == (
        "active",
        None,
        date(2025, 5, 1),
        date(2025, 3, 1),
    )


def test_a_rejected_row_does_not_close_its_customer(tmp_path, villages):
    run("core_customer", core_file(tmp_path, two_people()))
    rows = two_people()
    rows[1] = person("C002", "李四", rid("19850505", "242"), village=V2, org="NOPE")
    r = run("core_customer", core_file(tmp_path, rows, day="20250401"))
    assert (r.rejected, r.closed) == (1, 0)
    assert Customer.objects.get(customer_no="C002").status == "active"


def test_reference_and_required_rejections(tmp_path, villages):
    rows = [
        person("R1", "甲", rid("19900101", "111"), village="410521999999"),
        person("R2", "乙", rid("19900101", "131"), village="4105211"),
        person("R3", "丙", rid("19900101", "151"), org=""),
        person("R4", "丁", rid("19900101", "171"), org="999"),
        enterprise("R5", "某公司", "", id_no=rid("19900101", "191")),
        person("R6", "戊", "", code=credit_code()),
        person("R7", "名" * 101, rid("19900101", "211")),
        person("OK", "己", rid("19900101", "231")),
    ]
    r = run("core_customer", core_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (8, 1, 7)
    _, lines = read_rejects(r.reject_file)
    reasons = {line[0]: (line[-2], line[-1]) for line in lines[1:]}
    assert reasons["R1"] == ("村编码", "村编码：村编码 410521999999 不存在")
    assert reasons["R2"][0] == "村编码" and "12位数字" in reasons["R2"][1]
    assert reasons["R3"] == ("开户机构号", "开户机构号：开户机构号为空：客户必须有开户机构")
    assert reasons["R4"] == ("开户机构号", "开户机构号：开户机构号 999 不存在")
    assert reasons["R5"] == ("统一社会信用代码", "统一社会信用代码：企业客户须填写统一社会信用代码")
    assert reasons["R6"] == ("证件号码", "证件号码：个人客户须填写证件号码")
    assert reasons["R7"] == ("客户名称", "客户名称：长度超过 100 个字符")
    assert list(Customer.objects.values_list("customer_no", flat=True)) == ["OK"]


def test_an_older_file_changes_nothing(tmp_path, villages):
    run("core_customer", core_file(tmp_path, two_people(), day="20250401"))
    rows = [person("C001", "张三丰", rid("19900101", "133")), person("NEW", "新", rid("19900101", "251"))]
    rows.append(person("BAD", "坏", rid("19900101", "271"), org="999"))
    r = run("core_customer", core_file(tmp_path, rows, day="20250301"))
    assert (r.status, r.inserted, r.updated, r.unchanged, r.rejected, r.closed) == (
        "completed",
        0,
        0,
        2,
        1,
        0,
    )
    assert Customer.objects.get(customer_no="C001").name == "张三"
    assert not Customer.objects.filter(customer_no="NEW").exists()
    assert Customer.objects.filter(status="active").count() == 3
