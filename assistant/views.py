"""Read-only views of the ledger for the CLI: rows for tables and JSON, and their rendering."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.config import Config
from assistant.drafts import DraftWriter
from assistant.errors import NotFound
from assistant.ledger import days_slipped, is_late
from assistant.models import Draft, Message, Order, OrderRef
from assistant.planner import DraftPlan, Planner
from parsers.types import Address


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def next_action(order: Order, planner: Planner, now: datetime) -> str:
    """What the rep should do next about ``order``, in a few words."""
    day = planner.local_day(now)
    if order.status == "delivered":
        return "none (delivered)"
    if order.status == "cancelled":
        return "none (cancelled)"
    if order.status == "shipped":
        return "wait for arrival"
    if order.status == "delayed" or is_late(order, day):
        if not (order.last_customer_update_at and planner.local_day(order.last_customer_update_at) == day):
            return "update the customer today"
        return "chase the vendor for a confirmed date"
    if order.vendor_eta is None:
        return "ask the vendor for an ETA"
    if not order.vendor_eta_confirmed:
        return "get the vendor to confirm the date"
    return "wait for delivery"


def order_rows(session: Session, config: Config, now: datetime, status: str | None = None) -> list[dict]:
    planner = Planner(session, config)
    query = select(Order).order_by(Order.id)
    if status:
        query = query.where(Order.status == status)
    rows = []
    for order in session.scalars(query):
        updated = order.last_customer_update_at
        rows.append(
            {
                "reference": order.reference,
                "refs": [r.value for r in order.refs],
                "customer": order.customer.name if order.customer else "",
                "vendor": order.vendor.name if order.vendor else "",
                "items": order.items,
                "status": order.status,
                "promised": _iso(order.promised),
                "required_by": _iso(order.required_by),
                "vendor_eta": _iso(order.vendor_eta),
                "vendor_eta_confirmed": order.vendor_eta_confirmed,
                "eta_changes": sum(1 for e in order.events if e.field == "vendor_eta"),
                "slipped": days_slipped(order),
                "late": is_late(order, planner.local_day(now)),
                "updated": (planner.local_day(now) - planner.local_day(updated)).days if updated else None,
                "next_action": next_action(order, planner, now),
            }
        )
    return rows


def draft_rows(session: Session) -> list[dict]:
    rows = []
    for draft in session.scalars(select(Draft).order_by(Draft.id)):
        rows.append(
            {
                "day": draft.day.isoformat(),
                "kind": draft.kind,
                "order": draft.order.reference if draft.order else "",
                "to": draft.to_addr,
                "language": draft.language,
                "state": draft.state,
                "subject": draft.subject,
                "key": draft.key,
                "message_id": draft.message_id,
                "in_reply_to": draft.in_reply_to,
            }
        )
    return rows


def unmatched_rows(session: Session) -> list[dict]:
    rows = []
    for record in session.scalars(select(Message).where(Message.status == "unmatched").order_by(Message.sent_at, Message.id)):
        data = record.extraction or {}
        rows.append(
            {
                "message_id": record.message_id,
                "sent_at": _iso(record.sent_at),
                "sender": record.sender,
                "subject": record.subject,
                "event": data.get("event"),
                "order_refs": " ".join(data.get("order_refs", [])),
                "reason": record.reason,
            }
        )
    return rows


def find_order(session: Session, ref: str) -> Order | None:
    value = ref.strip().upper()
    found = session.scalar(select(OrderRef).where(OrderRef.value == value))
    if found:
        return found.order
    if value.startswith("#") and value[1:].isdigit():
        return session.get(Order, int(value[1:]))
    return None


def order_detail(session: Session, ref: str) -> dict | None:
    order = find_order(session, ref)
    if order is None:
        return None
    timeline = []
    for event in order.events:
        message: Message | None = event.message
        timeline.append(
            {
                "at": event.at.isoformat(),
                "kind": event.kind,
                "field": event.field,
                "old": event.old_value,
                "new": event.new_value,
                "confirmed": event.confirmed,
                "sentence": event.sentence,
                "sender": event.sender,
                "message_id": message.message_id if message else None,
                "subject": message.subject if message else None,
            }
        )
    return {
        "reference": order.reference,
        "refs": [{"kind": r.kind, "value": r.value} for r in order.refs],
        "customer": order.customer.name if order.customer else None,
        "customer_contact": order.customer_contact.email if order.customer_contact else None,
        "vendor": order.vendor.name if order.vendor else None,
        "vendor_contact": order.vendor_contact.email if order.vendor_contact else None,
        "items": order.items,
        "status": order.status,
        "promised": _iso(order.promised),
        "required_by": _iso(order.required_by),
        "vendor_eta": _iso(order.vendor_eta),
        "vendor_eta_confirmed": order.vendor_eta_confirmed,
        "delay_reason": order.delay_reason,
        "days_slipped": days_slipped(order),
        "timeline": timeline,
    }


def preview_draft(session: Session, config: Config, ref: str, kind: str, now: datetime) -> str:
    order = find_order(session, ref)
    if order is None:
        raise NotFound(f"no order with reference {ref!r}; see `assistant orders`")
    planner = Planner(session, config)
    contact = order.vendor_contact if kind == "vendor_chase" else order.customer_contact
    if contact is None:
        raise NotFound(f"order {order.reference} has no {'vendor' if kind == 'vendor_chase' else 'customer'} contact yet")
    plan = DraftPlan(kind, order.id, Address(contact.name, contact.email), planner.language_for(contact), None, planner.local_day(now), "preview")
    rendered = DraftWriter(session, config, planner.next_update_day).render(plan, order, None)
    return f"To: {contact.name} <{contact.email}>\nSubject: {rendered.subject}\n\n{rendered.body}"


def _console() -> Console:
    """A console that keeps table rows whole when stdout is a pipe or a file."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    console = _console()
    if not rows:
        console.print(f"No {title.lower()}.")
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if column == "vendor_eta" and value:
                value = f"{value} ({'confirmed' if row.get('vendor_eta_confirmed') else 'expected'})"
            cells.append("" if value is None else str(value))
        table.add_row(*cells)
    console.print(table)


def print_order(detail: dict, zone: str) -> None:
    console = _console()
    eta = detail["vendor_eta"]
    if eta:
        eta = f"{eta} ({'confirmed' if detail['vendor_eta_confirmed'] else 'expected'})"
    console.print(f"[bold]{detail['reference']}[/bold]  {', '.join(r['value'] for r in detail['refs'])}")
    for label, key in (("customer", "customer"), ("vendor", "vendor"), ("status", "status"), ("promised", "promised"), ("required by", "required_by"), ("reason", "delay_reason")):
        if detail.get(key):
            console.print(f"  {label:12} {detail[key]}")
    console.print(f"  {'vendor ETA':12} {eta or '-'}  (slipped {detail['days_slipped']} days)")
    console.print("  timeline:")
    for event in detail["timeline"]:
        at = datetime.fromisoformat(event["at"]).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        change = f"{event['field']}: {event['old'] or '-'} -> {event['new']}" if event["field"] else event["kind"]
        console.print(f"   {at}  {change}  [{event['sender'] or ''}]", markup=False)
        if event["sentence"]:
            console.print(f"      \"{event['sentence']}\"", markup=False)
