"""Which drafts are due: after a message changed an order, and at a given time of day.

The planner only decides; ``drafts`` renders. A draft is made at most once per
order, kind and day (its key), so a rerun, or a draft the rep deleted, never
brings it back that day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from assistant.config import Config
from assistant.ledger import Counterpart, Directory, KnownRows, is_late
from assistant.models import CLOSED_STATUSES, Contact, Draft, Message, Order, OrderEvent, Party
from assistant.workdays import add_business_days, business_days_between, country_for, is_business_day
from parsers.types import Address, Extraction

# The latest message of an order exchanged with one address (built once: it runs for most drafts).
_THREAD_MESSAGE = (
    select(Message)
    .where(Message.order_id == bindparam("order_id"), (Message.sender == bindparam("email")) | Message.recipients.like(bindparam("pattern")))
    .order_by(Message.sent_at.desc(), Message.id.desc())
    .limit(1)
)

# What the scheduled pass reads of each open order, with its vendor contact's address: rows,
# not Order objects (a team's ledger can hold thousands of open orders, and cron polls every
# few minutes); the Order is loaded only for a draft that is due.
_IS_OPEN = Order.status.not_in(CLOSED_STATUSES)
_vendor_contact = aliased(Contact)
_OPEN_ORDERS = (
    select(Order.id, Order.status, Order.promised, Order.vendor_eta_confirmed, Order.customer_contact_id, Order.vendor_contact_id,
           Order.last_customer_update_at, Order.last_vendor_word_at, Order.last_vendor_chase_at,
           _vendor_contact.email.label("vendor_email"))
    .outerjoin(_vendor_contact, _vendor_contact.id == Order.vendor_contact_id)
    .where(_IS_OPEN)
    .order_by(Order.id)
)

CUSTOMER_KINDS = ("status_reply", "delay_notice", "daily_update", "confirmed_notice", "shipped_notice", "delivered_notice")
VENDOR_KINDS = ("vendor_chase", "stock_check")
KINDS = CUSTOMER_KINDS + VENDOR_KINDS


@dataclass(frozen=True)
class DraftPlan:
    """A draft that is due: its kind, order, recipient, language and the message it answers."""

    kind: str
    order_id: int | None
    to: Address
    language: str
    reply_to_id: int | None
    day: date
    why: str
    about: str = ""

    @property
    def key(self) -> str:
        return f"{self.order_id or 'none'}-{self.kind}-{self.to.email}-{self.day.isoformat()}"


class Planner:
    """Decides which drafts are due, in the rep's time zone.

    ``known`` (optional) holds the contacts the poll has read already; ``threads`` keeps the
    messages the plans thread their drafts under, by id, for the draft writer."""

    def __init__(self, session: Session, config: Config, known: KnownRows | None = None):
        self.session = session
        self.config = config
        self.known = known or KnownRows()
        self.threads: dict[int, Message] = {}
        self.zone = ZoneInfo(config.rep.timezone)
        self.country = country_for(config.rep.timezone)
        self.directory = Directory(config)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def after_message(
        self, order: Order | None, record: Message, x: Extraction, counterpart: Counterpart, events: list[OrderEvent], now: datetime
    ) -> list[DraftPlan]:
        """Drafts due because of this message: none for the rep's own mail, nor for mail older
        than ``reply_window_days`` (its moment has passed: a first run over years of mail
        brings the ledger and its history up to date, not a Drafts folder of old answers)."""
        if record.role == "rep" or self.past_reply_window(record, now):
            return []
        day = self.local_day(now)
        if counterpart.kind == "customer":
            if x.event == "quote_request":
                return self._stock_check(order, record, x, day)
            if order is not None and x.event == "inquiry":
                return self._customer_plan(order, "status_reply", day, "the customer asked about the order", reply_to=record)
            return []
        if counterpart.kind != "vendor" or order is None:
            return []
        kind = self._customer_notice_for(order, x, events)
        return self._customer_plan(order, kind, day, f"the vendor's mail: {x.event}") if kind else []

    def past_reply_window(self, record: Message, now: datetime) -> bool:
        """The message is older than ``reply_window_days``: it calls for no draft."""
        return record.sent_at is not None and now - record.sent_at > timedelta(days=self.config.drafting.reply_window_days)

    def _customer_notice_for(self, order: Order, x: Extraction, events: list[OrderEvent]) -> str | None:
        """The notice the customer needs after a vendor message, if it brought news."""
        if x.event == "delivered":
            return "delivered_notice"
        if x.event == "shipped":
            return "shipped_notice"
        eta_later = any(
            e.field == "vendor_eta" and e.new_value and (e.old_value is None or e.new_value > e.old_value) for e in events
        )
        became_late = any(e.field == "status" and e.new_value == "delayed" for e in events)
        if became_late or (eta_later and is_late(order)):
            return "confirmed_notice" if order.vendor_eta_confirmed and x.event != "delay" else "delay_notice"
        if x.event == "confirmed" and order.vendor_eta_confirmed and any(e.field == "vendor_eta" for e in events):
            return "confirmed_notice"
        return None

    def on_schedule(self, now: datetime) -> list[DraftPlan]:
        """Drafts due at ``now`` for every open order: daily updates and vendor chases.

        The open orders (as ``_OPEN_ORDERS`` rows) and their drafts of the day are read in
        two queries, so that a poll run again the same day (every few minutes under cron)
        skips the orders already served without a query for each."""
        local = now.astimezone(self.zone)
        day = local.date()
        if not is_business_day(day, self.country) or local.hour < self.config.drafting.daily_update_hour:
            return []
        plans: list[DraftPlan] = []
        orders = self.session.execute(_OPEN_ORDERS).all()
        made = self._drafts_of_open_orders_on(day)
        told = {order_id for order_id, kind, _ in made if kind in CUSTOMER_KINDS}
        for order in orders:
            if order.status == "delayed" and not self._customer_heard_from_us_on(order, day, told):
                plans += self._customer_plan(order, "daily_update", day, "the order is late: daily status update")
            if (order.id, "vendor_chase", order.vendor_email) not in made and self._vendor_chase_due(order, day):
                plans += self._vendor_plan(order, "vendor_chase", day, "no confirmed date from the vendor")
        return plans

    def _drafts_of_open_orders_on(self, day: date) -> set[tuple[int, str, str]]:
        """``(order id, kind, recipient)`` of the drafts made on ``day`` for open orders."""
        open_orders = select(Order.id).where(_IS_OPEN)
        rows = self.session.execute(  # IN, not a join: SQLite then walks the open orders, not every draft
            select(Draft.order_id, Draft.kind, Draft.to_addr).where(Draft.order_id.in_(open_orders), Draft.day == day)
        )
        return {tuple(row) for row in rows}

    def _customer_heard_from_us_on(self, order: Order, day: date, told: set[int]) -> bool:
        """The rep wrote to the customer about ``order`` (an ``_OPEN_ORDERS`` row) on ``day``, or a
        draft to them was made (``told``)."""
        if order.last_customer_update_at and self.local_day(order.last_customer_update_at) == day:
            return True
        return order.id in told

    def _vendor_chase_due(self, order: Order, day: date) -> bool:
        """The vendor has been silent too long about an order at risk (``order``: an ``_OPEN_ORDERS`` row)."""
        if order.vendor_contact_id is None or order.vendor_eta_confirmed:
            return False
        silence = self.config.drafting.vendor_silence_business_days
        at_risk = order.status == "delayed"
        if order.promised and not at_risk:
            at_risk = business_days_between(day, order.promised, self.country) <= self.config.drafting.unconfirmed_horizon_business_days
        if not at_risk:
            return False
        last_word = max((t for t in (order.last_vendor_word_at, order.last_vendor_chase_at) if t), default=None)
        if last_word and business_days_between(self.local_day(last_word), day, self.country) < silence:
            return False
        return True

    def next_update_day(self, day: date) -> date:
        return add_business_days(day, 1, self.country)

    # Building plans

    def _customer_plan(self, order: Order, kind: str, day: date, why: str, reply_to: Message | None = None) -> list[DraftPlan]:
        """A draft to the customer: to whoever wrote ``reply_to``, else the order's contact."""
        if reply_to is not None:
            contact = self._contact_with_email(reply_to.sender)
        else:
            contact = self._contact_with_id(order.customer_contact_id)
        if contact is None:
            return []
        thread = reply_to or self._thread_message(order, contact)
        return [self._plan(kind, order, contact, day, why, thread)]

    def _vendor_plan(self, order: Order, kind: str, day: date, why: str) -> list[DraftPlan]:
        contact = self._contact_with_id(order.vendor_contact_id)
        if contact is None:
            return []
        return [self._plan(kind, order, contact, day, why, self._thread_message(order, contact))]

    def _contact_with_email(self, email: str | None) -> Contact | None:
        if not email:
            return None
        return self.known.get(self.session, Contact, (email,)) or self.session.scalar(select(Contact).where(Contact.email == email))

    def _contact_with_id(self, contact_id: int | None) -> Contact | None:
        if contact_id is None:
            return None
        return self.known.get_by_id(self.session, Contact, contact_id) or self.session.get(Contact, contact_id)

    def _stock_check(self, order: Order | None, record: Message, x: Extraction, day: date) -> list[DraftPlan]:
        vendor = self._vendor_named_in(record) or self._last_vendor_of(record.sender)
        if vendor is None:
            return []
        contact = self.session.scalar(select(Contact).where(Contact.party_id == vendor.id).order_by(Contact.id.desc()).limit(1))
        to = Address(contact.name, contact.email) if contact else None
        if to is None:
            return []
        language = self.language_for(contact)
        plan = DraftPlan(
            "stock_check", order.id if order else None, to, language, None, day, "the customer asked for a quote", about=record.subject or ""
        )
        return [plan]

    def _vendor_named_in(self, record: Message) -> Party | None:
        text = f"{record.subject or ''}\n{record.body or ''}".lower()
        for domain in self.config.vendors.domains:
            names = {domain.split(".")[0], self.config.vendors.names.get(domain, "").lower()} - {""}
            if any(name in text for name in names):
                party = self.session.scalar(select(Party).where(Party.kind == "vendor", Party.domain == domain))
                if party is not None:
                    return party
        return None

    def _last_vendor_of(self, customer_email: str | None) -> Party | None:
        """The vendor of the customer's most recent order: who a new quote most likely goes to."""
        contact = self.session.scalar(select(Contact).where(Contact.email == customer_email)) if customer_email else None
        if contact is None:
            return None
        vendor_id = self.session.scalar(
            select(Order.vendor_id)
            .where(Order.customer_id == contact.party_id, Order.vendor_id.is_not(None))
            .order_by(Order.updated_at.desc(), Order.id.desc())
            .limit(1)
        )
        return self.session.get(Party, vendor_id) if vendor_id else None

    def _thread_message(self, order: Order, contact: Contact) -> Message | None:
        """The latest message of the order exchanged with ``contact``, to thread the draft under."""
        return self.session.scalar(_THREAD_MESSAGE, {"order_id": order.id, "email": contact.email, "pattern": f"%{contact.email}%"})

    def _plan(self, kind: str, order: Order, contact: Contact, day: date, why: str, thread: Message | None) -> DraftPlan:
        if thread is not None:
            self.threads[thread.id] = thread
        return DraftPlan(kind, order.id, Address(contact.name, contact.email), self.language_for(contact), thread.id if thread else None, day, why)

    def language_for(self, contact: Contact) -> str:
        """The counterpart's language: their last message, else their party's setting, else the rep's."""
        if contact.language:
            return contact.language
        party = contact.party
        return (party.language if party else None) or self.config.rep.language
