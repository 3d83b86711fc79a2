"""Order references (PO, sales order, quote numbers) found in mail text.

Normalisation: upper case; a prefix keyword followed by a separator and the
number is joined without the separator (``S/O# 7712399`` -> ``SO7712399``,
``Order No. | 1038472915`` in a table row -> ``PO1038472915``,
``발주번호: 4500012346`` -> ``PO4500012346``, ``Quote #2026-0350`` ->
``Q2026-0350``).  A reference written with a hyphenated prefix stays as written
(``PO-2026-0412``).  "Order No." / "오더번호" / "주문번호" are read as the
customer's purchase order, so they normalise to ``PO``.  A table column headed by
a keyword ("Sales Order | Purchase Order | Line" over "98140011 | 4500013020 | 1.1")
makes the numbers below it references of that kind.

Bare numbers are never references: phone numbers, amounts, dates, serial and
part numbers, tracking numbers (unless configured through ``extra_patterns``).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from parsers.types import OrderRef

# The number after a keyword: starts with a digit, may carry letters and inner
# hyphens/slashes (``2026-0350``, ``4500012345``, ``77123-01``), at least 4 digits.
_NUMBER = r"(?P<num>\d[0-9A-Z]*(?:-[0-9A-Z]+)*)"
_END = r"(?![0-9A-Za-z]|[.,]\d)"
_SEP = r"(?:\s*(?:No\.?|Number|Num\.?|Nr\.?|번호|#|:|：|\.|\|)\s*)*\s*"
# Words that are also ordinary English need an explicit separator ("order of 5000").
_STRICT_SEP = r"\s*(?:No\.?|Number|Num\.?|Nr\.?|#|:)"
_START = r"(?<![0-9A-Za-z])"

_KEYWORDS = (
    ("so", rf"{_START}(?:S\s*/\s*O|S\.\s?O\.?|SO|(?i:so)(?=\s*#)|(?i:sales\s+order))"),
    ("po", rf"{_START}(?:P\s*/\s*O|P\.\s?O\.?|PO|(?i:po)(?=\s*#)|(?i:purchase\s+order)|(?i:order)(?={_STRICT_SEP})"
           rf"|(?:발주|주문|오더)\s*(?:서\s*)?(?=번호|No))"),
    ("quote", rf"{_START}(?:(?i:quotation|quote|qtn)(?={_STRICT_SEP}|\s*\d+-)|견적\s*(?:서\s*)?(?=번호|No)"
              rf"|Q(?={_STRICT_SEP}))"),
)
_PREFIX = {"so": "SO", "po": "PO", "quote": "Q"}

_KEYWORD_RES = tuple(
    (kind, re.compile(rf"(?:{kw}){_SEP}{_NUMBER}{_END}")) for kind, kw in _KEYWORDS
)
# A reference already written with its prefix and a hyphen: PO-2026-0412, Q-2026-0345.
_HYPHENATED_RE = re.compile(
    rf"{_START}(?P<prefix>PO|SO|QT|Q)-(?P<num>\d[0-9A-Z]*(?:-[0-9A-Z]+)*){_END}", re.IGNORECASE
)
_HYPHEN_KIND = {"PO": "po", "SO": "so", "Q": "quote", "QT": "quote"}
# A list continuing a keyword reference: "PO# 4500012345, 4500012346 및 4500012347".
_CONTINUATION_RE = re.compile(rf"\s*(?:,|/|&|and|및|과|와)\s*(?P<num>\d{{6,}}){_END}")
_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


# Table rows: ``|`` cells, or fixed-width columns (two or more spaces apart).
_PIPE_CELL = re.compile(r"[^|]+")
_FIXED_CELL = re.compile(r"\S+(?: \S+)*")
_MIN_FIXED_WIDTH_CELLS = 3
# A column header naming a reference kind ("Sales Order #", "Customer PO", "발주번호").
_HEADER_KINDS = (
    ("so", re.compile(r"(?:^|\s)(?:S\s*/\s*O|SO|(?i:sales\s+order))(?:\s*(?:No\.?|Number|#))?\s*:?$")),
    ("po", re.compile(r"(?:^|\s)(?:P\s*/\s*O|PO|(?i:purchase\s+order|order))(?:\s*(?:No\.?|Number|#))?\s*:?$"
                      r"|^(?:발주|주문|오더)\s*(?:서\s*)?번호$")),
    ("quote", re.compile(r"(?:^|\s)(?i:quote|quotation)(?:\s*(?:No\.?|Number|#))?\s*:?$|^견적\s*(?:서\s*)?번호$")),
)
_CELL_NUMBER = re.compile(r"#?\s*(?P<num>\d[0-9A-Z]*(?:-[0-9A-Z]+)*)")


def row_cells(line: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each cell of a table row in ``line``: ``|``-separated, or at
    least three fixed-width columns; no cells for a line that is not a row."""
    if "|" in line:
        cells = [(m.start(), m.end()) for m in _PIPE_CELL.finditer(line)]
    elif "  " in line or "\t" in line:
        cells = [(m.start(), m.end()) for m in _FIXED_CELL.finditer(line)]
        if len(cells) < _MIN_FIXED_WIDTH_CELLS:
            return []
    else:
        return []
    return cells if len(cells) >= 2 else []


