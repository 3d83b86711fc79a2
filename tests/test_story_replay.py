"""The story behind the product, replayed day by day against the real Dovecot.

A careful rep wants: a delay notice the moment the vendor's date passes the customer's,
a daily update on each business day while the order is late (not on a day the rep
already wrote), a vendor chase while the vendor is silent, a confirmation notice when
the vendor confirms, shipped notices, nothing after delivery, and never a duplicate.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from tests.conftest import DATA
from tests.replay import replay

PARK, LEE, JUNG, LENOVO = "jh.park@mirae-fin.co.kr", "sj.lee@mirae-fin.co.kr", "haerin.jung@seoul-bio.kr", "sungho.lee@lenovo.com"
LATE_DAYS = [date(2026, 11, d) for d in (24, 25, 26, 27)] + [date(2026, 12, d) for d in (2, 3, 4, 7, 8, 10, 11)]
CHASE_DAYS = [date(2026, 11, d) for d in (24, 25, 26, 27, 30)] + [date(2026, 12, d) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11)]


@pytest.fixture(scope="module")
def korean(dovecot, tmp_path_factory):
    from tests.conftest import make_account

    account = make_account(dovecot, tmp_path_factory.mktemp("story-ko"))
    return replay(account, DATA / "story" / "ko")


def made(drafts, kind, to=None):
    return [d for d in drafts if d.kind == kind and (to is None or d.to == to)]


def test_no_draft_is_made_twice(korean):
    keys = Counter((d.day, d.kind, d.to, d.order) for d in korean)
    assert [k for k, n in keys.items() if n > 1] == []


def test_delay_notices_come_the_moment_the_vendor_date_passes_the_customers(korean):
    notices = made(korean, "delay_notice")
    assert [(d.day, d.to, d.order) for d in notices] == [
        (date(2026, 11, 23), PARK, "PO-2026-0412"),
        (date(2026, 11, 30), PARK, "PO-2026-0412"),
    ]
    first, second = notices
    assert "12월 4일(금)" in first.body and "예정" in first.body
    assert "12월 14일(월)" in second.body and "본사 재고 부족" in second.body
    for notice in notices:
        assert "지연" in notice.body.splitlines()[3]
        assert notice.body.count("죄송") == 1
        assert not any("확정" in line and "12월 1" in line for line in notice.body.splitlines())


def test_daily_updates_on_late_business_days_except_when_the_rep_wrote(korean):
    updates = made(korean, "daily_update", PARK)
    assert [d.day for d in updates] == LATE_DAYS
    for update in updates:
        assert update.language == "ko" and "지연" in update.body.splitlines()[3]


def test_customer_questions_get_a_threaded_status_reply(korean):
    replies = made(korean, "status_reply")
    assert [(d.day, d.to) for d in replies] == [(date(2026, 11, 30), PARK), (date(2026, 12, 4), LEE)]
    assert replies[0].in_reply_to == "<story-ko-04.202611300912@mirae-fin.co.kr>"
    assert replies[0].subject.startswith("Re: ")
    assert "지연" in replies[1].body and "12월 14일(월)" in replies[1].body


def test_vendor_is_chased_while_silent_and_not_after_it_confirms(korean):
    chases = made(korean, "vendor_chase", LENOVO)
    assert [d.day for d in chases] == CHASE_DAYS


def test_confirmation_shipping_and_nothing_after_delivery(korean):
    confirmed = made(korean, "confirmed_notice", PARK)
    assert [d.day for d in confirmed] == [date(2026, 12, 11)]
    assert "12월 16일(수) 입고를 확정했습니다" in confirmed[0].body
    assert [(d.day, d.to) for d in made(korean, "shipped_notice")] == [(date(2026, 12, 8), JUNG), (date(2026, 12, 15), PARK)]
    after_delivery = [d for d in korean if d.order == "PO-2026-0412" and d.day > date(2026, 12, 16)]
    assert after_delivery == []


def test_a_new_quote_request_asks_the_vendor_for_stock_first(korean):
    checks = made(korean, "stock_check")
    assert [(d.day, d.to) for d in checks] == [(date(2026, 12, 21), LENOVO)]
    assert "재고" in checks[0].body and "견적" in checks[0].body


@pytest.fixture(scope="module")
def english(dovecot, tmp_path_factory):
    from tests.conftest import make_account

    account = make_account(dovecot, tmp_path_factory.mktemp("story-en"))
    return replay(account, DATA / "story" / "en")


def test_english_story(english):
    dana, mark = "dana.whitfield@globex.com", "mark.ellis@hpe.com"
    keys = Counter((d.day, d.kind, d.to) for d in english)
    assert [k for k, n in keys.items() if n > 1] == []
    assert {d.language for d in english} == {"en"}
    assert [(d.day, d.to) for d in made(english, "delay_notice")] == [(date(2027, 1, 4), dana)]
    assert [d.day for d in made(english, "daily_update", dana)] == [date(2027, 1, d) for d in (6, 8, 12, 13, 14, 15)]
    assert [d.day for d in made(english, "vendor_chase", mark)] == [date(2027, 1, d) for d in (5, 6, 7, 8, 11, 12, 13, 14, 15)]
    confirmed = made(english, "confirmed_notice", dana)
    assert [d.day for d in confirmed] == [date(2027, 1, 15)]
    assert "the vendor has confirmed delivery to us on Wed 20 Jan" in confirmed[0].body
    assert not any("confirm" in line and "Mon 18 Jan" in line for d in english for line in d.body.splitlines() if d.kind != "vendor_chase")
    assert [d for d in english if d.day > date(2027, 1, 20)] == []
