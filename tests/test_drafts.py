"""Drafts: the wording rules, the voice, the MIME message and user templates."""
from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from assistant.config import load_config
from assistant.drafts import DraftFacts, DraftWriter, build_mime, check_wording, format_day, greeting_name, thread_cc
from assistant.errors import DraftRefused
from assistant.models import Message
from assistant.planner import DraftPlan
from parsers.types import Address
from tests.conftest import CONFIG

DAY = date(2026, 11, 30)


def facts(**changes) -> DraftFacts:
    base = dict(reference="PO-2026-0412", items="ThinkSystem SR650 x8", status="delayed", late=True, promised=date(2026, 11, 27),
                eta=date(2026, 12, 14), eta_confirmed=False, required_by=None, reason="본사 재고 부족", days_slipped=17,
                next_update=date(2026, 12, 1))
    base.update(changes)
    return DraftFacts(**base)


class Order:
    """The fields of an order the writer reads."""

    def __init__(self, **fields):
        self.__dict__.update(dict(reference="PO-2026-0412", items="ThinkSystem SR650 x8", status="delayed", promised=date(2026, 11, 27),
                                  required_by=None, vendor_eta=date(2026, 12, 14), vendor_eta_confirmed=False,
                                  delay_reason="본사 재고 부족"), **fields)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(database=f"sqlite:///{tmp_path / 'a.db'}", port=143, user="rep"))
    return load_config(path)


def writer(config):
    return DraftWriter(session=None, config=config, next_update=lambda day: date(2026, 12, 1))


def plan(kind="delay_notice", language="ko", name="박정훈 팀장", addr="jh.park@mirae-fin.co.kr"):
    return DraftPlan(kind, 1, Address(name, addr), language, None, DAY, "test")


def test_an_unconfirmed_date_stated_as_firm_is_refused():
    with pytest.raises(DraftRefused, match="unconfirmed date as firm"):
        check_wording("입고일은 12월 14일(월)로 확정되었습니다.", "ko", facts(), "delay_notice")
    with pytest.raises(DraftRefused, match="unconfirmed date as firm"):
        check_wording("Delivery is confirmed for Mon 14 Dec.", "en", facts(), "status_reply")
    check_wording("현재 입고 예정일은 12월 14일(월)입니다. 지연되어 죄송합니다. 아직 확정되지 않았습니다.", "ko", facts(), "delay_notice")
    check_wording("The vendor confirmed Mon 14 Dec. Sorry it is late.", "en", facts(eta_confirmed=True), "confirmed_notice")


def test_one_apology_and_the_delay_said_first():
    with pytest.raises(DraftRefused, match="apologises 2 times"):
        check_wording("지연되어 죄송합니다. 정말 죄송합니다.", "ko", facts(), "delay_notice")
    with pytest.raises(DraftRefused, match="do not say so"):
        check_wording("Hello.\nThank you.\nHere is the status.\nAll good.\nIt is late.", "en", facts(), "daily_update")


def test_korean_delay_notice_in_the_reps_voice(config):
    rendered = writer(config).render(plan(), Order(), None)
    lines = rendered.body.splitlines()
    assert rendered.subject == "[PO-2026-0412] 납기 지연 안내"
    assert lines[0] == "박정훈 팀장님, 안녕하세요."
    assert lines[1] == "한빛아이티 김민수 과장입니다."
    assert lines[3] == "PO-2026-0412(ThinkSystem SR650 x8) 건 납기가 지연되어 먼저 연락드립니다. 불편을 드려 죄송합니다."
    assert "기존에 안내드린 입고 예정일은 11월 27일(금)이었습니다." in lines
    assert '벤더에서 알려 온 사유는 "본사 재고 부족"입니다.' in lines
    assert "현재 벤더가 알려 온 입고 예정일은 12월 14일(월)입니다." in lines
    assert "진행 상황은 12월 1일(화) 오전에 다시 안내드리겠습니다." in lines
    assert lines[-1] == "김민수 드림"


def test_english_confirmation_only_when_confirmed(config):
    rendered = writer(config).render(plan("confirmed_notice", "en", "Dana Whitfield", "dana@globex.com"),
                                     Order(vendor_eta_confirmed=True, status="confirmed"), None)
    assert rendered.body.startswith("Dear Dana,")
    assert "the vendor has confirmed delivery to us on Mon 14 Dec" in rendered.body
    unconfirmed = writer(config).render(plan("status_reply", "en", "Dana Whitfield", "dana@globex.com"), Order(), None)
    assert "The vendor's current expected date is Mon 14 Dec." in unconfirmed.body
    assert "confirmed delivery" not in unconfirmed.body


