"""Load existing orders from a CSV exported from a spreadsheet or an ERP.

The whole file is checked first; a file with any bad row imports nothing and the
error names every bad line, column and the fix. Each value set is recorded as an
``import`` event, so it is traceable like a value that came from mail.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from assistant.config import Config
from assistant.errors import AssistantError
from assistant.ledger import Ledger
from assistant.models import ORDER_STATUSES, Order, OrderEvent
from parsers.refs import find_refs
from parsers.types import Address

COLUMNS = ("refs", "customer", "vendor", "items", "promised", "required_by", "vendor_eta", "vendor_eta_confirmed", "status")
_TRUE = {"yes", "y", "true", "1", "confirmed", "확정"}
_FALSE = {"no", "n", "false", "0", "expected", "예정", ""}


class CsvImportError(AssistantError):
    """The CSV has bad rows; nothing was imported."""


@dataclass(frozen=True)
class OrderRow:
    line: int
    refs: tuple[tuple[str, str], ...]
    customer: str
    vendor: str
    values: dict


def read_rows(path: Path) -> list[OrderRow]:
    """Parse and check every row; raise with all problems at once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CsvImportError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if "refs" not in header or unknown:
        raise CsvImportError(
            f"{path.name}: header must include 'refs' and only these columns: {', '.join(COLUMNS)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        row_problems: list[str] = []
        row = _row(number, cells, row_problems)
        problems += [f"{path.name} line {number}: {p}" for p in row_problems]
        if row:
            rows.append(row)
    if problems:
        raise CsvImportError("nothing imported:\n  " + "\n  ".join(problems))
    return rows


def _row(number: int, cells: dict, problems: list[str]) -> OrderRow | None:
    refs = _refs(cells.get("refs", ""))
    if not refs:
        problems.append("refs: no order reference; give e.g. PO-2026-0412 or 'SO 7712345'")
    values: dict = {}
    for key in ("promised", "required_by", "vendor_eta"):
        if cells.get(key):
            try:
                values[key] = date.fromisoformat(cells[key])
            except ValueError:
                problems.append(f"{key}: expected a date as YYYY-MM-DD, got {cells[key]!r}")
    flag = cells.get("vendor_eta_confirmed", "").lower()
    if flag in _TRUE:
        values["vendor_eta_confirmed"] = True
    elif flag in _FALSE:
        values["vendor_eta_confirmed"] = False
    else:
        problems.append(f"vendor_eta_confirmed: expected yes or no, got {cells['vendor_eta_confirmed']!r}")
    status = cells.get("status", "")
    if status and status not in ORDER_STATUSES:
        problems.append(f"status: expected one of {', '.join(ORDER_STATUSES)}, got {status!r}")
    elif status:
        values["status"] = status
    if cells.get("items"):
        values["items"] = cells["items"]
    return OrderRow(number, refs, cells.get("customer", ""), cells.get("vendor", ""), values) if refs else None


def _refs(text: str) -> tuple[tuple[str, str], ...]:
    found = [(r.kind, r.value) for r in find_refs(text)]
    if found:
        return tuple(dict.fromkeys(found))
    tokens = [t.strip().upper() for t in text.replace(";", " ").split() if t.strip()]
    return tuple(("custom", t) for t in tokens)


def import_orders(session: Session, config: Config, path: Path, now: datetime) -> tuple[int, int]:
    """Create or update the orders in ``path``; return (created, updated)."""
    rows = read_rows(path)
    ledger = Ledger(session, config)
    created = updated = 0
    for row in rows:
        order = next((o for o in (ledger.by_ref(v) for _, v in row.refs) if o), None)
        if order is None:
            order = Order(status="open", items="", created_at=now, updated_at=now)
            session.add(order)
            session.flush()
            created += 1
        else:
            updated += 1
        for kind, value in row.refs:
            if ledger.by_ref(value) is None:
                ledger.add_ref(order, kind, value)
        _party(ledger, order, "customer", row.customer)
        _party(ledger, order, "vendor", row.vendor)
        sentence = f"imported from {path.name} line {row.line}"
        for field, value in row.values.items():
            old = getattr(order, field)
            if old != value:
                setattr(order, field, value)
                session.add(OrderEvent(order_id=order.id, at=now, kind="import", field=field,
                                       old_value=_text(old), new_value=_text(value), sentence=sentence))
        order.updated_at = now
        session.flush()
    return created, updated


def _party(ledger: Ledger, order: Order, kind: str, value: str) -> None:
    if not value:
        return
    email = value.lower() if "@" in value else None
    domain = (email.rpartition("@")[2] if email else value.lower()).lstrip("@")
    party = ledger.party(kind, domain)
    setattr(order, f"{kind}_id", party.id)
    if email:
        setattr(order, f"{kind}_contact_id", ledger.contact(party, Address("", email), None).id)


def _text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
