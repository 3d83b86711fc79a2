"""The weekly summary's figures: a pure function of the ledger and the clock.

``build_summary(session, config, now)`` reads orders, their events, drafts and
unmatched messages and returns a ``WeeklySummary``; nothing is written. The
definitions (first ETA, slip, on time, confirmed kept) are in docs/summary.md.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assistant.config import Config
from assistant.ledger import is_late
from assistant.models import ORDER_STATUSES, Draft, Message, Order
from assistant.workdays import business_days_between, country_for

WINDOWS = (90, 365)
PERIOD_DAYS = 7
UNMATCHED_LISTED = 20
# Why an open order is at risk, in the order they are shown.
RISKS = ("eta_after_promised", "eta_after_required_by", "past_promised", "unconfirmed_soon", "vendor_silent")


@dataclass(frozen=True)
class EtaGiven:
    """One date the vendor gave: the date, when it was said (rep's local time) and whether firm."""

    said_at: datetime
    eta: date
    confirmed: bool


@dataclass(frozen=True)
class OrderLine:
    """One order as the summary shows it."""

    order_id: int
    reference: str
    customer: str
    vendor: str
    status: str
    promised: date | None
    required_by: date | None
    vendor_eta: date | None
    vendor_eta_confirmed: bool
    history: tuple[EtaGiven, ...]
    delivered_on: date | None
    slip_days: int | None
    eta_changes: int
    days_since_customer_update: int | None
    days_since_vendor_word: int | None
    risks: tuple[str, ...]

    @property
    def first_eta(self) -> date | None:
        return self.history[0].eta if self.history else None


@dataclass(frozen=True)
class VendorStats:
    """How far one vendor's dates held over the last ``window_days`` (orders by their first ETA)."""

    vendor: str
    window_days: int
    orders: int
    decided: int
    on_time: int
    mean_slip: float | None
    worst_slip: int | None
    eta_changes_per_order: float | None
    confirmed_kept: int
    confirmed_broken: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.decided if self.decided else None


@dataclass(frozen=True)
class DraftFates:
    """The drafts made during the period and what became of them."""

    made: int
    sent: int
    waiting: int
    deleted: int
    by_kind: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class UnmatchedMail:
    """An order-related message the assistant could not place; the rep must resolve it."""

    sent_at: datetime | None
    sender: str
    subject: str


@dataclass(frozen=True)
class WeeklySummary:
    """Everything the weekly summary says, as of ``now``."""

    now: datetime
    today: date
    iso_week: str
    period_start: date
    language: str
    rep_name: str
    horizon_business_days: int
    vendor_silence_business_days: int
    status_counts: tuple[tuple[str, int], ...]
    at_risk: tuple[OrderLine, ...]
    delayed: tuple[OrderLine, ...]
    vendors: tuple[VendorStats, ...]
    drafts: DraftFates
    unmatched: tuple[UnmatchedMail, ...]
    unmatched_total: int

    @property
    def total_orders(self) -> int:
        return sum(count for _, count in self.status_counts)

    @property
    def charted(self) -> tuple[OrderLine, ...]:
        """The orders drawn in the ETA history chart: at risk or delayed, with at least one ETA."""
        seen: dict[int, OrderLine] = {}
        for line in (*self.delayed, *self.at_risk):
            if line.history:
                seen.setdefault(line.order_id, line)
        return tuple(seen.values())

    def vendor_stats(self, window_days: int) -> tuple[VendorStats, ...]:
        return tuple(v for v in self.vendors if v.window_days == window_days)


def iso_week(day: date) -> str:
    """``2026-W49`` for a day in ISO week 49 of 2026."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def build_summary(session: Session, config: Config, now: datetime) -> WeeklySummary:
    """The figures of the weekly summary as of ``now``."""
    zone = ZoneInfo(config.rep.timezone)
    today = now.astimezone(zone).date()
    orders = list(
        session.scalars(
            select(Order)
            .options(selectinload(Order.events), selectinload(Order.refs), selectinload(Order.vendor), selectinload(Order.customer))
            .order_by(Order.id)
        )
    )
    lines = {o.id: _order_line(o, config, zone, today) for o in orders}
    counts = Counter(o.status for o in orders)
    open_lines = [lines[o.id] for o in orders if o.is_open]
    period_start = today - timedelta(days=PERIOD_DAYS - 1)
    unmatched = list(
        session.scalars(select(Message).where(Message.status == "unmatched").order_by(Message.sent_at.desc(), Message.id.desc()))
    )
    return WeeklySummary(
        now=now,
        today=today,
        iso_week=iso_week(today),
        period_start=period_start,
        language=config.rep.language,
        rep_name=config.rep.name,
        horizon_business_days=config.summary.horizon_business_days,
        vendor_silence_business_days=config.summary.vendor_silence_business_days,
        status_counts=tuple((s, counts[s]) for s in ORDER_STATUSES if counts[s]),
        at_risk=tuple(line for line in open_lines if line.risks),
        delayed=tuple(lines[o.id] for o in orders if o.is_open and (o.status == "delayed" or is_late(o, today))),
        vendors=tuple(s for days in WINDOWS for s in _vendor_stats(lines.values(), today, days)),
        drafts=_draft_fates(session, period_start, today),
        unmatched=tuple(UnmatchedMail(m.sent_at, m.sender or "", m.subject or "") for m in unmatched[:UNMATCHED_LISTED]),
        unmatched_total=len(unmatched),
    )


def _order_line(order: Order, config: Config, zone: ZoneInfo, today: date) -> OrderLine:
    history = tuple(
        EtaGiven(e.at.astimezone(zone), date.fromisoformat(e.new_value), bool(e.confirmed))
        for e in sorted(order.events, key=lambda e: (e.at, e.id))
        if e.field == "vendor_eta" and e.new_value
    )
    delivered = next(
        (e.at.astimezone(zone).date() for e in sorted(order.events, key=lambda e: (e.at, e.id)) if e.field == "status" and e.new_value == "delivered"),
        None,
    )
    slip = None
    if history:
        end = delivered or order.vendor_eta or history[-1].eta
        slip = max(0, (end - history[0].eta).days)
    changes = sum(1 for before, after in zip(history, history[1:]) if after.eta != before.eta)
    return OrderLine(
        order_id=order.id,
        reference=order.reference,
        customer=order.customer.name if order.customer else "",
        vendor=order.vendor.name if order.vendor else "",
        status=order.status,
        promised=order.promised,
        required_by=order.required_by,
        vendor_eta=order.vendor_eta,
        vendor_eta_confirmed=order.vendor_eta_confirmed,
        history=history,
        delivered_on=delivered,
        slip_days=slip,
        eta_changes=changes,
        days_since_customer_update=_days_since(order.last_customer_update_at, zone, today),
        days_since_vendor_word=_days_since(order.last_vendor_word_at, zone, today),
        risks=_risks(order, config, zone, today) if order.is_open else (),
    )


def _days_since(moment: datetime | None, zone: ZoneInfo, today: date) -> int | None:
    return None if moment is None else (today - moment.astimezone(zone).date()).days


def _risks(order: Order, config: Config, zone: ZoneInfo, today: date) -> tuple[str, ...]:
    """Why an open order is at risk (RISKS codes), as of ``today``."""
    country = country_for(config.rep.timezone)
    rules = config.summary
    told = order.promised or order.required_by
    eta = order.vendor_eta
    found = set()
    if eta and order.promised and eta > order.promised:
        found.add("eta_after_promised")
    if eta and order.required_by and eta > order.required_by:
        found.add("eta_after_required_by")
    if order.status != "shipped":
        if told and today > told:
            found.add("past_promised")
        elif told and not order.vendor_eta_confirmed and business_days_between(today, told, country) <= rules.horizon_business_days:
            found.add("unconfirmed_soon")
        last_word = order.last_vendor_word_at or order.created_at
        if business_days_between(last_word.astimezone(zone).date(), today, country) >= rules.vendor_silence_business_days:
            found.add("vendor_silent")
    return tuple(r for r in RISKS if r in found)


def _vendor_stats(lines: Iterable[OrderLine], today: date, window_days: int) -> list[VendorStats]:
    """Per vendor, over orders whose first ETA was given in the last ``window_days`` days."""
    since = today - timedelta(days=window_days)
    by_vendor: dict[str, list[OrderLine]] = {}
    for line in lines:
        if line.history and line.history[0].said_at.date() > since and line.status != "cancelled":
            by_vendor.setdefault(line.vendor or "?", []).append(line)
    stats = []
    for vendor, group in sorted(by_vendor.items(), key=lambda item: item[0].lower()):
        outcomes = [_on_time(line, today) for line in group]
        slips = [line.slip_days for line in group]
        kept = broken = 0
        for line in group:
            k, b = _confirmed_outcomes(line, today)
            kept, broken = kept + k, broken + b
        stats.append(
            VendorStats(
                vendor=vendor,
                window_days=window_days,
                orders=len(group),
                decided=sum(1 for o in outcomes if o is not None),
                on_time=sum(1 for o in outcomes if o),
                mean_slip=sum(slips) / len(slips),
                worst_slip=max(slips),
                eta_changes_per_order=sum(line.eta_changes for line in group) / len(group),
                confirmed_kept=kept,
                confirmed_broken=broken,
            )
        )
    return stats


def _on_time(line: OrderLine, today: date) -> bool | None:
    """Delivered on or before the first ETA: True; late: False; not known yet: None."""
    first = line.first_eta
    if line.delivered_on is not None:
        return line.delivered_on <= first
    if today > first or (line.vendor_eta is not None and line.vendor_eta > first):
        return False
    return None


def _confirmed_outcomes(line: OrderLine, today: date) -> tuple[int, int]:
    """(kept, broken) among the distinct dates the vendor confirmed for this order."""
    kept = broken = 0
    seen: set[date] = set()
    for i, given in enumerate(line.history):
        if not given.confirmed or given.eta in seen:
            continue
        seen.add(given.eta)
        replaced = any(
            later.eta > given.eta and (line.delivered_on is None or later.said_at.date() <= line.delivered_on)
            for later in line.history[i + 1 :]
        )
        if replaced or (line.delivered_on and line.delivered_on > given.eta) or (line.delivered_on is None and today > given.eta):
            broken += 1
        elif line.delivered_on is not None:
            kept += 1
    return kept, broken


def _draft_fates(session: Session, start: date, today: date) -> DraftFates:
    drafts = list(session.scalars(select(Draft).where(Draft.day >= start, Draft.day <= today)))
    states = Counter(d.state for d in drafts)
    kinds = Counter(d.kind for d in drafts)
    return DraftFates(
        made=len(drafts),
        sent=states["sent"],
        waiting=states["pending"] + states["in_drafts"],
        deleted=states["deleted"],
        by_kind=tuple(sorted(kinds.items(), key=lambda item: (-item[1], item[0]))),
    )
