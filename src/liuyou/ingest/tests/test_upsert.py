"""The set-based upsert every customer-data loader builds on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuyou.core import pii
from liuyou.customers.models import Customer, TxnMonthly, Village
from liuyou.ingest.loaders.upsert import INSERTED, UNCHANGED, UPDATED, Table

pytestmark = pytest.mark.django_db
D1, D2, D3 = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)


def villages() -> Table:
    return Table(
        Village,
        key=("code",),
        fields=("name", "grid_id"),
        lifecycle=True,
        open_values={"is_active": True},
        closed_values={"is_active": False},
    )


def test_insert_update_unchanged_and_close(bank):
    t = villages()
    status, pks = t.apply(
        {
            "410521100001": {"name": "东关村", "grid_id": bank.g1.pk},
            "410521100002": {"name": "西关", "grid_id": bank.g1.pk},
        },
        day=D1,
    )
    assert status == {"410521100001": INSERTED, "410521100002": INSERTED}
    east = Village.objects.get(code="410521100001")
    assert pks["410521100001"] == east.pk and (east.first_seen, east.last_seen, east.is_active) == (
        D1,
        D1,
        True,
    )

    status, _ = t.apply(
        {
            "410521100001": {"name": "东关村", "grid_id": bank.g1.pk},
            "410521100002": {"name": "西关社区", "grid_id": bank.g1.pk},
        },
        day=D2,
    )
    assert status == {"410521100001": UNCHANGED, "410521100002": UPDATED}
    east.refresh_from_db()
    assert east.last_seen == D2 and Village.objects.get(code="410521100002").name == "西关社区"

    assert t.close_missing({"410521100002"}, day=D3) == ["410521100001"]
    east.refresh_from_db()
    assert (east.closed_at, east.is_active) == (D3, False)

    # Seen again: reopened, which is an update even though no fact changed.
    status, _ = t.apply({"410521100001": {"name": "东关村", "grid_id": bank.g1.pk}}, day=D3)
    east.refresh_from_db()
    assert status == {"410521100001": UPDATED} and (east.closed_at, east.is_active, east.last_seen) == (
        None,
        True,
        D3,
    )


def test_protected_values_compared_by_digest_and_encrypted_only_when_changed(bank, make_customer):
    make_customer("C1", id_no="410521199001011234", phone="13800000001")
    before = Customer.objects.get(customer_no="C1")
    t = Table(Customer, key=("customer_no",), fields=("name",), protected={"id_no": "id", "phone": "phone"})
    status, _ = t.apply({"C1": {"name": "张三", "id_no": "410521199001011234", "phone": "13800000001"}})
    after = Customer.objects.get(customer_no="C1")
    assert status == {"C1": UNCHANGED} and after.id_no_cipher == before.id_no_cipher

    status, _ = t.apply({"C1": {"name": "张三", "id_no": "410521199001011234", "phone": "13900000002"}})
    after = Customer.objects.get(customer_no="C1")
    assert status == {"C1": UPDATED}
    assert after.id_no_cipher == before.id_no_cipher  # untouched: only the phone changed
    assert after.phone_cipher != before.phone_cipher and "13900000002" not in after.phone_cipher
    assert pii.decrypt(after.phone_cipher) == "13900000002" and after.phone_masked == "139****0002"
    assert after.phone_digest == pii.digest("13900000002")


def test_insert_fills_timestamps_and_protected_columns(bank):
    t = Table(
        Customer,
        key=("customer_no",),
        fields=("name", "customer_type", "org_id", "refused_marketing", "crm_tags", "status"),
        protected={"id_no": "id", "phone": "phone"},
    )
    status, pks = t.apply(
        {
            "C9": {
                "name": "李四",
                "customer_type": "individual",
                "org_id": bank.o1.pk,
                "refused_marketing": False,
                "crm_tags": "",
                "status": "active",
                "id_no": "410521199001011234",
                "phone": None,
            }
        }
    )
    c = Customer.objects.get(pk=pks["C9"])
    assert status == {"C9": INSERTED} and c.created_at is not None and c.updated_at is not None
    assert c.id_no_masked == "4105**********1234" and pii.decrypt(c.id_no_cipher) == "410521199001011234"
    assert (c.phone_cipher, c.phone_digest, c.phone_masked) == ("", "", "")


def test_statistics_refreshed_inside_the_load_on_postgresql(bank, monkeypatch):
    """A first load grows a table inside one transaction; PostgreSQL's planner must learn it."""
    from django.db import connection

    from liuyou.ingest.loaders import upsert

    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans without table statistics here")
    monkeypatch.setattr(upsert, "ANALYZE_EVERY", 2)
    t = villages()
    t.apply({f"4105211000{i:02d}": {"name": f"村{i}", "grid_id": bank.g1.pk} for i in range(5)}, day=D1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'customers_village'::regclass")
        assert cursor.fetchone()[0] == 5  # the uncommitted rows of this transaction are counted


def test_stage_compares_numbers_by_value_and_writes_only_changed_columns(bank, make_customer):
    customer = make_customer("T1", org=bank.o1)
    t = Table(TxnMonthly, key=("customer_id", "month"), fields=("credits", "debits", "txn_count"))
    key = (customer.pk, D1)
    status, pks = t.apply({key: {"credits": Decimal("100.00"), "debits": Decimal("0.10"), "txn_count": 3}})
    row = TxnMonthly.objects.get()
    assert status == {key: INSERTED} and pks == {key: row.pk}
    # 100 and 100.00 are the same amount: unchanged, nothing written.
    status, _ = t.apply(
        {key: {"credits": Decimal("100"), "debits": Decimal("0.1"), "txn_count": 3}}, month=D1
    )
    assert status == {key: UNCHANGED} and not t.changed_fields
    status, _ = t.apply(
        {key: {"credits": Decimal("100"), "debits": Decimal("0.20"), "txn_count": 3}}, month=D1
    )
    row.refresh_from_db()
    assert status == {key: UPDATED} and dict(t.changed_fields) == {"debits": 1}
    assert (row.credits, row.debits, row.txn_count) == (Decimal("100.00"), Decimal("0.20"), 3)
    # Narrowed to another month, the stored row is not found: a new row for that month.
    other = (customer.pk, D2)
    status, _ = t.apply({other: {"credits": Decimal("1"), "debits": Decimal("1"), "txn_count": 1}}, month=D2)
    assert status == {other: INSERTED} and TxnMonthly.objects.count() == 2


def test_stage_join_is_on_the_key_alone(bank, make_customer):
    """A narrowing on a key column (the month) stays out of the stage join: on PostgreSQL the
    statistics know no row of a new month, and the planner, expecting none, probed the stage
    once per stored row of that month (quadratic within a file)."""
    customer = make_customer("T2", org=bank.o1)
    t = Table(TxnMonthly, key=("customer_id", "month"), fields=("credits", "debits", "txn_count"))
    with CaptureQueriesContext(connection) as queries:
        t.apply(
            {(customer.pk, D2): {"credits": Decimal("1"), "debits": Decimal("0"), "txn_count": 1}}, month=D2
        )
    joins = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "stage_')]
    assert joins
    where = joins[0].split(" WHERE ", 1)[1]
    assert where.count('"month"') == 2  # t."month" = stage."month", and no t."month" = <date>
