"""Loaders: one per source whose target tables exist. A source without a loader can only
be validated (`liuyou import --validate-only`); it is never pretended to load."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from liuyou.ingest.loaders.base import Loader

# source -> "module:Class" under liuyou.ingest.loaders. Imported on demand: loaders import
# the models of the apps they write to.
LOADERS = {
    "org": "org:OrgLoader",
    "staff": "staff:StaffLoader",
    "village": "village:VillageLoader",
    "core_customer": "core_customer:CoreCustomerLoader",
    "crm_customer": "crm_customer:CrmCustomerLoader",
    "relation": "relation:RelationLoader",
    "core_deposit": "core_deposit:DepositLoader",
    "credit_loan": "credit_loan:LoanLoader",
    "credit_line": "credit_line:CreditLineLoader",
    "guarantee": "guarantee:GuaranteeLoader",
    "bureau": "bureau:BureauLoader",
    "txn_monthly": "txn_monthly:TxnMonthlyLoader",
}


def _module(source: str) -> str | None:
    spec = LOADERS.get(source)
    if spec is None:
        return None
    name = f"{__name__}.{spec.partition(':')[0]}"
    return name if find_spec(name) is not None else None


def get(source: str) -> Loader | None:
    module = _module(source)
    if module is None:
        return None
    cls = getattr(import_module(module), LOADERS[source].partition(":")[2])
    return cls()


def ready() -> frozenset[str]:
    """The sources that load today."""
    return frozenset(s for s in LOADERS if _module(s) is not None)
