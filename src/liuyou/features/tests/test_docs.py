"""docs/features.md documents every column of the feature table, column by column."""

from __future__ import annotations

from pathlib import Path

from liuyou.features.columns import COLUMNS
from liuyou.features.models import CustomerFeature
from liuyou.features.statement import COLUMNS as WRITTEN

DOC = Path(__file__).resolve().parents[4] / "docs" / "features.md"


def test_every_written_column_is_defined_and_documented():
    text = DOC.read_text(encoding="utf-8")
    defined = {c.name for c in COLUMNS}
    model = {f.attname for f in CustomerFeature._meta.concrete_fields} - {"id"}
    assert set(WRITTEN) == model
    indicators = model - {"customer_id", "data_date", "org_id", "grid_id", "village_id", "manager_id"}
    assert indicators == defined
    for column in COLUMNS:
        assert f"| `{column.name}` | {column.label} |" in text, column.name
