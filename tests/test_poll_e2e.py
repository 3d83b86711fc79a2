"""End to end: the real `assistant` command against the real Dovecot, as the rep would see it."""
from __future__ import annotations

import email
import email.policy
import json

import pytest

from tests.conftest import DATA

NOW = "2026-11-30T12:00:00+09:00"


def load_demo(account) -> None:
    for path in sorted((DATA / "demo").glob("*.eml")):
        account.deliver(path.read_bytes(), path.name.split("_")[1])


def drafts_in_folder(account) -> list[tuple[tuple, email.message.EmailMessage]]:
    client = account.imap()
    client.select_folder("Drafts", readonly=True)
    fetched = client.fetch(client.search(), [b"BODY.PEEK[]", b"FLAGS"])
    client.logout()
    return [(data[b"FLAGS"], email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)) for data in fetched.values()]


def body_of(msg) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def new_part(text: str) -> str:
    """The draft's own text, above the quoted original."""
    return text.split("\n>")[0]


@pytest.fixture
def polled(account):
    load_demo(account)
    done = account.assistant("poll", "--now", NOW)
    return account, done


def test_poll_reports_what_it_did(polled):
    _, done = polled
    assert "6 messages: 6 applied" in done.stdout
    assert "4 drafts written" in done.stdout


def test_korean_customer_gets_threaded_reply_admitting_the_delay(polled):
    account, _ = polled
    drafts = [(f, m) for f, m in drafts_in_folder(account) if m["To"].addresses[0].addr_spec == "jh.park@mirae-fin.co.kr"]
    assert len(drafts) == 2
    for flags, msg in drafts:
        assert b"\\Draft" in flags
        assert msg["From"].addresses[0].addr_spec == "minsu.kim@hanbit-it.co.kr"
        assert msg["In-Reply-To"] == "<demo-ko-02@mirae-fin.co.kr>"
        assert msg["References"].split() == ["<demo-ko-01@hanbit-it.co.kr>", "<demo-ko-02@mirae-fin.co.kr>"]
        assert msg["Subject"] == "Re: [PO-2026-0412] SR650 납기 안내"
        assert msg["X-Napgi-Draft-Key"]
    notice = next(new_part(body_of(m)) for _, m in drafts if "12월 14일" in body_of(m))
    lines = [line for line in notice.splitlines() if line.strip()]
    assert lines[0] == "박정훈 팀장님, 안녕하세요."
    assert "지연" in lines[2] and "죄송합니다" in lines[2]
    assert "현재 벤더가 알려 온 입고 예정일은 12월 14일(월)입니다." in notice
    assert "본사 재고 부족" in notice
    assert not any("확정" in line and "12월 14일" in line for line in lines)
    assert notice.count("죄송") == 1
    assert "12월 1일(화) 오전에 다시 안내드리겠습니다" in notice


def test_english_customer_gets_english_delay_notice(polled):
    account, _ = polled
    drafts = [m for _, m in drafts_in_folder(account) if m["To"].addresses[0].addr_spec == "dana.whitfield@globex.com"]
    assert len(drafts) == 2
    for msg in drafts:
        text = new_part(body_of(msg))
        assert text.startswith("Dear Dana,")
        assert "delayed" in text.split("\n\n")[1]
        assert "expected date is Thu 10 Dec" in text
        assert "has not confirmed it yet" in text
        assert "확정" not in text and "안녕하세요" not in text
    reply = next(m for m in drafts if m["In-Reply-To"] == "<demo-en-03@globex.com>")
    assert reply["Subject"] == "Re: PO-2026-0520 HPE DL380 Gen11 delivery"
    assert "> Any update on the DL380s?" in body_of(reply)


def test_orders_show_the_slip(polled):
    account, _ = polled
    rows = {r["reference"]: r for r in map(json.loads, account.assistant("orders", "--json", "--now", NOW).stdout.splitlines())}
    ko = rows["PO-2026-0412"]
    assert ko["status"] == "delayed"
    assert ko["promised"] == "2026-11-27"
    assert ko["vendor_eta"] == "2026-12-14" and ko["vendor_eta_confirmed"] is False
    assert set(ko["refs"]) == {"PO-2026-0412", "SO7712345"}
    assert (ko["customer"], ko["vendor"], ko["slipped"]) == ("미래금융", "Lenovo", 17)
    en = rows["PO-2026-0520"]
    assert (en["status"], en["promised"], en["vendor_eta"], en["required_by"]) == ("delayed", "2026-12-03", "2026-12-10", "2026-12-07")


