"""The weekly summary end to end: a month of mail replayed day by day into the real ledger,
then ``assistant summary`` delivered through a real SMTP server (aiosmtpd on loopback) and
into the test Dovecot's INBOX, read back as the rep would see it."""
from __future__ import annotations

import email
import email.policy
import itertools
import json
import re
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from assistant.devserver import free_port
from tests.conftest import CONFIG, DATA, MailAccount

MONDAY = "2026-11-30T09:00:00+09:00"
STORY = DATA / "summary"
_homes = itertools.count(1)


@pytest.fixture(scope="module")
def replayed(dovecot, tmp_path_factory) -> MailAccount:
    """A mail user with the month of mail in ``tests/data/summary``, polled as of each business day."""
    home = tmp_path_factory.mktemp("summary-replay")
    user = "summaryrep"
    account = MailAccount(dovecot, user, dovecot.add_user(user), home)
    account.config.write_text(CONFIG.format(database=f"sqlite:///{home / 'assistant.db'}", port=dovecot.port, user=user))
    timeline = json.loads((STORY / "timeline.json").read_text())
    for entry in timeline:
        account.deliver((STORY / entry["file"]).read_bytes(), entry["folder"])
    day = date(2026, 11, 2)
    while day < date(2026, 11, 30):
        if day.weekday() < 5:
            account.assistant("poll", "--now", f"{day.isoformat()}T18:00:00+09:00")
        day += timedelta(days=1)
    account.assistant("poll", "--now", MONDAY)
    return account


def with_summary(replayed: MailAccount, tmp_path: Path, summary_toml: str, language: str = "ko") -> MailAccount:
    """The replayed account with its own copy of the ledger and a ``[summary]`` table."""
    home = tmp_path / f"home{next(_homes)}"
    home.mkdir()
    shutil.copy(replayed.home / "assistant.db", home / "assistant.db")
    text = CONFIG.format(database=f"sqlite:///{home / 'assistant.db'}", port=replayed.server.port, user=replayed.user)
    text = text.replace('language = "ko"', f'language = "{language}"')
    (home / "config.toml").write_text(text + "\n" + summary_toml)
    return MailAccount(replayed.server, replayed.user, replayed.password, home)


def parse(raw: bytes | str) -> email.message.EmailMessage:
    data = raw.encode() if isinstance(raw, str) else raw
    return email.message_from_bytes(data, policy=email.policy.default)


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def html_of(msg) -> str:
    return msg.get_body(("html",)).get_content()


def section(text: str, title: str) -> str:
    """The lines of ``text`` from the heading starting with ``title`` to the next blank line."""
    return text.split(title, 1)[1].split("\n\n", 1)[0]


