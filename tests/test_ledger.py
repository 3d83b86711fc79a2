"""The order ledger on SQLite and on a real PostgreSQL: matching, applying, history."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.config import load_config
from assistant.db import open_database
from assistant.ledger import Directory, Ledger, days_slipped, is_late
from assistant.models import Message, Order, OrderEvent
from parsers.types import Address, Extraction, OrderRef, ParsedMessage
from tests.conftest import CONFIG

SEOUL = ZoneInfo("Asia/Seoul")
REP = Address("김민수", "minsu.kim@hanbit-it.co.kr")
VENDOR = Address("이성호", "sungho.lee@lenovo.com")
CUSTOMER = Address("박정훈 팀장", "jh.park@mirae-fin.co.kr")


@pytest.fixture
def config(tmp_path, database_url):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(database=database_url, port=143, user="rep"))
    return load_config(path)


@pytest.fixture
def db(config):
    database = open_database(config.database_url)
    yield database
    database.dispose()


_uids = iter(range(1, 10_000))


def message(sender: Address, to: Address, when: datetime, mid: str, in_reply_to: str | None = None) -> ParsedMessage:
    return ParsedMessage(message_id=mid, subject="납기", from_=sender, to=[to], sent_at=when, in_reply_to=in_reply_to,
                         references=[in_reply_to] if in_reply_to else [])


def extraction(when: datetime, event: str, refs=(), **fields) -> Extraction:
    return Extraction(message_id=None, sent_at=when, language="ko", role="", event=event,
                      order_refs=[OrderRef(k, v, v) for k, v in refs], **fields)


def feed(db, config, parsed: ParsedMessage, x: Extraction, now: datetime):
    """What the poller does with one message, minus IMAP: match, create, apply; commit."""
    with db.session() as session:
        directory = Directory(config)
        counterpart = directory.counterpart(parsed)
        record = Message(mailbox="work", folder="INBOX", uidvalidity=1, uid=next(_uids), message_id=parsed.message_id,
                         sha256=parsed.message_id, sender=parsed.from_.email, subject=parsed.subject, sent_at=parsed.sent_at,
                         in_reply_to=parsed.in_reply_to, references=" ".join(parsed.references),
                         role=directory.kind_of(parsed.from_), status="ok", processed_at=now)
        session.add(record)
        session.flush()
        ledger = Ledger(session, config)
        party = ledger.party(counterpart.kind, counterpart.domain)
        order, how = ledger.match(parsed, x, party)
        if order is None and x.order_refs:
            order, how = ledger.create_order(x, now), "created"
        if order is not None:
            ledger.attach_refs(order, x)
            record.order = order
            ledger.apply(order, record, x, counterpart, now)
        session.flush()
        return (order.id if order else None), how


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SEOUL) if day > 15 else datetime(2026, 12, day, hour, tzinfo=SEOUL)


def test_the_story_builds_the_timeline_a_rep_would_write(db, config):
    promise = extraction(at(20), "eta", [("po", "PO-2026-0412")], eta=date(2026, 11, 27), eta_confirmed=False,
                         evidence={"eta": "11월 27일(금) 입고 예정입니다."})
    order_id, how = feed(db, config, message(REP, CUSTOMER, at(20), "<m1@hanbit>"), promise, at(20))
    assert how == "created"
    delay = extraction(at(30), "delay", [("po", "PO-2026-0412"), ("so", "SO7712345")], eta=date(2026, 12, 14),
                       eta_confirmed=False, delay_days=14, reason="본사 재고 부족",
                       evidence={"eta": "본사 재고 부족으로 2주 지연 예상됩니다.", "reason": "본사 재고 부족으로 2주 지연 예상됩니다."})
    assert feed(db, config, message(VENDOR, REP, at(30), "<m2@lenovo>"), delay, at(30)) == (order_id, "reference PO-2026-0412")
    silent = extraction(at(4), "delay", [], evidence={"event": "아직 본사 답 없습니다."})
    assert feed(db, config, message(VENDOR, REP, at(4), "<m3@lenovo>", "<m2@lenovo>"), silent, at(4)) == (order_id, "thread")
    confirmed = extraction(at(11), "confirmed", [], eta=date(2026, 12, 16), eta_confirmed=True,
                           evidence={"eta": "다음 주 수요일 입고 확정입니다."})
    assert feed(db, config, message(VENDOR, REP, at(11), "<m4@lenovo>"), confirmed, at(11))[1] == "only open order of Lenovo"
    delivered = extraction(at(16), "delivered", [("so", "SO7712345")])
    feed(db, config, message(VENDOR, REP, at(16), "<m5@lenovo>"), delivered, at(16))

    with db.session() as session:
        order = session.get(Order, order_id)
        assert sorted(r.value for r in order.refs) == ["PO-2026-0412", "SO7712345"]
        assert (order.status, order.promised, order.vendor_eta, order.vendor_eta_confirmed) == (
            "delivered", date(2026, 11, 27), date(2026, 12, 16), True)
        assert order.delay_reason == "본사 재고 부족"
        assert days_slipped(order) == 19
        changes = [(e.field, e.old_value, e.new_value, e.confirmed) for e in order.events if e.field]
        assert changes == [
            ("promised", None, "2026-11-27", None),
            ("delay_reason", None, "본사 재고 부족", None),
            ("vendor_eta", None, "2026-12-14", False),
            ("status", "open", "delayed", None),
            ("vendor_eta", "2026-12-14", "2026-12-16", True),
            ("status", "delayed", "confirmed", None),
            ("status", "confirmed", "delivered", None),
        ]
        eta_events = [e for e in order.events if e.field == "vendor_eta"]
        assert [e.sentence for e in eta_events] == ["본사 재고 부족으로 2주 지연 예상됩니다.", "다음 주 수요일 입고 확정입니다."]
        assert {e.sender for e in eta_events} == {"sungho.lee@lenovo.com"}
        assert all(e.message.message_id for e in eta_events)


def test_a_message_with_no_reference_and_two_open_orders_stays_unmatched(db, config):
    for ref in ("PO-1", "PO-2"):
        feed(db, config, message(VENDOR, REP, at(1), f"<{ref}@lenovo>"), extraction(at(1), "eta", [("po", ref)]), at(1))
    order_id, how = feed(db, config, message(VENDOR, REP, at(2), "<x@lenovo>"), extraction(at(2), "delay"), at(2))
    assert order_id is None
    assert how == "no reference, thread or single open order"


def test_quoted_references_match_but_never_change_the_eta(db, config):
    first = extraction(at(1), "eta", [("po", "PO-2026-0412")], eta=date(2026, 12, 9), eta_confirmed=False)
    order_id, _ = feed(db, config, message(VENDOR, REP, at(1), "<a@lenovo>"), first, at(1))
    feed(db, config, message(VENDOR, REP, at(1), "<b@lenovo>"), extraction(at(1), "eta", [("po", "PO-9")]), at(1))
    reply = Extraction(message_id=None, sent_at=at(2), language="ko", role="", event="other",
                       quoted_refs=[OrderRef("po", "PO-2026-0412", "PO-2026-0412")])
    assert feed(db, config, message(CUSTOMER, REP, at(2), "<c@mirae>"), reply, at(2)) == (order_id, "quoted reference PO-2026-0412")
    with db.session() as session:
        assert session.get(Order, order_id).vendor_eta == date(2026, 12, 9)


def test_an_eta_after_the_promised_date_is_a_slip(db, config):
    told = extraction(at(1), "eta", [("po", "PO-7")], eta=date(2026, 12, 4))
    order_id, _ = feed(db, config, message(REP, CUSTOMER, at(1), "<p@hanbit>"), told, at(1))
    later = extraction(at(2), "eta", [("po", "PO-7")], eta=date(2026, 12, 11), eta_confirmed=False)
    feed(db, config, message(VENDOR, REP, at(2), "<v@lenovo>"), later, at(2))
    with db.session() as session:
        order = session.get(Order, order_id)
        assert is_late(order) and order.status == "delayed" and days_slipped(order) == 7


def test_customer_required_by_and_contacts(db, config):
    ask = extraction(at(1), "inquiry", [("po", "PO-8")], required_by=date(2026, 12, 10),
                     evidence={"required_by": "12월 10일까지 꼭 필요합니다."})
    order_id, _ = feed(db, config, message(CUSTOMER, REP, at(1), "<r@mirae>"), ask, at(1))
    with db.session() as session:
        order = session.get(Order, order_id)
        assert order.required_by == date(2026, 12, 10)
        assert order.customer.name == "미래금융" and order.customer_contact.email == "jh.park@mirae-fin.co.kr"
        assert session.scalars(select(OrderEvent).where(OrderEvent.field == "required_by")).one().sentence == "12월 10일까지 꼭 필요합니다."
