"""Sentence cues and the message-level event decision."""
import pytest

from parsers.events import analyse_sentence, decide_event, find_reason


def event_of(*sentences, role="vendor", dated=True):
    return decide_event([analyse_sentence(s, dated) for s in sentences], role)[0]


@pytest.mark.parametrize(
    "text, event",
    [
        ("본사 재고 부족으로 2주 지연 예상됩니다.", "delay"),
        ("입고가 다음 주로 밀렸습니다.", "delay"),
        ("The shipment has slipped by a week.", "delay"),
        ("This item is on backorder until January.", "delay"),
        ("Delivery was pushed out to 12/18.", "delay"),
        ("12월 16일 입고 예정입니다.", "eta"),
        ("Expected delivery is Dec 16.", "eta"),
        ("다음 주 수요일 입고 확정입니다.", "confirmed"),
        ("Delivery is confirmed for December 16.", "confirmed"),
        ("We can commit to 12/16.", "confirmed"),
        ("오늘 출고되었습니다.", "shipped"),
        ("The order shipped today, tracking number 1Z999.", "shipped"),
        ("입고 완료되었습니다.", "delivered"),
        ("The servers arrived this morning.", "delivered"),
        ("납품 완료했습니다.", "delivered"),
        ("견적 부탁드립니다.", "quote_request"),
        ("Please send us a quote for 10 units.", "quote_request"),
        ("현재 재고 10대 보유 중입니다.", "stock_check"),
        ("Do you have 5 units in stock?", "stock_check"),
        ("Any update on our order?", "inquiry"),
        ("언제 들어와요?", "inquiry"),
        ("감사합니다.", "other"),
    ],
)
def test_single_sentence_events(text, event):
    assert event_of(text) == event


@pytest.mark.parametrize(
    "text",
    ["확정은 아니고 예상입니다.", "아직 확정되지 않았습니다.", "Tentatively confirmed for Dec 16.",
     "Hopefully confirmed by Friday.", "The date is not yet confirmed.", "확정인가요?", "Is it confirmed?"],
)
def test_hedged_negated_or_asked_is_not_confirmed(text):
    cues = analyse_sentence(text, True)
    assert "confirmed" not in cues.events and not cues.firm


@pytest.mark.parametrize("text", ["지연 없습니다.", "We are not delayed.", "No change to the delivery date.",
                                  "예정대로 진행됩니다.", "Everything is on schedule."])
def test_negated_delay(text):
    cues = analyse_sentence(text, False)
    assert "delay" not in cues.events and cues.on_schedule


def test_questions_only_ask():
    assert event_of("출고되었나요?") == "inquiry"
    assert event_of("Has it shipped?") == "inquiry"
    assert event_of("재고 있나요?") == "stock_check"


def test_receiving_a_po_is_not_a_delivery():
    assert event_of("PO 잘 받았습니다.") == "other"
    assert event_of("We received your PO, thank you.") == "other"
    assert event_of("If you have received it in error, please notify the sender and delete it.") == "other"


def test_precedence():
    assert event_of("12/16 입고 예정입니다.", "오늘 출고되었습니다.") == "shipped"
    assert event_of("2주 지연됩니다.", "새 납기는 12/18로 확정되었습니다.") == "delay"
    # Asking for stock and for a quote rank the same: the one asked first leads.
    assert event_of("견적 부탁드립니다.", "재고도 확인 부탁드립니다.") == "quote_request"
    assert event_of("재고 있나요?", "있으면 견적도 같이 부탁합니다.") == "stock_check"


def test_customer_complaint_is_inquiry():
    assert event_of("납기가 계속 지연되고 있어 곤란합니다.", role="customer") == "inquiry"
    assert event_of("잘 받았습니다.", role="customer") == "delivered"


def test_boilerplate_is_not_inquiry():
    assert event_of("문의사항 있으시면 연락 주세요.") == "other"
    assert event_of("Please let me know if you have any questions.") == "other"


def test_eta_needs_a_date():
    assert event_of("입고 일정 확인 후 회신드리겠습니다.", dated=False) == "other"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("본사 재고 부족으로 2주 지연 예상됩니다.", "본사 재고 부족"),
        ("부품 수급 문제로 출고가 늦어집니다.", "부품 수급 문제"),
        ("Delivery slipped due to customs clearance.", "customs clearance"),
        ("There is a stock shortage at the factory, so we are late.", "stock shortage"),
        ("Our logistics partner is behind, delivery delayed.", "logistics"),
    ],
)
def test_reason(text, reason):
    assert find_reason(text) == reason


def test_no_reason():
    assert find_reason("12/16 입고 예정입니다.") is None


@pytest.mark.parametrize(
    "text",
    ["과장님, 오더 잘 받았습니다.", "발주서 잘 받았습니다.", "메일 잘 받았습니다.", "We received your PO, thanks.",
     "Got your order - will process today."],
)
def test_receiving_an_order_or_mail_is_not_delivered(text):
    assert "delivered" not in analyse_sentence(text, False).events