def _header_kinds(line: str, cells: list[tuple[int, int]]) -> dict[int, str]:
    """Column index -> reference kind for the cells of ``line`` that name one."""
    kinds = {}
    for i, (start, end) in enumerate(cells):
        cell = line[start:end].strip()
        kind = next((k for k, rx in _HEADER_KINDS if rx.search(cell)), None)
        if kind is not None:
            kinds[i] = kind
    return kinds


def _column_refs(text: str) -> Iterable[tuple[int, int, OrderRef]]:
    """References in table columns headed by a reference keyword: each number below
    such a header, in consecutive rows with as many cells."""
    header: dict[int, str] = {}
    width = 0
    for m in re.finditer(r"[^\n]+", text):
        line, cells = m.group(0), row_cells(m.group(0))
        if len(cells) != width or not header:
            header, width = _header_kinds(line, cells), len(cells)
            continue
        for i, kind in header.items():
            start, end = cells[i]
            cell = _CELL_NUMBER.fullmatch(line[start:end].strip())
            if cell is not None and _plausible(number := cell.group("num")):
                at = m.start() + start + line[start:end].index(number)
                yield at, at + len(number), OrderRef(kind, _PREFIX[kind] + number, number)


def _plausible(number: str) -> bool:
    """A keyword's number: enough digits and not a calendar date."""
    return sum(c.isdigit() for c in number) >= 4 and not _DATE_RE.fullmatch(number)


@lru_cache(maxsize=32)
def _compile_extra(patterns: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((kind, re.compile(rx)) for kind, rx in patterns)


def find_ref_spans(text: str, extra_patterns: tuple[tuple[str, str], ...] = ()) -> list[tuple[int, int, OrderRef]]:
    """Every reference occurrence as ``(start, end, ref)``, non-overlapping, sorted by start.

    ``extra_patterns`` are ``(kind, regex)`` pairs from the configuration; the value
    of a match is its first group (or the whole match), upper-cased.  They win over
    the built-in patterns where both match.
    """
    found: list[tuple[int, int, OrderRef]] = []

    def add(start: int, end: int, ref: OrderRef) -> None:
        if not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, ref))

    for kind, rx in _compile_extra(extra_patterns):
        for m in rx.finditer(text):
            value = (m.group(1) if rx.groups else m.group(0)).upper()
            add(m.start(), m.end(), OrderRef(kind, value, m.group(0)))
    for m in _HYPHENATED_RE.finditer(text):
        add(m.start(), m.end(), OrderRef(_HYPHEN_KIND[m.group("prefix").upper()], m.group(0).upper(), m.group(0)))
    for kind, rx in _KEYWORD_RES:
        for m in rx.finditer(text):
            number = m.group("num").upper()
            if not _plausible(number):
                continue
            add(m.start(), m.end(), OrderRef(kind, _PREFIX[kind] + number, m.group(0)))
            pos = m.end()
            while (c := _CONTINUATION_RE.match(text, pos)) is not None:
                add(c.start("num"), c.end(), OrderRef(kind, _PREFIX[kind] + c.group("num"), c.group("num")))
                pos = c.end()
    if "|" in text or "  " in text:
        for start, end, ref in _column_refs(text):
            add(start, end, ref)
    found.sort(key=lambda item: item[0])
    return found


def find_refs(text: str, extra_patterns: tuple[tuple[str, str], ...] = ()) -> list[OrderRef]:
    """Order references in ``text``, deduplicated by value, in order of first appearance.

    ``extra_patterns`` are ``(kind, regex)`` pairs from the configuration (tracking
    numbers, customer-specific order numbers).
    """
    return dedupe(ref for _, _, ref in find_ref_spans(text or "", extra_patterns))


def dedupe(refs: Iterable[OrderRef]) -> list[OrderRef]:
    """``refs`` without repeated values, first appearance kept."""
    seen: set[str] = set()
    out = []
    for ref in refs:
        if ref.value not in seen:
            seen.add(ref.value)
            out.append(ref)
    return out
