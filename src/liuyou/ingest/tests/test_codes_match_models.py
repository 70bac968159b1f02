"""The codes the value maps produce are exactly the customers models' choices, so a loader
never stores a code the pages and dictionaries do not know."""

from __future__ import annotations

import pytest

from liuyou.customers import models as cm
from liuyou.ingest import sources as src


@pytest.mark.parametrize(
    ("value_map", "choices"),
    [
        (src.SEGMENTS, cm.Segment),
        (src.CUSTOMER_KIND, cm.CustomerType),
        (src.RELATION_KIND, cm.RelationType),
        (src.GUARANTEE_KIND, cm.GuaranteeType),
        (src.LOAN_STATUS, cm.LoanStatus),
        (src.PRODUCT_KIND, cm.DepositProduct),
    ],
)
def test_value_maps_produce_model_codes(value_map, choices):
    assert set(value_map.values()) == set(choices.values)
    # and the bank's words are the models' Chinese labels
    assert {str(label) for label in choices.labels} <= set(value_map)