@pytest.mark.parametrize(
    "text",
    ["벤더 본사 확정 회신은 아직 없으며, 오후에 다시 확인하겠습니다.", "확정 소식은 아직 못 받았습니다.",
     "확정일은 출하 후에 다시 알려드리겠습니다.", "I don't have a committed date yet.", "Still no commit from HPE.",
     "HPE has not come back with a committed date.", "No confirmation yet from the factory."],
)
def test_absent_confirmation_is_not_confirmed(text):
    cues = analyse_sentence(text, True)
    assert "confirmed" not in cues.events and not cues.firm


def test_no_change_with_a_date_keeps_the_eta():
    assert "eta" in analyse_sentence("현재 예상 입고일은 12월 14일(월)로 변동 없습니다.", True).events
    assert "eta" in analyse_sentence("The SO is tracking to Jan 12, no change to the schedule.", True).events


def test_vendor_no_news_is_not_an_inquiry():
    assert event_of("과장님, 아직 본사 답 없어요.", "나오는 대로 바로 말씀드릴게요.", role="vendor") == "other"
    assert event_of("PO 번호 확인 가능할까요?", role="vendor") == "inquiry"


def test_questions_off_the_order_topic_are_not_inquiries():
    assert event_of("Lunch next week?", role="customer") == "other"
    assert event_of("내일 오전에 잠깐 방문드려도 괜찮을까요?", role="rep") == "other"
    assert event_of("오늘 업데이트 있나요??", role="customer") == "inquiry"


def test_customer_plans_and_need_dates_are_not_inquiries():
    assert event_of("We need them by Friday - the go-live is scheduled for the week after.", role="customer") == "other"
    assert event_of("과장님 택배 발송 문자 받았습니다~", role="customer") == "shipped"


def test_completion_required_is_not_delivered():
    for text in ("12월 18일까지 설치가 완료돼야 해서요.", "2월 26일까지 설치 완료 조건으로 부탁드립니다.", "납품 완료 후 발행으로 바꿔주세요."):
        assert "delivered" not in analyse_sentence(text, True).events


@pytest.mark.parametrize(
    "text",
    ["제출이 늦어지면 반영이 안 될 수 있습니다.", "지연 시 바로 알려드리겠습니다.", "If it is delayed we will let you know.",
     "그간 지연으로 불편드려 죄송합니다.", "Sorry for the delayed reply."],
)
def test_conditional_and_past_apology_delays_are_not_delays(text):
    cues = analyse_sentence(text, True)
    assert "delay" not in cues.events and not cues.on_schedule


@pytest.mark.parametrize(
    "text",
    ["A confirmed date would really help.", "I need a firm date, not another estimate.", "I will firm it up next week.",
     "Registration confirmed: Data Center Trends 2027"],
)
def test_wishes_and_undated_confirmations_are_not_confirmed(text):
    cues = analyse_sentence(text, False)
    assert "confirmed" not in cues.events and not cues.firm


def test_a_confirmation_naming_the_date_still_counts():
    assert analyse_sentence("The new date is confirmed.", False).firm


def test_field_labels_are_not_questions():
    assert not analyse_sentence("When: Thursday, December 10, 2026 4:00 PM", True).question
    assert analyse_sentence("When will it ship", False).question


def test_future_completion_and_received_po_are_not_delivered():
    assert "delivered" not in analyse_sentence("입고 즉시 당일 설치 완료하도록 하겠습니다.", False).events
    assert "delivered" not in analyse_sentence("1월 말까지 설치 완료가 목표입니다.", True).events
    assert "delivered" not in analyse_sentence("Thanks, we have received PO# 4500012930 today.", True).events


@pytest.mark.parametrize(
    "text, event",
    [
        ("New estimated arrival in Seoul is Dec 11.", "delay"),
        ("The previous ETA of Nov 27 is no longer achievable.", "delay"),
        ("12/30(수) 입고로 일정이 당겨졌습니다.", "eta"),
        ("Est. Delivery Date | 12/09/2026", "eta"),
        ("We are tentatively looking at the week of Jan 18 for arrival.", "eta"),
        ("Should be there sometime next week.", "eta"),
        ("Your open order is on schedule for Dec 22.", "eta"),
    ],
)
def test_more_dated_wordings(text, event):
    assert event_of(text) == event


@pytest.mark.parametrize(
    "text",
    ["Could we get the PO# 4500012875 switches by Jan 4 instead?", "Can we cancel it if it can't arrive before Christmas?",
     "혹시 서버 이번주 안에 받을 수 있을까요??", "내년 1월 말까지 설치 완료가 목표입니다."],
)
def test_need_by_wordings(text):
    assert analyse_sentence(text, True).need


