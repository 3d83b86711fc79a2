"""extract() on hand-built ParsedMessages."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from parsers.extract import extract, extract_many, extraction_to_json
from parsers.types import Address, ExtractSettings, ParsedMessage

SEOUL = ZoneInfo("Asia/Seoul")
SETTINGS = ExtractSettings(
    vendor_domains=("vendor.co.kr", "dell.com"),
    customer_domains=("customer.com",),
    rep_addresses=("rep@reseller.kr",),
)


def msg(new_text, sent=(2026, 12, 11), sender="kim@vendor.co.kr", subject="", quoted="", **kw):
    return ParsedMessage(
        message_id="<m@x>",
        subject=subject,
        from_=Address("", sender) if sender else None,
        sent_at=datetime(*sent, 10, 0, tzinfo=SEOUL) if sent else None,
        text=new_text + quoted,
        new_text=new_text,
        quoted_text=quoted,
        **kw,
    )


def test_product_story_confirmed():
    """Friday 2026-12-11: "다음 주 수요일 입고 확정" is Wednesday 2026-12-16, firm."""
    x = extract(msg("안녕하세요.\n요청하신 PO# 4500012345 건 다음 주 수요일 입고 확정입니다.\n감사합니다."), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("confirmed", date(2026, 12, 16), True)
    assert [r.value for r in x.order_refs] == ["PO4500012345"]
    assert x.language == "ko" and x.role == "vendor"
    assert "확정" in x.evidence["eta"]


def test_product_story_duration_delay():
    """Monday 2026-11-30: a two-week delay with no date -> eta = sent + 14, hedged."""
    x = extract(msg("본사 재고 부족으로 2주 지연 예상됩니다.", sent=(2026, 11, 30)), SETTINGS)
    assert x.event == "delay"
    assert (x.delay_days, x.eta, x.eta_confirmed) == (14, date(2026, 12, 14), False)
    assert "재고 부족" in x.reason
    assert x.evidence["delay_days"] == "본사 재고 부족으로 2주 지연 예상됩니다."


def test_vendor_delay_english_with_confirmed_new_date():
    text = "Hi Minsu,\nDue to a component shortage, delivery has slipped to Dec 18.\nThe new date is confirmed."
    x = extract(msg(text, sent=(2026, 12, 7), sender="amy@emea.dell.com"), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("delay", date(2026, 12, 18), True)
    assert x.role == "vendor" and x.language == "en"
    assert x.reason == "component shortage"


def test_delay_with_date_and_length():
    x = extract(msg("SO 7712399 건 1주 지연되어 12월 18일 입고 예정입니다.", sent=(2026, 12, 7)), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 12, 18), 7)


def test_confirmed_english():
    x = extract(msg("We can confirm delivery on Wednesday, December 16.", sent=(2026, 12, 11)), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("confirmed", date(2026, 12, 16), True)


def test_hedged_eta():
    x = extract(msg("확정은 아니고 12월 16일 입고 예상입니다."), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("eta", date(2026, 12, 16), False)


def test_quoted_history_trap():
    quoted = "> 2026-12-08 입고 예정입니다.\n> 발주번호: 4500012346"
    x = extract(msg("네, 확인했습니다. 감사합니다.", subject="RE: 납기 문의", quoted=quoted), SETTINGS)
    assert x.event == "other" and x.eta is None and x.eta_confirmed is None
    assert [r.value for r in x.quoted_refs] == ["PO4500012346"]
    assert x.order_refs == []


def test_quoted_refs_exclude_own_refs():
    x = extract(msg("PO# 4500012346 건 출고되었습니다.", quoted="> PO 4500012346\n> SO 7712345"), SETTINGS)
    assert [r.value for r in x.order_refs] == ["PO4500012346"]
    assert [r.value for r in x.quoted_refs] == ["SO7712345"]
    assert x.event == "shipped"


def test_customer_inquiry_with_required_by():
    text = "PO 4500012345 건 언제 들어와요? 12월 10일까지 꼭 필요합니다."
    x = extract(msg(text, sent=(2026, 12, 1), sender="lee@customer.com"), SETTINGS)
    assert (x.role, x.event, x.required_by, x.eta) == ("customer", "inquiry", date(2026, 12, 10), None)
    assert "필요" in x.evidence["required_by"]


def test_customer_english_need_by():
    x = extract(msg("Any update? We need them by Friday.", sent=(2026, 12, 1), sender="bob@it.customer.com"), SETTINGS)
    assert (x.role, x.event, x.required_by) == ("customer", "inquiry", date(2026, 12, 4))


def test_past_date_is_not_a_new_eta():
    text = "지난주 금요일 입고된다고 하셨는데 아직 안 들어왔습니다. 언제 되나요?"
    x = extract(msg(text, sent=(2026, 12, 11), sender="lee@customer.com"), SETTINGS)
    assert x.eta is None and x.event == "inquiry"


def test_meeting_date_is_not_eta():
    x = extract(msg("12월 14일 미팅 때 뵙겠습니다. 입고는 12월 16일 예정입니다."), SETTINGS)
    assert x.eta == date(2026, 12, 16)


def test_subject_refs_and_role_rep():
    x = extract(msg("확인 부탁드립니다.", sender="rep@reseller.kr", subject="S/O# 7712399 납기"), SETTINGS)
    assert x.role == "rep" and [r.value for r in x.order_refs] == ["SO7712399"]
    assert x.evidence["order_refs"] == "S/O# 7712399 납기"


def test_no_sent_date_leaves_dates_empty():
    x = extract(msg("12월 16일 입고 확정입니다.", sent=None), SETTINGS)
    assert x.dates == [] and x.eta is None and "dates" in x.evidence
    assert x.event == "confirmed"


def test_bad_input_never_raises():
    for m in (
        msg("", sender=None),
        msg("x" * 300_000),
        ParsedMessage(message_id=None, error="unparseable"),
    ):
        x = extract(m, SETTINGS)
        assert x.event in ("other",)
    assert extract(ParsedMessage(message_id=None, error="unparseable"), SETTINGS).error == "unparseable"


def test_dates_carry_their_sentence():
    x = extract(msg("감사합니다.\n12월 16일 입고 예정입니다."), SETTINGS)
    assert [(d.value, d.sentence) for d in x.dates] == [(date(2026, 12, 16), "12월 16일 입고 예정입니다.")]


def test_extract_many_matches_extract_and_keeps_order():
    msgs = [
        msg("다음 주 수요일 입고 확정입니다."),
        msg("The order shipped today.", sender="amy@dell.com"),
        msg("견적 부탁드립니다.", sender="lee@customer.com"),
    ] * 30
    many = list(extract_many(msgs, SETTINGS, batch_size=8))
    assert [extraction_to_json(x) for x in many] == [extraction_to_json(extract(m, SETTINGS)) for m in msgs]
    assert [x.event for x in many[:3]] == ["confirmed", "shipped", "quote_request"]


def test_extraction_to_json():
    j = extraction_to_json(extract(msg("PO# 4500012345 다음 주 수요일 입고 확정입니다."), SETTINGS))
    assert j["eta"] == "2026-12-16" and j["order_refs"] == ["PO4500012345"]
    assert j["sent_at"] == "2026-12-11T10:00:00+09:00"
    assert j["dates"][0] == {
        "text": "다음 주 수요일",
        "value": "2026-12-16",
        "last": "2026-12-16",
        "kind": "point",
        "sentence": "PO# 4500012345 다음 주 수요일 입고 확정입니다.",
    }


# --- the story threads (tests/data/story/{ko,en}): each message against timeline.json

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from parsers.message import parse_message  # noqa: E402

STORY = Path(__file__).parent / "data" / "story"
STORY_SETTINGS = ExtractSettings(
    vendor_domains=("lenovo.com", "dell.com", "hpe.com"),
    customer_domains=("mirae-fin.co.kr", "seoul-bio.kr", "globex.com", "initech.io"),
    rep_addresses=("minsu.kim@hanbit-it.co.kr",),
)


def _story_cases():
    for lang in ("ko", "en"):
        timeline = STORY / lang / "timeline.json"
        if timeline.exists():
            for entry in json.loads(timeline.read_text(encoding="utf-8")):
                yield pytest.param(lang, entry, id=f"{lang}/{entry['file']}")


def _story(lang: str, name: str):
    return extract(parse_message((STORY / lang / name).read_bytes()), STORY_SETTINGS)


@pytest.mark.parametrize("lang, entry", list(_story_cases()))
def test_story_message(lang, entry):
    x = _story(lang, entry["file"])
    got = (x.role, x.event, x.eta.isoformat() if x.eta else None, x.eta_confirmed)
    assert got == (entry["from_role"], entry["event"], entry["eta"], entry["eta_confirmed"])
    assert (x.required_by.isoformat() if x.required_by else None) == entry["required_by"]
    assert x.delay_days == entry["delay_days"]


def test_story_order_received_is_not_delivered():
    """"오더 잘 받았습니다" acknowledges the order; the date that follows is the eta."""
    x = _story("ko", "03_INBOX_vendor_so.eml")
    assert (x.event, x.eta, x.eta_confirmed) == ("eta", date(2026, 12, 4), False)
    assert "12/4" in x.evidence["eta"]


def test_story_daily_update_absent_confirmation_and_update_date():
    """"확정 회신은 아직 없으며" is no confirmation; "오늘 납기 업데이트" dates the
    update, "12월 14일(월)로 변동 없습니다" keeps the eta."""
    x = _story("ko", "11_Sent_daily_update_1.eml")
    assert (x.event, x.eta, x.eta_confirmed) == ("eta", date(2026, 12, 14), False)
    assert "변동 없습니다" in x.evidence["eta"]
    for name in ("15_Sent_daily_update_2.eml", "17_Sent_daily_update_3.eml"):
        x = _story("en", name)
        assert (x.event, x.eta, x.eta_confirmed) == ("eta", date(2027, 1, 18), False)


def test_story_vendor_no_news_is_other():
    for name in ("14_INBOX_vendor_no_answer.eml", "19_INBOX_vendor_no_answer_2.eml"):
        x = _story("ko", name)
        assert (x.role, x.event, x.eta) == ("vendor", "other", None)


def test_story_newsletter_is_not_about_an_order():
    for lang, name in (("ko", "10_INBOX_newsletter.eml"), ("en", "05_INBOX_newsletter.eml")):
        x = _story(lang, name)
        assert (x.event, x.eta, x.delay_days) == ("other", None, None)


def test_story_delivered_and_customer_mail_give_no_eta():
    for name in ("04_INBOX_customer_inquiry.eml", "15_INBOX_customer_followup.eml", "18_INBOX_seoulbio_delivered.eml"):
        assert _story("ko", name).eta is None


def test_story_delay_without_committed_date_is_unconfirmed():
    x = _story("en", "08_INBOX_vendor_delay.eml")
    assert (x.event, x.eta, x.eta_confirmed, x.delay_days) == ("delay", date(2027, 1, 18), False, 14)


def test_table_header_gives_the_row_its_meaning():
    text = "아래와 같이 출고되었음을 알려드립니다.\n\n품목 | 수량 | 출고일 | 도착예정\nC9300 | 4 | 2026-12-04 | 12월 7일(월)"
    x = extract(msg(text, sent=(2026, 12, 4)), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("shipped", date(2026, 12, 7), False)
    text = "입고 확정 일정 안내드립니다.\n품목 | 수량 | 확정일\nCW9166I | 20 | 12월 28일(월)\n\n연말이라 배송 몰리니 연락처 부탁드립니다."
    x = extract(msg(text, sent=(2026, 12, 11)), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("confirmed", date(2026, 12, 28), True)


def test_original_and_revised_dates_give_the_delay():
    x = extract(msg("Unfortunately the ETA moves from Jan 8 to Jan 22.", sent=(2027, 1, 4), sender="m@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2027, 1, 22), 14)
    text = "Status : BACKORDERED\nPrevious ETA : 2026-11-16\nNew ETA : 2026-11-30"
    x = extract(msg(text, sent=(2026, 11, 10), sender="m@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 11, 30), 14)


def test_a_week_ends_on_friday():
    x = extract(msg("Current ETA is week 51, not committed yet.", sent=(2026, 12, 7), sender="m@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("eta", date(2026, 12, 18), False)


def test_automatic_reply_and_newsletter_are_other():
    x = extract(msg("I am out of the office until January 4th. For urgent matters contact Tom.",
                    sender="dana@customer.com", subject="Automatic reply: RE: PO# 4500012345"), SETTINGS)
    assert (x.event, x.eta) == ("other", None)
    x = extract(msg("■ 주요 벤더 입고 지연 평균 2~3주\n\n수신거부 https://news.example/unsub", sender="news@news.example"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("other", None, None)


def test_required_by_is_the_customers():
    x = extract(msg("The customer needs them by Jan 8. Could you let me know the ETA?", sent=(2026, 12, 29),
                    sender="rep@reseller.kr"), SETTINGS)
    assert x.required_by is None and x.event == "inquiry"


def test_eta_cue_without_a_delivery_date_is_not_an_eta():
    x = extract(msg("팀장님, 오늘 납기 업데이트입니다.", sender="rep@reseller.kr"), SETTINGS)
    assert (x.event, x.eta) == ("other", None)


def test_a_date_named_as_the_previous_one_is_not_the_eta():
    text = "The previous ETA of Nov 27 is no longer achievable.\nNew estimated arrival in Seoul is Dec 11."
    x = extract(msg(text, sent=(2026, 11, 19), sender="k@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 12, 11), 14)
    text = " - 기존 입고예정일: 2026년 12월 11일(금)\n - 변경 입고예정일: 2026년 12월 18일(금)\n일정이 변경되었습니다."
    x = extract(msg(text, sent=(2026, 12, 2)), SETTINGS)
    assert (x.eta, x.delay_days) == (date(2026, 12, 18), 7)


def test_old_day_plus_stated_delay_across_a_line_break():
    text = "SO 7712870 건은 원래 12월 10일 입고 예정이었으나,\n선적 일정 문제로 1주일 정도 늦어질 것 같습니다."
    x = extract(msg(text, sent=(2026, 12, 1)), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 12, 17), 7)


def test_a_change_range_after_the_old_marker_is_the_new_date():
    text = "입고가 약 열흘 지연될 예정입니다.\n기존 12월 14일에서 12월 24일(목)경으로 변경되었습니다."
    x = extract(msg(text, sent=(2026, 12, 9)), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 12, 24), 10)


def test_the_later_of_equal_dates_wins():
    text = "Estimated Ship Date: 11/17/2026\nEstimated Delivery Date: 11/20/2026"
    assert extract(msg(text, sent=(2026, 11, 9), sender="n@dell.com"), SETTINGS).eta == date(2026, 11, 20)
    text = "금주 중 출고 가능할 것 같아요.\n도착은 차주 초로 예상하고 있어요."
    assert extract(msg(text, sent=(2026, 12, 1)), SETTINGS).eta == date(2026, 12, 9)


def test_the_day_a_shipment_left_is_not_its_eta():
    x = extract(msg("발주번호 4500012860 건 금일 출고 완료되었습니다.", sent=(2026, 12, 10)), SETTINGS)
    assert (x.event, x.eta) == ("shipped", None)


@pytest.mark.parametrize(
    "text",
    ["Current lead time is 4-6 weeks ARO; we have no stock at the moment.", "납기: 발주 후 6~8주 (제조사 리드타임)",
     "납기는 제조사 확인 후 안내드리겠습니다. 통상 3~4주 소요됩니다."],
)
def test_conditional_or_usual_lead_times_are_no_eta(text):
    x = extract(msg(text, sent=(2026, 12, 4)), SETTINGS)
    assert x.eta is None and x.event != "eta"


def test_need_by_deadline_beats_other_dates():
    text = "Our kickoff is January 11 and we need the switches on site by January 6 at the latest."
    x = extract(msg(text, sent=(2026, 12, 7), sender="raj@customer.com"), SETTINGS)
    assert x.required_by == date(2027, 1, 6)


def test_a_received_reply_does_not_make_the_date_a_reply_date():
    x = extract(msg("PO-2026-0570 건 벤더로부터 12월 14일(월) 오전 입고 확정 회신 받았습니다.", sender="rep@reseller.kr"), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("confirmed", date(2026, 12, 14), True)
    x = extract(msg("확정 일정은 다음 주 화요일까지 회신드리겠습니다."), SETTINGS)
    assert x.eta is None


def test_invitations_and_vendor_promotions_are_other():
    x = extract(msg("Priya has invited you to a meeting.\nAgenda: the backorder on SO 98123456", sender="p@dell.com",
                    subject="Invitation: partner review @ Thu Dec 10, 2026"), SETTINGS)
    assert (x.event, x.eta) == ("other", None)
    x = extract(msg("Configurations in stock ship in 3 business days.\nUnsubscribe", sender="deals@info.dell.com"), SETTINGS)
    assert x.event == "other"


def test_a_delivered_line_with_another_still_pending():
    text = "No | 품목 | 상태 | 입고예정일\n1 | SR650 V3 | 입고완료 | 2026-12-04\n2 | DE4000H | 입고예정 | 2026-12-16(수)"
    x = extract(msg(text, sent=(2026, 12, 7)), SETTINGS)
    assert (x.event, x.eta) == ("eta", date(2026, 12, 16))


def test_no_order_and_no_goods_from_a_non_party_is_other():
    x = extract(msg("제출이 늦어지면 1월 급여 반영이 지연될 수 있습니다.", sender="admin@reseller.kr"), SETTINGS)
    assert (x.event, x.eta) == ("other", None)


def test_incoming_stock_with_no_order_is_a_stock_answer():
    x = extract(msg("문의하신 C9300-48P 재고는 현재 없고, 1월 중순 입고 예정입니다.", sent=(2026, 12, 14)), SETTINGS)
    assert (x.event, x.eta) == ("stock_check", None)


FORWARDED = (
    "________________________________\nFrom: APJ Order Management <apj@dell.com>\n"
    "Sent: Thursday, November 19, 2026 6:12 PM\nTo: Rachel <r@dell.com>\nSubject: delivery date change\n\n"
    "Order# 1038472915 (customer PO PO-2026-0601) is impacted by a shortage. "
    "The estimated delivery date moves from 11/20/2026 to 12/04/2026.\n\nRegards,\nAPJ"
)


def test_a_forward_is_read_for_what_its_cover_note_leaves_open():
    x = extract(msg("Please see below. Sorry about this.", sent=(2026, 11, 20), sender="r@dell.com",
                    subject="FW: delivery date change", quoted=FORWARDED), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 12, 4), 14)
    assert [r.value for r in x.order_refs] == ["PO1038472915", "PO-2026-0601"] and x.quoted_refs == []
    assert x.evidence["eta"].startswith("The estimated delivery date moves")


def test_a_forwarded_customer_need_by_date():
    quoted = ("-----Original Message-----\nFrom: Raj <raj@customer.com>\nSent: Monday, December 7, 2026 8:02 PM\n"
              "To: sales@reseller.kr\nSubject: status\n\nHas PO# 4500012875 shipped yet? We need it by January 6.")
    x = extract(msg("Can you reply to Raj?", sent=(2026, 12, 8), sender="jy@reseller.kr", subject="FW: status",
                    quoted=quoted), SETTINGS)
    assert (x.role, x.event, x.required_by) == ("other", "inquiry", date(2027, 1, 6))


def test_a_reply_is_not_read_as_a_forward():
    x = extract(msg("Thanks.", sent=(2026, 11, 20), sender="r@dell.com", subject="RE: delivery date change",
                    quoted=FORWARDED), SETTINGS)
    assert (x.event, x.eta, [r.value for r in x.order_refs]) == ("other", None, [])


def test_a_date_given_up_is_not_the_eta():
    text = "The Dec 22 delivery we gave you will not hold. Realistically we're now looking at mid-January."
    x = extract(msg(text, sent=(2026, 12, 15), sender="k@dell.com"), SETTINGS)
    assert (x.event, x.eta) == ("delay", date(2027, 1, 20))
    x = extract(msg("SO7713115 건 입고 예정일이 12/28에서 12/23으로 앞당겨졌습니다.", sent=(2026, 12, 18)), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("eta", date(2026, 12, 23), None)


def test_a_date_in_a_stated_cause_is_not_the_eta():
    text = ("Due to the year-end shutdown at our DC (Dec 24 - Jan 1), S/O 7713150 can no longer ship this year. "
            "It is now scheduled to ship Jan 4, with delivery to Seoul on Jan 6.")
    x = extract(msg(text, sent=(2026, 12, 18), sender="p@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2027, 1, 6), None)


def test_a_period_bounding_a_named_day_is_not_the_eta():
    text = "New estimated delivery is Dec 29 (previously Jan 12), so it should make it before the year end."
    x = extract(msg(text, sent=(2026, 12, 21), sender="p@dell.com"), SETTINGS)
    assert x.eta == date(2026, 12, 29)


def test_a_deadline_is_not_the_old_day_of_a_delay():
    text = ("The shipment is being held at Incheon customs. Our broker expects clearance by Wednesday, "
            "and delivery would then be Monday, Dec 28.")
    x = extract(msg(text, sent=(2026, 12, 21), sender="j@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == ("delay", date(2026, 12, 28), None)


def test_a_need_pointing_back_to_a_date_is_the_day_before():
    x = extract(msg("Lab setup이 1/8이라 그 전에는 꼭 받아야 해요.", sent=(2026, 12, 14), sender="y@customer.com"), SETTINGS)
    assert x.required_by == date(2027, 1, 7)


def test_returns_and_repairs_are_no_delivery():
    text = "PO-2026-0701 불량 장비 회수는 12/23(수) 오후 기사님 방문 예정입니다.\n회수 후 제조사 점검 결과는 1~2주 정도 소요될 예정입니다."
    x = extract(msg(text, sent=(2026, 12, 21)), SETTINGS)
    assert (x.event, x.eta) == ("other", None)


def test_a_fixed_width_header_gives_its_rows_their_meaning():
    text = ("SO Number       Your PO        Item          Qty  Status      Est. Delivery\n"
            "SO-2026-12001   PO-2026-0705   DL380 Gen11     2  Allocated   12/15/2026\n"
            "SO-2026-12003   PO-2026-0707   MSA 2060        1  Processing  12/23/2026")
    x = extract(msg(text, sent=(2026, 12, 11)), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("eta", date(2026, 12, 23), False)


def test_a_delivered_line_with_another_on_its_way_is_shipped():
    text = ("Part of your order has been delivered.\nLine | Product | Qty | Status | Delivery Date\n"
            "10 | DL360 Gen11 | 2 | Delivered | 21-Dec-2026\n30 | MR408i-o Controller | 2 | Shipped | Est. 28-Dec-2026")
    x = extract(msg(text, sent=(2026, 12, 22), sender="n@dell.com"), SETTINGS)
    assert (x.event, x.eta) == ("shipped", date(2026, 12, 28))


def test_answers_written_into_the_quoted_mail_are_the_senders():
    quoted = ("From: Minsu Kim <rep@reseller.kr>\nSent: Thursday, December 17, 2026 9:05 AM\nTo: Kevin <k@dell.com>\n"
              "Subject: SO7713170 - few questions\n\nHi Kevin,\n\n1. Can you confirm the delivery date for SO7713170?\n"
              ">> KT: Confirmed - Tuesday, Dec 22, to the customer's site.\n\n"
              "2. Any chance of a morning delivery?\n>> KT: I've asked the carrier, will confirm Monday.\n\nThanks,\nMinsu")
    x = extract(msg("Hi Minsu, answers below.\n\nKevin", sent=(2026, 12, 17), sender="k@dell.com",
                    subject="RE: SO7713170 - few questions", quoted=quoted), SETTINGS)
    assert (x.event, x.eta, x.eta_confirmed) == ("confirmed", date(2026, 12, 22), True)
    x = extract(msg("Thanks.", sent=(2026, 12, 17), sender="k@dell.com", subject="RE: SO7713170", quoted=quoted), SETTINGS)
    assert (x.event, x.eta) == ("other", None)


@pytest.mark.parametrize(
    "text, event, eta, delay",
    [
        ("Your order SO 7712345 will not ship until Jan 5.", "eta", date(2027, 1, 5), None),
        ("Delivery for SO 7712345 has been moved from Dec 18 to Dec 23.", "delay", date(2026, 12, 23), 5),
        ("PO-2026-0700 건 12/22 입고 확정이며 변경 불가합니다.", "confirmed", date(2026, 12, 22), None),
        ("Due to a shortage the order will now arrive Dec 28.", "delay", date(2026, 12, 28), None),
    ],
)
def test_dates_kept_next_to_negations_changes_and_causes(text, event, eta, delay):
    x = extract(msg(text, sent=(2026, 12, 14), sender="a@dell.com"), SETTINGS)
    assert (x.event, x.eta, x.delay_days) == (event, eta, delay)


@pytest.mark.parametrize(
    "text, sent, subject, event, eta",
    [
        ("연차 휴가 중입니다. 1월 4일 복귀 예정이며 복귀 후 회신드리겠습니다.", (2026, 12, 24), "RE: SO7713180 납기 문의", "other", None),
        ("Due to the Lunar New Year holidays (Feb 6-9), SO 7712345 will ship Feb 10 and arrive Feb 11.", (2027, 2, 1), "",
         "eta", date(2027, 2, 11)),
        ("SO 7712345 should arrive late next week.", (2026, 12, 14), "", "eta", date(2026, 12, 25)),
        ("SO 7712345 ETA: TBD (awaiting factory commit)", (2026, 12, 14), "", "other", None),
    ],
)
def test_absences_causes_and_parts_of_periods_are_not_dates_or_delays(text, sent, subject, event, eta):
    x = extract(msg(text, sent=sent, subject=subject, sender="a@dell.com"), SETTINGS)
    assert (x.event, x.eta) == (event, eta)


@pytest.mark.parametrize(
    "text, sender, event, eta",
    [
        ("We've shipped 5 of 8 on SO 7712345; the remaining 3 are expected to ship mid-January.", "a@dell.com",
         "shipped", date(2027, 1, 20)),
        ("SO 7712345: 2 of 4 delivered today, the remaining 2 arriving tomorrow.", "a@dell.com", "eta", date(2026, 12, 15)),
        ("The Christmas holiday may affect transit times; SO 7712345 is still expected Dec 23.", "a@dell.com",
         "eta", date(2026, 12, 23)),
        ("SO 7712345 ETA moved up to Dec 21 from Dec 28.", "a@dell.com", "eta", date(2026, 12, 21)),
        ("PO-2026-0700 발주 취소 요청드립니다. 고객사 프로젝트가 연기되었습니다.", "rep@reseller.kr", "other", None),
    ],
)
def test_partial_lines_holidays_pull_ins_and_other_postponements(text, sender, event, eta):
    x = extract(msg(text, sent=(2026, 12, 14), sender=sender), SETTINGS)
    assert (x.event, x.eta) == (event, eta)


def test_the_date_of_a_promised_answer_is_not_the_eta():
    text = ("Line 1.1 on S/O 7713101 is on constraint and the ETA is TBD.\n"
            "I will come back to you as soon as I have something, hopefully before the holidays.")
    x = extract(msg(text, sent=(2026, 12, 18), sender="p@dell.com"), SETTINGS)
    assert (x.event, x.eta) == ("delay", None)


def test_a_missed_sailing_is_a_delay_and_its_day_is_not_the_eta():
    text = ("Update: the forwarder could not get space on the Dec 11 sailing either.\n"
            "We are tentatively looking at the week of Jan 18 for arrival in Seoul.")
    x = extract(msg(text, sent=(2026, 12, 9), sender="k@dell.com"), SETTINGS)
    assert (x.event, x.eta) == ("delay", date(2027, 1, 22))


def test_the_rep_asking_a_colleague_is_no_inquiry():
    text = "지윤씨, 미래금융 PO-2026-0570 건 설치 일정 엔지니어팀에 공유 부탁해요."
    colleague, vendor = [Address("", "jiyun@reseller.kr")], [Address("", "kim@vendor.co.kr")]
    assert extract(msg(text, sender="rep@reseller.kr", to=colleague), SETTINGS).event == "other"
    assert extract(msg(text, sender="rep@reseller.kr", to=vendor), SETTINGS).event == "inquiry"
    assert extract(msg(text, sender="rep@reseller.kr"), SETTINGS).event == "inquiry"
