"""The ledger's tables (SQLAlchemy 2.x); the schema is created and changed by Alembic migrations."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

ORDER_STATUSES = ("open", "delayed", "confirmed", "shipped", "delivered", "cancelled")
CLOSED_STATUSES = ("delivered", "cancelled")


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Party(Base):
    """A customer or a vendor organisation, known by its mail domain."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("kind", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))


class Contact(Base):
    """A person at a party, with the language they last wrote in."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    language: Mapped[str | None] = mapped_column(String(8))

    party: Mapped[Party] = relationship()


class Order(Base):
    """One deal: what the customer was told, what the vendor says, and where it stands."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    customer_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    vendor_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    items: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    promised: Mapped[date | None] = mapped_column(Date)
    required_by: Mapped[date | None] = mapped_column(Date)
    vendor_eta: Mapped[date | None] = mapped_column(Date)
    vendor_eta_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    delay_reason: Mapped[str | None] = mapped_column(Text)
    last_customer_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_vendor_word_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_vendor_chase_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    customer: Mapped[Party | None] = relationship(foreign_keys=[customer_id])
    vendor: Mapped[Party | None] = relationship(foreign_keys=[vendor_id])
    customer_contact: Mapped[Contact | None] = relationship(foreign_keys=[customer_contact_id])
    vendor_contact: Mapped[Contact | None] = relationship(foreign_keys=[vendor_contact_id])
    refs: Mapped[list[OrderRef]] = relationship(back_populates="order", order_by="OrderRef.id")
    events: Mapped[list[OrderEvent]] = relationship(back_populates="order", order_by="OrderEvent.id")

    @property
    def reference(self) -> str:
        """The reference shown to the rep: the customer's PO first, then ours, then the vendor's."""
        rank = {"po": 0, "quote": 1, "so": 2}
        refs = sorted(self.refs, key=lambda r: (rank.get(r.kind, 3), r.id))
        return refs[0].value if refs else f"#{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


class OrderRef(Base):
    """A reference that names an order: customer PO, our quote, vendor sales order or custom."""

    __tablename__ = "order_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128), unique=True)

    order: Mapped[Order] = relationship(back_populates="refs")


class OrderEvent(Base):
    """One change to an order (append-only), with the message and sentence that caused it."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    sentence: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(320))

    order: Mapped[Order] = relationship(back_populates="events")
    message: Mapped[Message | None] = relationship()


class Message(Base):
    """A message the poller has seen, where it was, what was extracted and how it ended."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("mailbox", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(128))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    uid: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    recipients: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_reply_to: Mapped[str | None] = mapped_column(String(998), index=True)
    references: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    extraction: Mapped[dict | None] = mapped_column(JSON)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    order: Mapped[Order | None] = relationship()


class Checkpoint(Base):
    """How far a folder has been read: the UIDVALIDITY seen and the last UID processed; for the
    Drafts folder, its HIGHESTMODSEQ (CONDSTORE) when the drafts in it were last checked."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("mailbox", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(128))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)
    modseq: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Draft(Base):
    """A reply the assistant wrote: rendered, stored, then appended to the Drafts folder."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_order_day_kind", "order_id", "day", "kind"), Index("ix_drafts_mailbox_state", "mailbox", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    mailbox: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    to_addr: Mapped[str] = mapped_column(Text)
    cc_addr: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    mime: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    message_id: Mapped[str] = mapped_column(String(998))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order | None] = relationship()


class SummaryRun(Base):
    """One weekly summary: the ISO week it covers, whether it went out, and the last error."""

    __tablename__ = "summary_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    iso_week: Mapped[str] = mapped_column(String(10), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