def test_customer_demanding_a_date_is_an_inquiry():
    assert event_of("We were told December 4. I need a firm date today.", role="customer") == "inquiry"


@pytest.mark.parametrize(
    "text",
    [
        "현재 본사 재고가 소진되어 입고 일정 미정입니다.",
        "Line 1.1 is on constraint and the ETA is TBD.",
        "The Dec 22 delivery we gave you will not hold.",
        "The order can no longer ship this year.",
        "The shipment is being held at Incheon customs.",
        "We have rebooked the delivery for Monday morning.",
        "제조사 사정으로 출고가 보류되었습니다.",
    ],
)
def test_stockouts_holds_and_failed_dates_are_delays(text):
    assert "delay" in analyse_sentence(text, True).events


@pytest.mark.parametrize(
    "text",
    ["Please also add 2 modules if it doesn't hold anything up.", "The project was put on hold, please cancel the PO."],
)
def test_holds_of_no_shipment_are_not_delays(text):
    assert "delay" not in analyse_sentence(text, True).events


def test_deliveries_and_shipments_still_to_come_are_not_reported():
    sc = analyse_sentence("3 of the 5 units left our facility today and should be delivered on Dec 18.", True)
    assert "delivered" not in sc.events and "shipped" in sc.events
    assert "shipped" not in analyse_sentence("We will send you tracking information once your order ships.").events
    assert "shipped" not in analyse_sentence("출고되면 송장번호 보내드리겠습니다.").events


@pytest.mark.parametrize(
    "text",
    ["I'll share a firm date as soon as the CRD is committed.", "We will confirm once the date is firmed up by the factory."],
)
def test_a_commitment_still_to_come_is_not_confirmed(text):
    assert not analyse_sentence(text, True).firm


def test_asking_to_acknowledge_a_cancellation_is_not_an_inquiry():
    assert event_of("Please confirm the cancellation by Wednesday.", role="customer") == "other"
    assert event_of("주문 취소 확인 부탁드립니다.", role="customer") == "other"


def test_questions_about_replacements_are_inquiries():
    assert event_of("교체 가능할까요?", role="customer") == "inquiry"
    assert event_of("Can you arrange a replacement?", role="customer") == "inquiry"
    assert event_of("취소 가능할까요?", role="customer") == "inquiry"


@pytest.mark.parametrize(
    "text",
    ["Lab setup이 1/8이라 그 전에는 꼭 받아야 해요.", "다음 주 수요일에는 받을 수 있을까요?"],
)
def test_korean_need_by_wordings(text):
    assert analyse_sentence(text, True).need


def test_status_cells_of_a_table_row():
    assert "shipped" in analyse_sentence("30 | MR408i-o Controller | 2 | Shipped | Est. 28-Dec-2026", True).events
    assert "delivered" in analyse_sentence("10 | DL360 Gen11 | 2 | Delivered | 21-Dec-2026", True).events
    assert "shipped" not in analyse_sentence("Line | Product | Shipped Qty | Status", False).events


def test_rebooking_a_call_is_no_delay_and_a_started_shipment_is_shipped():
    assert "delay" not in analyse_sentence("We rebooked the call for Monday.", True).events
    assert "shipped" in analyse_sentence("PO-2026-0700 건 금일 출고 시작했습니다.").events


def test_patterns_are_rewritten_to_start_with_a_literal():
    from parsers.events import _literal_first

    assert _literal_first(r"(?:출고|발송)\s*완료") == [r"출고\s*완료", r"발송\s*완료"]
    assert _literal_first(r"\b(?:please\s+)?let\s+us\s+know") == [r"please\s+let\s+us\s+know", r"let\s+us\s+know"]
    assert _literal_first(r"a(?:b|c)|(?:d|e)f") == ["a(?:b|c)", "df", "ef"]
    assert _literal_first(r"\s*x") is None and _literal_first(r"(?:^|\|)\s*shipped") is None


@pytest.mark.parametrize(
    "low, found",
    [("the order shipped today", "shipped today"), ("xshipped today", None), ("status | shipped | x", "| shipped "),
     ("입고 완료되었습니다", "입고 완료되었")],
)
def test_words_match_as_one_alternation(low, found):
    from parsers.events import _Words

    words = _Words(r"\bshipped\s+today", r"(?:^|\|)\s*shipped\s*", r"(?:입고|출고)\s*완료되었")
    m = words.search(low)
    assert (m.group(0) if m else None) == found
    assert words.mask(low).strip() == (low.replace(found, " " * len(found)).strip() if found else low)


@pytest.mark.parametrize(
    "text",
    ["The forwarder could not get space on the Dec 11 sailing.", "We missed the Friday cut-off.", "이번 주 선복 확보를 못 했습니다."],
)
def test_missed_transport_slots_are_delays(text):
    assert "delay" in analyse_sentence(text, True).events