def test_mail_text_is_data_not_template_code(config):
    name = "{{ 7*7 }} {% raw %}"
    rendered = writer(config).render(plan(name=name), Order(items="{{ config }} SR650", delay_reason="{% for x in y %}"), None)
    assert "{{ 7*7 }} {% raw %} 님, 안녕하세요." in rendered.body
    assert "{{ config }} SR650" in rendered.body and "{% for x in y %}" in rendered.body


def test_the_mime_message_is_threaded_and_cannot_grow_headers(config):
    thread = Message(message_id="<q@mirae-fin.co.kr>", references="<a@hanbit-it.co.kr>", subject="서버 언제\r\nBcc: evil@x.com",
                     sender="jh.park@mirae-fin.co.kr", recipients="minsu.kim@hanbit-it.co.kr sj.lee@mirae-fin.co.kr vendor@lenovo.com",
                     body="언제 들어와요?", sent_at=datetime(2026, 11, 30, 0, 12, tzinfo=timezone.utc))
    target = plan(name='Park "JH"\r\nBcc: evil@x.com')
    rendered = writer(config).render(target, Order(), thread)
    cc = thread_cc(thread, target.to.email, config.rep.email)
    raw = build_mime(config, target, rendered, thread, "<d1@hanbit-it.co.kr>", datetime(2026, 11, 30, 1, tzinfo=timezone.utc), cc)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None and b"\nBcc:" not in raw
    assert msg["Subject"] == "Re: 서버 언제 Bcc: evil@x.com"
    assert msg["To"].addresses[0].addr_spec == "jh.park@mirae-fin.co.kr"
    assert msg["To"].addresses[0].display_name == 'Park "JH" Bcc: evil@x.com'
    assert msg["Cc"] == "sj.lee@mirae-fin.co.kr"
    assert (msg["In-Reply-To"], msg["References"]) == ("<q@mirae-fin.co.kr>", "<a@hanbit-it.co.kr> <q@mirae-fin.co.kr>")
    assert msg["X-Napgi-Draft-Key"] == target.key
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "> 언제 들어와요?" in text and "<blockquote" in html and "언제 들어와요?" in html


def test_the_mime_message_has_short_crlf_lines_and_a_boundary_no_part_contains(config):
    long_subject = "Re: " + " ".join(f"PO-2026-{n:04d}" for n in range(12))
    thread = Message(message_id="<q@mirae-fin.co.kr>", subject=long_subject, sender="jh.park@mirae-fin.co.kr", body="--\n=_ x")
    target = plan(language="en", name="JH Park")
    rendered = writer(config).render(target, Order(), thread)
    raw = build_mime(config, target, rendered, thread, "<d1@hanbit-it.co.kr>", datetime(2026, 11, 30, 1, tzinfo=timezone.utc), [])
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == long_subject
    boundary = msg.get_boundary()
    assert boundary.startswith("=_") and raw.count(boundary.encode()) == 4  # the header, two parts, the end
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]


def test_user_templates_are_searched_first(config, tmp_path):
    folder = tmp_path / "mine" / "ko"
    folder.mkdir(parents=True)
    (folder / "delay_notice.txt.j2").write_text("[{{ order.reference }}] 지연 안내\n\n{{ to_name }}, 지연되어 죄송합니다. 예상일 {{ day(order.eta) }}.\n")
    custom = replace(config, drafting=replace(config.drafting, templates_dir=tmp_path / "mine"))
    rendered = writer(custom).render(plan(), Order(), None)
    assert rendered.subject == "[PO-2026-0412] 지연 안내"
    assert rendered.body == "박정훈 팀장님, 지연되어 죄송합니다. 예상일 12월 14일(월).\n"


def test_the_reply_window_is_checked_when_the_config_is_read(tmp_path):
    from assistant.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(database=f"sqlite:///{tmp_path / 'a.db'}", port=143, user="rep") + "\n[drafts]\nreply_window_days = 0\n")
    with pytest.raises(ConfigError, match=r"drafts\.reply_window_days.*from 1 to 36500"):
        load_config(path)
    path.write_text(path.read_text().replace("reply_window_days = 0", "reply_window_days = 60"))
    assert load_config(path).drafting.reply_window_days == 60


def test_names_and_days():
    assert greeting_name("박정훈 팀장", "x", "ko") == "박정훈 팀장님"
    assert greeting_name("이성호", "x", "ko") == "이성호 님"
    assert greeting_name("", "x", "ko") == "담당자님"
    assert greeting_name("Dana Whitfield", "x", "en") == "Dana"
    assert format_day(date(2026, 12, 16), "ko") == "12월 16일(수)"
    assert format_day(date(2026, 12, 16), "en") == "Wed 16 Dec"
