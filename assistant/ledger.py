"""The order ledger: who is who, matching a message to an order, and applying what it says.

Every change to an order is appended to ``order_events`` with the message and the
sentence it came from; nothing is overwritten without a trace.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached

from assistant.config import Config
from assistant.models import CLOSED_STATUSES, Contact, Message, Order, OrderEvent, OrderRef, Party
from parsers.items import find_items
from parsers.refs import find_refs
from parsers.types import Address, Extraction, ParsedMessage

# The orders named by some references, each with all its references (built once: see orders_by_ref).
_ORDERS_BY_REF = (
    select(OrderRef.value, Order)
    .join(Order, OrderRef.order_id == Order.id)
    .where(OrderRef.value.in_(bindparam("values", expanding=True)))
    .options(joinedload(Order.refs))
)

# Events that make a message order-related even when it names no reference.
ORDER_EVENTS = ("delay", "eta", "confirmed", "shipped", "delivered", "inquiry", "stock_check")
_STATUS_BY_EVENT = {"shipped": "shipped", "delivered": "delivered"}
_STATUS_RANK = {"open": 0, "delayed": 1, "confirmed": 1, "shipped": 2, "delivered": 3, "cancelled": 4}


@dataclass(frozen=True)
class Counterpart:
    """The other side of a message: a customer or vendor address, or nobody we know."""

    kind: str  # customer, vendor or other
    address: Address | None
    domain: str | None


class Directory:
    """Classifies addresses by the configured customer and vendor domains."""

    def __init__(self, config: Config):
        self.config = config
        self.rep_email = config.rep.email

    def kind_of(self, address: Address | None) -> str:
        if address is None:
            return "other"
        if address.email == self.rep_email:
            return "rep"
        domain = address.domain
        if _domain_in(domain, self.config.vendors.domains):
            return "vendor"
        if _domain_in(domain, self.config.customers.domains):
            return "customer"
        return "other"

    def counterpart(self, parsed: ParsedMessage) -> Counterpart:
        """The customer or vendor a message is from (or, for the rep's own mail, to)."""
        sender_kind = self.kind_of(parsed.from_)
        if sender_kind in ("vendor", "customer"):
            return Counterpart(sender_kind, parsed.from_, self.party_domain(parsed.from_, sender_kind))
        if sender_kind == "rep":
            for address in [*parsed.to, *parsed.cc]:
                kind = self.kind_of(address)
                if kind in ("vendor", "customer"):
                    return Counterpart(kind, address, self.party_domain(address, kind))
        return Counterpart("other", parsed.from_, None)

    def party_domain(self, address: Address, kind: str) -> str:
        domains = self.config.vendors.domains if kind == "vendor" else self.config.customers.domains
        for domain in domains:
            if address.domain == domain or address.domain.endswith("." + domain):
                return domain
        return address.domain


def _domain_in(domain: str, domains: tuple[str, ...]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


class KnownRows:
    """Parties and contacts already in the database, kept for the length of one poll.

    A backfill meets the same few dozen parties and contacts thousands of times; each
    transaction gets them from here instead of a query. Only rows read from the
    database are kept (never one created by a transaction that might roll back), as
    their column values; a contact this poll changes is dropped and read again.
    """

    _COLUMNS = {Party: ("id", "kind", "domain", "name", "language"), Contact: ("id", "party_id", "email", "name", "language")}

    def __init__(self) -> None:
        self._rows: dict[tuple, dict] = {}
        self._keys: dict[tuple, tuple] = {}  # (model, id) -> key

    def get(self, session: Session, model: type, key: tuple):
        """The row for ``key`` attached to ``session`` without a query, or None if not kept."""
        values = self._rows.get((model, *key))
        if values is None:
            return None
        row = model(**values)
        make_transient_to_detached(row)
        return session.merge(row, load=False)

    def get_by_id(self, session: Session, model: type, row_id: int):
        """Like ``get``, by primary key."""
        key = self._keys.get((model, row_id))
        return self.get(session, model, key) if key is not None else None

    def keep(self, model: type, key: tuple, row) -> None:
        self._rows[(model, *key)] = {c: getattr(row, c) for c in self._COLUMNS[model]}
        self._keys[(model, row.id)] = key

    def forget(self, model: type, key: tuple) -> None:
        self._rows.pop((model, *key), None)


class Ledger:
    """Reads and changes orders inside one session (one transaction per message).

    ``known`` (optional) keeps parties and contacts between the transactions of one poll.
    """

    def __init__(self, session: Session, config: Config, known: KnownRows | None = None):
        self.session = session
        self.config = config
        self.known = known or KnownRows()
        self._parties: dict[tuple[str, str], Party] = {}
        self._contacts: dict[str, Contact] = {}
        self._ref_orders: dict[str, Order | None] = {}

    # Parties and contacts

    def party(self, kind: str, domain: str) -> Party:
        """The party for ``domain``, created on first sight."""
        key = (kind, domain)
        party = self._parties.get(key) or self.known.get(self.session, Party, key)
        if party is None:
            party = self.session.scalar(select(Party).where(Party.kind == kind, Party.domain == domain))
            if party is not None:
                self.known.keep(Party, key, party)
        if party is None:
            table = self.config.vendors if kind == "vendor" else self.config.customers
            party = Party(kind=kind, domain=domain, name=table.names.get(domain, domain), language=table.languages.get(domain))
            self.session.add(party)
            self.session.flush()
        self._parties[key] = party
        return party

    def contact(self, party: Party, address: Address, language: str | None) -> Contact:
        """The contact for ``address`` (created on first sight), with its name and language brought up to date."""
        key = (address.email,)
        contact = self._contacts.get(address.email) or self.known.get(self.session, Contact, key)
        if contact is None:
            contact = self.session.scalar(select(Contact).where(Contact.email == address.email))
            if contact is not None:
                self.known.keep(Contact, key, contact)
        if contact is None:
            contact = Contact(party_id=party.id, email=address.email, name=address.name)
            self.session.add(contact)
            self.session.flush()
        changed = False
        if address.name and not contact.name:
            contact.name, changed = address.name, True
        if language and contact.language != language:
            contact.language, changed = language, True
        if changed:
            self.known.forget(Contact, key)
        self._contacts[address.email] = contact
        return contact

    def set_contact_language(self, contact: Contact, language: str | None) -> None:
        """Note the language of a contact who has none yet."""
        if contact.language is None and language:
            contact.language = language
            self.known.forget(Contact, (contact.email,))

    # Finding orders

    def orders_by_ref(self, values: list[str]) -> dict[str, Order | None]:
        """The order each reference names (None if unknown), read with all its references in one query."""
        missing = [v for v in dict.fromkeys(values) if v not in self._ref_orders]
        if missing:
            found = dict(self.session.execute(_ORDERS_BY_REF, {"values": missing}).unique().all())
            for value in missing:
                self._ref_orders[value] = found.get(value)
        return {v: self._ref_orders[v] for v in values}

    def by_ref(self, value: str) -> Order | None:
        return self.orders_by_ref([value])[value]

    def by_thread(self, parsed: ParsedMessage) -> Order | None:
        ids = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
        for message_id in ids:
            order_id = self.session.scalar(
                select(Message.order_id).where(Message.message_id == message_id, Message.order_id.is_not(None)).limit(1)
            )
            if order_id:
                return self.session.get(Order, order_id)
        return None

    def only_open_order_of(self, party: Party) -> Order | None:
        """The party's open order when it has exactly one (at most two ids are read)."""
        column = Order.vendor_id if party.kind == "vendor" else Order.customer_id
        ids = self.session.scalars(select(Order.id).where(column == party.id, Order.status.not_in(CLOSED_STATUSES)).limit(2)).all()
        return self.session.get(Order, ids[0]) if len(ids) == 1 else None

    def match(self, parsed: ParsedMessage, x: Extraction, party: Party | None) -> tuple[Order | None, str]:
        """The order a message is about, and how it was found.

        A known reference in the new text wins; then the thread; then a reference in the
        quoted history; then, for a message naming no reference at all, the counterpart's
        only open order. Unknown references outside a known thread mean a new order.
        """
        known = self.orders_by_ref([r.value for r in [*x.order_refs, *x.quoted_refs]])
        for ref in x.order_refs:
            if known[ref.value]:
                return known[ref.value], f"reference {ref.value}"
        order = self.by_thread(parsed)
        if order:
            return order, "thread"
        for ref in x.quoted_refs:
            if known[ref.value]:
                return known[ref.value], f"quoted reference {ref.value}"
        if party is not None and not x.order_refs and x.event in ORDER_EVENTS:
            only = self.only_open_order_of(party)
            if only is not None:
                return only, f"only open order of {party.name}"
        return None, "no reference, thread or single open order"

    def link(self, record: Message, order: Order, now: datetime) -> list[OrderEvent]:
        """Attach an unmatched message to ``order`` (the rep's decision) and apply what it said."""
        x = extraction_of(record)
        parsed = ParsedMessage(
            message_id=record.message_id,
            from_=Address("", record.sender or ""),
            to=[Address("", e) for e in (record.recipients or "").split()],
        )
        counterpart = Directory(self.config).counterpart(parsed)
        self.attach_refs(order, x)
        record.order_id = order.id
        record.status, record.reason = "ok", "linked by the rep"
        return self.apply(order, record, x, counterpart, now)

    def create_order(self, x: Extraction, now: datetime) -> Order:
        """A new open order (written with the rest of the transaction; its references come from ``attach_refs``)."""
        order = Order(status="open", created_at=now, updated_at=now, items="", refs=[])
        self.session.add(order)
        return order

    def attach_refs(self, order: Order, x: Extraction) -> list[str]:
        """Add the message's references to ``order``; return those that were new."""
        added = []
        known = self.orders_by_ref([r.value for r in x.order_refs])
        for ref in x.order_refs:
            if known[ref.value] is None and ref.value not in added:
                self.add_ref(order, ref.kind, ref.value)
                added.append(ref.value)
        return added

    def add_ref(self, order: Order, kind: str, value: str) -> None:
        """Name ``order`` by one more reference (which no order has yet)."""
        order.refs.append(OrderRef(kind=kind, value=value))
        self._ref_orders[value] = order

    # Applying a message

    def apply(self, order: Order, record: Message, x: Extraction, counterpart: Counterpart, now: datetime) -> list[OrderEvent]:
        """Record what the message says on ``order``; return the events appended."""
        sent = x.sent_at or now
        events = [self._event(record, sent, x.event, None, None, None, x.evidence.get("event"))]
        party = self.party(counterpart.kind, counterpart.domain) if counterpart.kind in ("vendor", "customer") else None
        if record.role == "rep":
            self._apply_rep(order, record, x, counterpart, party, sent, events)
        elif counterpart.kind == "vendor":
            self._apply_vendor(order, record, x, counterpart, party, sent, events)
        elif counterpart.kind == "customer":
            self._apply_customer(order, record, x, counterpart, party, sent, events)
        if not order.items and record.body:
            items = find_items(record.body)
            if items:
                self._set(order, record, sent, "items", items, items, events)
        order.updated_at = now
        self._write(order, record, events)
        return events

    def _write(self, order: Order, record: Message | None, events: list[OrderEvent]) -> None:
        """Flush the message and order rows, then insert the events in one statement (they need
        both ids; as ORM objects they would cost a unit-of-work pass each)."""
        self.session.flush()
        for event in events:
            event.order_id, event.message_id = order.id, record.id if record is not None else None
        table = OrderEvent.__table__
        columns = [c for c in table.columns.keys() if c != "id"]
        self.session.execute(insert(table), [{c: getattr(e, c) for c in columns} for e in events])

    def _apply_vendor(self, order, record, x, counterpart, party, sent, events) -> None:
        if order.vendor_id is None:
            order.vendor_id = party.id
        order.vendor_contact_id = self.contact(party, counterpart.address, x.language).id
        order.last_vendor_word_at = sent
        if x.reason and x.event == "delay":
            self._set(order, record, sent, "delay_reason", x.reason, x.evidence.get("reason"), events)
        if x.eta and (x.eta != order.vendor_eta or bool(x.eta_confirmed) != order.vendor_eta_confirmed):
            old = order.vendor_eta
            order.vendor_eta_confirmed = bool(x.eta_confirmed)
            events.append(
                self._event(record, sent, "eta", "vendor_eta", _iso(old), _iso(x.eta), x.evidence.get("eta"), bool(x.eta_confirmed))
            )
            order.vendor_eta = x.eta
        self._set_status(order, record, sent, self._vendor_status(order, x), x.evidence.get("event"), events)

    def _vendor_status(self, order: Order, x: Extraction) -> str:
        if x.event in _STATUS_BY_EVENT:
            return _STATUS_BY_EVENT[x.event]
        if x.event == "delay" or is_late(order):
            return "confirmed" if order.vendor_eta_confirmed and x.event != "delay" else "delayed"
        if order.vendor_eta_confirmed:
            return "confirmed"
        return order.status

    def _apply_customer(self, order, record, x, counterpart, party, sent, events) -> None:
        if order.customer_id is None:
            order.customer_id = party.id
        contact = self.contact(party, counterpart.address, x.language)
        if order.customer_contact_id is None:
            order.customer_contact_id = contact.id
        order.last_customer_message_at = sent
        if x.required_by and x.required_by != order.required_by:
            self._set(order, record, sent, "required_by", x.required_by, x.evidence.get("required_by"), events)
        if x.event == "delivered":
            self._set_status(order, record, sent, "delivered", x.evidence.get("event"), events)

    def _apply_rep(self, order, record, x, counterpart, party, sent, events) -> None:
        if counterpart.kind == "customer":
            if order.customer_id is None:
                order.customer_id = party.id
            contact = self.contact(party, counterpart.address, None)
            self.set_contact_language(contact, x.language)
            if order.customer_contact_id is None:
                order.customer_contact_id = contact.id
            order.last_customer_update_at = sent
            if x.eta and x.eta != order.promised:
                self._set(order, record, sent, "promised", x.eta, x.evidence.get("eta"), events)
        elif counterpart.kind == "vendor":
            if order.vendor_id is None:
                order.vendor_id = party.id
            contact = self.contact(party, counterpart.address, None)
            self.set_contact_language(contact, x.language)
            order.last_vendor_chase_at = sent

    def _set(self, order, record, sent, field, value, sentence, events) -> None:
        old = getattr(order, field)
        if old == value:
            return
        setattr(order, field, value)
        events.append(self._event(record, sent, "change", field, _iso(old), _iso(value), sentence))

    def _set_status(self, order, record, sent, status, sentence, events) -> None:
        going_back = _STATUS_RANK[status] < _STATUS_RANK[order.status] and order.status in ("shipped", *CLOSED_STATUSES)
        if status == order.status or going_back:
            return
        events.append(self._event(record, sent, "status", "status", order.status, status, sentence))
        order.status = status

    def _event(self, record, at, kind, field, old, new, sentence, confirmed=None) -> OrderEvent:
        """An event caused by ``record``; written by ``_write`` once the order and message rows have ids."""
        return OrderEvent(
            at=at,
            kind=kind,
            field=field,
            old_value=old,
            new_value=new,
            confirmed=confirmed,
            sentence=sentence,
            sender=record.sender if record is not None else None,
        )


def extraction_of(record: Message) -> Extraction:
    """The extraction stored with a message record, as the typed object the ledger applies."""
    data = record.extraction or {}

    def day(key: str) -> date | None:
        return date.fromisoformat(data[key]) if data.get(key) else None

    refs = [r for value in data.get("order_refs", []) for r in find_refs(value)[:1]]
    return Extraction(
        message_id=record.message_id,
        sent_at=record.sent_at,
        language=data.get("language") or record.language or "ko",
        role=data.get("role") or record.role or "other",
        order_refs=refs,
        event=data.get("event", "other"),
        eta=day("eta"),
        eta_confirmed=data.get("eta_confirmed"),
        required_by=day("required_by"),
        delay_days=data.get("delay_days"),
        reason=data.get("reason"),
        evidence=data.get("evidence") or {},
    )


def is_late(order: Order, today: date | None = None) -> bool:
    """The vendor's ETA is after the date the customer was told (or needs the goods by),
    or, as of ``today``, that date has passed and the goods have not shipped."""
    told = order.promised or order.required_by
    if told is None:
        return False
    if order.vendor_eta is not None and order.vendor_eta > told:
        return True
    overdue = today is not None and today > told and order.status not in ("shipped", "delivered", "cancelled")
    return overdue


def days_slipped(order: Order) -> int:
    """Days between the date the customer was told and the vendor's current ETA (0 if not late)."""
    told = order.promised or order.required_by
    if order.vendor_eta is None or told is None:
        return 0
    return max(0, (order.vendor_eta - told).days)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
