"""Every message of the third-party MIME corpus (../shared/corpora/mime) through the real poll path."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from imapclient.exceptions import IMAPClientError

from tests.conftest import REPO
from tests.reliability_support import run_cli, set_mailbox_keys

CORPUS = REPO.parent / "shared" / "corpora" / "mime"


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(("LICENSE", "README", ".")))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared MIME corpus is not checked out next to the repository")
def test_the_whole_corpus_is_polled_without_stopping_and_every_message_is_recorded(account):
    set_mailbox_keys(account, max_message_bytes=1_000_000)
    client = account.imap()
    stored, refused = 0, []
    for path in corpus_files():
        try:
            client.append("INBOX", path.read_bytes() or b"\r\n")
            stored += 1
        except IMAPClientError as exc:
            refused.append((path.name, str(exc)))
    client.logout()
    assert stored >= 340, refused

    started = time.monotonic()
    code, out, err = run_cli(account, "poll")  # not a replay: mail dated in the future is read too
    assert code == 0, out + err
    assert time.monotonic() - started < 150
    con = sqlite3.connect(account.home / "assistant.db")
    statuses = dict(con.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
    assert sum(statuses.values()) == stored
    assert set(statuses) <= {"ok", "unmatched", "ignored", "skipped", "failed"}
    assert statuses.get("skipped", 0) >= 3  # the 1.5-2.9 MB messages: headers only
    failed = [json.loads(line) for line in run_cli(account, "messages", "--failed", "--json")[1].splitlines()]
    assert len(failed) == statuses.get("failed", 0)
    assert all(row["reason"] for row in failed)
    assert run_cli(account, "poll")[1].startswith("0 messages")


@pytest.mark.parametrize("body", [
    "> " * 20000 + "PO-1",                                   # one very deep quote line
    "\n".join(["> On Mon, Nov 30, 2026 at 9:00 AM X wrote:"] * 5000),  # thousands of attribution lines
    " ".join(["12/1 11/30 2026-12-14 다음주 월요일 2주"] * 4000),          # a flood of date-like tokens
    "a" * 400_000,                                           # one 400 KB word
])
def test_quote_stripping_and_date_matching_are_bounded_on_pathological_text(body):
    from parsers.extract import extract
    from parsers.message import parse_message
    from parsers.types import ExtractSettings

    raw = ("From: a@lenovo.com\r\nTo: minsu.kim@hanbit-it.co.kr\r\nSubject: x\r\nDate: Mon, 30 Nov 2026 09:00:00 +0900\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    started = time.monotonic()
    extract(parse_message(raw), ExtractSettings())
    assert time.monotonic() - started < 5
