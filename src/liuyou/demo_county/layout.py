"""The headers of every source (from the ingest specs, which follow shared/extracts.md), the
encoding each source system exports in, and the import order."""

from __future__ import annotations

from liuyou.ingest.sources import SOURCES

# Declared once, in the ingest specs: the generator writes exactly what the import reads.
HEADERS: dict[str, list[str]] = {name: source.headers for name, source in SOURCES.items()}

# Core banking exports GBK, as many core systems do; the others write UTF-8 with a BOM.
GBK_SOURCES = frozenset({"core_customer", "core_deposit"})

# The order the files must be imported in: references before the rows that use them.
IMPORT_ORDER = [
    "org", "staff", "village", "core_customer", "crm_customer", "relation", "core_deposit",
    "credit_line", "credit_loan", "guarantee", "bureau", "txn_monthly",
]  # fmt: skip

FULL_SOURCES = frozenset(name for name, source in SOURCES.items() if source.full)


def encoding_of(source: str) -> str:
    return "gbk" if source in GBK_SOURCES else "utf-8-sig"
