"""Value and header clean-up applied before any check (shared/extracts.md, "Values")."""

from __future__ import annotations

import re

# Full-width digits and Latin letters fold to half-width. Full-width punctuation stays:
# （） and ，are ordinary in Chinese names and addresses.
_FOLD: dict[int, int | None] = {
    cp: cp - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for cp in range(lo, hi + 1)
}
_FOLD[ord("\t")] = None  # tabs are noise wherever they appear
_FOLD[0xFEFF] = None  # a stray BOM inside a cell
# Most cells need no folding; one regex search is cheaper than a translate.
_NEEDS_FOLD = re.compile("[\t\ufeff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")

# str.strip() without arguments strips Unicode whitespace, the full-width space U+3000 too.


def clean_value(value: str | None) -> str:
    """Fold full-width, drop tabs, strip surrounding spaces and one leading `'` (Excel's
    text marker, which may itself sit behind spaces)."""
    if not value:
        return ""
    if _NEEDS_FOLD.search(value):
        value = value.translate(_FOLD)
    return clean_text(value)


def clean_cells(cells: list[str]) -> list[str]:
    """The record with full-width folded and tabs dropped, decided once per record: almost
    no record needs it, and one search over the joined record costs less than one per cell.
    Cells are not stripped here: `clean_text` does that per cell used."""
    if _NEEDS_FOLD.search("".join(cells)):
        return [c.translate(_FOLD) for c in cells]
    return cells


def clean_text(value: str) -> str:
    """`clean_value` of a cell `clean_cells` already folded."""
    text = value.strip()
    if text[:1] == "'":
        text = text[1:].strip()
    return text


def clean_header(header: str | None) -> str:
    """Headers ignore surrounding spaces, full-width spaces and the BOM of a first column."""
    if not header:
        return ""
    return header.replace("\ufeff", "").translate(_FOLD).strip()