class Collector:
    """aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp_port():
    return free_port()


def smtp_config(port: int, hour: int = 8) -> str:
    return (
        "[summary]\n"
        'to = ["minsu.kim@hanbit-it.co.kr", "manager@hanbit-it.co.kr"]\n'
        f'weekday = "mon"\nhour = {hour}\ndelivery = "smtp"\n'
        f'host = "127.0.0.1"\nport = {port}\ntls = "none"\ntimeout = 5\n'
    )


def test_korean_summary_lists_risks_vendor_figures_and_the_chart(replayed, tmp_path):
    account = with_summary(replayed, tmp_path, smtp_config(free_port()))
    done = account.assistant("summary", "--now", MONDAY, "--dry-run")
    msg = parse(done.stdout)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["X-Napgi-Summary"] == "2026-W49"
    assert msg["Subject"] == "주간 납기 요약 2026-W49: 위험 3건, 지연 2건"
    text = text_of(msg)
    at_risk = section(text, "위험 주문 (3)")
    assert re.findall(r"^  (PO-\S+)", at_risk, re.M) == ["PO-2026-0412", "PO-2026-0777", "PO-2026-0901"]
    assert "벤더 예정일 12월 8일(화)이 고객 안내일 12월 1일(화)보다 늦음" in at_risk
    assert "벤더 예정일 12월 9일(수)이 고객 요청일 12월 4일(금)보다 늦음" in at_risk
    delayed = section(text, "지연 주문 (2)")
    assert "첫 예정일 대비 19일 밀림 / 고객 마지막 안내: 12일 전" in delayed
    assert "11월 13일(금) 10:00 -> 11월 19일(목)  확정" in delayed
    vendors = section(text, "벤더 신뢰도, 최근 90일")
    rows = {line.split()[0]: line.split() for line in vendors.splitlines()[2:]}
    assert rows["Lenovo"][1:5] == ["2", "50%", "(1/2)", "9.5일"]
    assert rows["HPE"][1:5] == ["2", "0%", "(0/2)", "7.5일"]
    assert rows["Dell"][1:5] == ["3", "50%", "(1/2)", "1.0일"]
    assert rows["Lenovo"][-1] == "1/1"  # 11/12 kept, 11/19 broken
    assert "alex.yoon@techdata-kr.com  Delivery update" in section(text, "확인이 필요한 미분류 메일 (1)")

    html_part = msg.get_body(("html",))
    html = html_part.get_content()
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<style" not in html and "<script" not in html
    assert "PO-2026-0412" in html and "9.5일" in html
    with sqlite3.connect(account.home / "assistant.db") as db:
        assert db.execute("SELECT count(*) FROM summary_runs").fetchone() == (0,)


def test_english_summary_follows_rep_language(replayed, tmp_path):
    account = with_summary(replayed, tmp_path, smtp_config(free_port()), language="en")
    msg = parse(account.assistant("summary", "--now", MONDAY, "--dry-run").stdout)
    assert msg["Subject"] == "Weekly delivery summary 2026-W49: 3 at risk, 2 delayed"
    text = text_of(msg)
    assert re.findall(r"^  (PO-\S+)", section(text, "AT RISK (3)"), re.M) == ["PO-2026-0412", "PO-2026-0777", "PO-2026-0901"]
    vendors = section(text, "VENDOR RELIABILITY, LAST 365 DAYS")
    assert re.search(r"^  HPE +2 +0% \(0/2\) +7\.5 d +8 d ", vendors, re.M)
    assert re.search(r"^  Lenovo +2 +50% \(1/2\) +9\.5 d +19 d ", vendors, re.M)
    assert "ETA HISTORY CHART (in the HTML version): PO-2026-0412, PO-2026-0777, PO-2026-0901" in text
    assert "Vendor reliability, last 90 days" in html_of(msg)


def test_smtp_failure_is_reported_then_retried_then_sent_once_a_week(replayed, tmp_path, smtp_port):
    account = with_summary(replayed, tmp_path, smtp_config(smtp_port))
    early = account.assistant("summary", "--now", "2026-11-30T07:30:00+09:00")
    assert "is due from 2026-11-30T08:00:00+09:00" in early.stdout

    failed = account.assistant("summary", "--now", MONDAY, check=False)
    assert failed.returncode == 7
    assert "summary 2026-W49 not delivered (attempt 1; retried on the next run)" in failed.stderr
    assert f"SMTP 127.0.0.1:{smtp_port}: connection refused" in failed.stderr

    handler = Collector()
    server = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        sent = account.assistant("summary", "--now", "2026-11-30T10:00:00+09:00")
        assert "summary 2026-W49 sent via SMTP" in sent.stdout and "(attempt 2)" in sent.stdout
        again = account.assistant("summary", "--now", "2026-12-01T10:00:00+09:00")
        assert "already sent" in again.stdout
    finally:
        server.stop()
    assert len(handler.received) == 1
    recipients, raw = handler.received[0]
    assert recipients == ["minsu.kim@hanbit-it.co.kr", "manager@hanbit-it.co.kr"]
    msg = parse(raw)
    assert msg["X-Napgi-Summary"] == "2026-W49"
    assert "위험 주문 (3)" in text_of(msg)
    assert "cid:" in html_of(msg)


def test_summary_lands_in_the_dovecot_inbox_once(replayed, tmp_path):
    account = with_summary(replayed, tmp_path, '[summary]\nto = ["minsu.kim@hanbit-it.co.kr"]\ndelivery = "imap"\n')
    first = account.assistant("summary", "--now", MONDAY)
    assert "summary 2026-W49 sent via IMAP work" in first.stdout
    second = account.assistant("summary", "--now", "2026-11-30T18:00:00+09:00")
    assert "already sent" in second.stdout
    client = account.imap()
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["HEADER", "X-Napgi-Summary", "2026-W49"])
    fetched = client.fetch(uids, [b"BODY.PEEK[]"])
    client.logout()
    assert len(uids) == 1
    msg = parse(fetched[uids[0]][b"BODY[]"])
    assert msg["Subject"] == "주간 납기 요약 2026-W49: 위험 3건, 지연 2건"
    assert any(p.get_content_type() == "image/png" for p in msg.walk())


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[summary]\ndelivery = "fax"\n', 'summary.delivery: expected "smtp" or "imap", got "fax"'),
        ('[summary]\nweekday = "monday"\n', "summary.weekday: expected"),
        ('[summary]\nhours = 8\n', "summary.hours: unknown key; did you mean 'hour'?"),
        ('[summary]\ndelivery = "smtp"\nusername = "rep"\n', "summary.password_env: missing"),
        ('[summary]\nto = ["nobody"]\n', "summary.to: expected a list of e-mail addresses"),
    ],
)
def test_summary_config_errors_name_the_key(replayed, tmp_path, toml, message):
    account = with_summary(replayed, tmp_path, toml)
    done = account.assistant("summary", "--now", MONDAY, "--dry-run", check=False)
    assert done.returncode == 2
    assert message in done.stderr
