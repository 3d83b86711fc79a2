"""The typed records passed between the parsing and extraction stages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Address:
    """One mailbox from a header: display name (decoded) and lower-cased address."""

    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


@dataclass
class ParsedMessage:
    """A message as the rest of the pipeline sees it.

    ``new_text`` is what the sender wrote in this message; ``quoted_text`` is the
    history below it (quoted replies, forwarded blocks) and ``signature`` the sign-off.
    ``error`` is set (and the other fields are best effort) when the message could
    not be parsed.
    """

    message_id: str | None
    subject: str = ""
    from_: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    sent_at: datetime | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    text: str = ""
    new_text: str = ""
    quoted_text: str = ""
    signature: str = ""
    html_only: bool = False
    defects: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class DateMention:
    """A temporal expression found in text and resolved to calendar days.

    ``start``/``end`` are character offsets into the text searched. ``value`` is the
    first day meant; ``last`` is the last day for a range (``value`` for a single day).
    ``kind`` is ``point`` (a day or a period), ``deadline`` ("by Friday", "16일까지")
    or ``duration`` ("2주", "three business days": ``value`` is the reference day plus
    the duration and ``days`` holds its length in calendar days).
    """

    text: str
    start: int
    end: int
    value: date
    last: date
    grain: str
    kind: str = "point"
    days: int | None = None
    sentence: str = ""


@dataclass(frozen=True)
class OrderRef:
    """An order reference: ``kind`` is po, quote, so or custom; ``value`` is normalised."""

    kind: str
    value: str
    text: str


@dataclass(frozen=True)
class ExtractSettings:
    """What the extractor needs to know from the configuration."""

    vendor_domains: tuple[str, ...] = ()
    customer_domains: tuple[str, ...] = ()
    rep_addresses: tuple[str, ...] = ()
    extra_ref_patterns: tuple[tuple[str, str], ...] = ()
    default_timezone: str = "Asia/Seoul"


EVENTS = (
    "delay",
    "eta",
    "confirmed",
    "shipped",
    "delivered",
    "stock_check",
    "inquiry",
    "quote_request",
    "other",
)


@dataclass
class Extraction:
    """What one message says about orders, with the sentence behind each finding."""

    message_id: str | None
    sent_at: datetime | None
    language: str
    role: str
    order_refs: list[OrderRef] = field(default_factory=list)
    quoted_refs: list[OrderRef] = field(default_factory=list)
    event: str = "other"
    eta: date | None = None
    eta_confirmed: bool | None = None
    required_by: date | None = None
    delay_days: int | None = None
    reason: str | None = None
    dates: list[DateMention] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    error: str | None = None
