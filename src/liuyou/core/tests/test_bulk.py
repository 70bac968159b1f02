"""core.bulk: rows written and keyed lookups read the way each database takes them."""

from __future__ import annotations

import pytest

from liuyou.core.bulk import insert_rows, pairs_by_key
from liuyou.system.models import DictType


@pytest.mark.django_db
def test_pairs_by_key_reads_every_chunk_and_only_the_keys_asked():
    insert_rows(
        DictType,
        ["code", "name", "description", "is_builtin", "is_active"],
        [[f"bulk_{i}", f"字典{i}", "", False, True] for i in range(7)],
    )
    found = pairs_by_key(DictType, "code", "name", [f"bulk_{i}" for i in (0, 2, 3, 5, 6)] + ["nope"], chunk=2)
    assert found == {
        "bulk_0": "字典0",
        "bulk_2": "字典2",
        "bulk_3": "字典3",
        "bulk_5": "字典5",
        "bulk_6": "字典6",
    }
    assert pairs_by_key(DictType, "code", "name", []) == {}
