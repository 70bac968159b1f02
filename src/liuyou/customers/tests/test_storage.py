"""Personal data at rest: the database holds ciphertext, an HMAC index and a mask, never the
plain ID or phone number, not even after reveals and exports were logged."""

from __future__ import annotations

import pytest
from django.db import connection

from liuyou.core import pii

from .conftest import ID_1, PHONE_1, plain_values


def _all_tables_text() -> str:
    """Every row of every table, as text: what anyone with database access would read."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.append(repr(cursor.fetchall()))
    return "\n".join(parts)


@pytest.mark.django_db
def test_customer_row_holds_cipher_digest_and_mask_only(book):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM customers_customer WHERE customer_no = %s", ["C1"])
        columns = [c[0] for c in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))
    assert row["name"] == "张三"
    assert ID_1 not in repr(row) and PHONE_1 not in repr(row)
    current = pii.keyring()[0].key_id
    assert row["id_no_cipher"].startswith(current + ":") and row["phone_cipher"].startswith(current + ":")
    assert pii.decrypt(row["id_no_cipher"]) == ID_1
    assert pii.decrypt(row["phone_cipher"]) == PHONE_1
    assert row["id_no_digest"] == pii.digest(ID_1)
    assert row["phone_digest"] == pii.digest(PHONE_1)
    assert row["id_no_masked"] == "4105**********123X"
    assert row["phone_masked"] == "138****5678"


@pytest.mark.django_db
def test_no_table_holds_a_plain_value_after_reveals_and_exports(book, role_users, login):
    client = login(role_users["risk_officer"])
    assert client.post("/customers/C1/reveal/id_no", HTTP_HX_REQUEST="true").status_code == 200
    assert client.post("/customers/C1/reveal/phone", HTTP_HX_REQUEST="true").status_code == 200
    assert client.get("/customers/export.xlsx").status_code == 200
    assert client.get("/customers/", {"q": ID_1}).status_code == 200
    dump = _all_tables_text()
    assert "张三" in dump and "pii.reveal" in dump and "pii.export" in dump  # the dump sees the data
    for value in plain_values():
        assert value not in dump


@pytest.mark.django_db
def test_sqlite_database_image_holds_no_plain_value(book):
    if connection.vendor != "sqlite":
        pytest.skip(
            "the database image check reads SQLite's own bytes; PostgreSQL is covered by the table dump"
        )
    connection.ensure_connection()
    image = connection.connection.serialize()  # the bytes the database file would hold
    assert "张三".encode() in image
    for value in plain_values():
        assert value.encode() not in image
        assert value.encode("utf-16-le") not in image


@pytest.mark.django_db
def test_postgresql_data_file_holds_no_plain_value(book):
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's heap file; SQLite is covered by the database image test")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("reading data files needs a superuser connection")
        cursor.execute("CHECKPOINT")  # write the table's dirty pages to its file
        cursor.execute("SELECT pg_read_binary_file(pg_relation_filepath('customers_customer'))")
        image = bytes(cursor.fetchone()[0])
    assert "张三".encode() in image  # the file holds the rows
    assert pii.keyring()[0].key_id.encode() in image  # ... and their ciphertexts
    for value in plain_values():
        assert value.encode() not in image