def test_second_poll_changes_nothing(polled):
    account, _ = polled
    before = account.assistant("orders", "--json", "--now", NOW).stdout
    again = account.assistant("poll", "--now", NOW)
    assert again.stdout.startswith("0 messages")
    assert len(drafts_in_folder(account)) == 4
    assert account.assistant("orders", "--json", "--now", NOW).stdout == before


def test_poll_does_not_mark_mail_read(polled):
    account, _ = polled
    client = account.imap()
    client.select_folder("INBOX", readonly=True)
    flags = client.get_flags(client.search())
    client.logout()
    assert flags and all(b"\\Seen" not in f for f in flags.values())


def test_mail_dated_after_now_waits_for_a_later_run(account):
    load_demo(account)
    early = account.assistant("poll", "--now", "2026-11-30T09:00:00+09:00")
    assert "left for later" in early.stdout
    rows = {r["reference"]: r for r in map(json.loads, account.assistant("orders", "--json").stdout.splitlines())}
    assert rows["PO-2026-0412"]["vendor_eta"] is None
    later = account.assistant("poll", "--now", NOW)
    assert later.stdout.startswith("4 messages")
    rows = {r["reference"]: r for r in map(json.loads, account.assistant("orders", "--json").stdout.splitlines())}
    assert rows["PO-2026-0412"]["vendor_eta"] == "2026-12-14"


def test_mail_older_than_the_reply_window_updates_the_ledger_but_gets_no_draft(account):
    """A first run reads old mail: three weeks after the demo mail (a Sunday, so nothing is
    scheduled either) the orders are brought up to date and no draft answers old news."""
    load_demo(account)
    done = account.assistant("poll", "--now", "2026-12-20T10:00:00+09:00")
    assert "6 messages: 6 applied" in done.stdout
    assert "0 drafts written (4 applied messages were older than the 14-day reply window: no draft)" in done.stdout
    assert drafts_in_folder(account) == []
    rows = {r["reference"]: r for r in map(json.loads, account.assistant("orders", "--json", "--now", NOW).stdout.splitlines())}
    assert (rows["PO-2026-0412"]["status"], rows["PO-2026-0412"]["vendor_eta"]) == ("delayed", "2026-12-14")


def test_the_same_poll_on_postgresql(account, postgres):
    url = postgres.create_database("e2e_poll")
    account.config.write_text(account.config.read_text().replace(f"sqlite:///{account.home / 'assistant.db'}", url))
    load_demo(account)
    assert "6 applied" in account.assistant("poll", "--now", NOW).stdout
    rows = {r["reference"]: r for r in map(json.loads, account.assistant("orders", "--json", "--now", NOW).stdout.splitlines())}
    assert (rows["PO-2026-0412"]["status"], rows["PO-2026-0412"]["vendor_eta"]) == ("delayed", "2026-12-14")
    assert len(drafts_in_folder(account)) == 4
    assert account.assistant("poll", "--now", NOW).stdout.startswith("0 messages")


@pytest.mark.parametrize("multiappend", [True, False], ids=["multiappend", "one-append-each"])
def test_drafts_appended_together_arrive_flagged_as_drafts(account, multiappend):
    """A backfill appends its drafts in one MULTIAPPEND; a server without it gets one APPEND each."""
    from datetime import datetime, timezone

    from assistant.config import load_config
    from assistant.mailbox import MailboxSession

    box = load_config(account.config).mailboxes[0]
    drafts = [f"Subject: draft {n}\r\nX-Napgi-Draft-Key: k{n}\r\n\r\nbody {n}\r\n".encode() for n in range(3)]
    with MailboxSession(box, account.password) as imap:
        if not multiappend:
            imap._capabilities.discard("MULTIAPPEND")
        assert ("MULTIAPPEND" in imap._capabilities) is multiappend
        folder = imap.special_folder("\\Drafts", box.drafts_folder)
        imap.append_drafts(folder, drafts, datetime(2026, 12, 1, 9, tzinfo=timezone.utc))
    client = account.imap()
    client.select_folder(folder, readonly=True)
    fetched = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    assert sorted(d[b"BODY[HEADER.FIELDS (SUBJECT)]"].strip() for d in fetched.values()) == [b"Subject: draft 0", b"Subject: draft 1", b"Subject: draft 2"]
    assert all(b"\\Draft" in d[b"FLAGS"] for d in fetched.values())
    client.logout()
