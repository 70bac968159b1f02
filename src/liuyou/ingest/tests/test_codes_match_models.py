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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("dict_code", "choices"),
    [
        ("segment", cm.Segment),
        ("relation_type", cm.RelationType),
        ("deposit_product", cm.DepositProduct),
        ("account_status", cm.AccountStatus),
        ("loan_status", cm.LoanStatus),
        ("credit_line_status", cm.CreditLineStatus),
        ("guarantee_type", cm.GuaranteeType),
        ("manager_role", cm.ManagerRole),
    ],
)
def test_dictionaries_label_every_model_code(dict_code, choices):
    from liuyou.system.models import DictItem

    items = dict(DictItem.objects.filter(dict_type__code=dict_code).values_list("value", "label"))
    assert items == {value: str(label) for value, label in choices.choices}
