"""Network faults through a loopback proxy in front of Dovecot (tests/tcp_proxy.py).

Each poll runs in this process (``run_cli``) with a 1-second read timeout, so a
stall costs a second, and must end where a clean run ends: every message once,
every draft once in Drafts, APPEND never repeated blindly.
"""
from __future__ import annotations

import sqlite3
import time

import pytest

from tests.reliability_support import NOW, db_state, deliver_all, demo_mail, draft_keys, reference_state, run_cli, set_mailbox_keys
from tests.tcp_proxy import Proxy


@pytest.fixture(scope="module")
def clean_demo(dovecot, tmp_path_factory):
    return reference_state(dovecot, tmp_path_factory.mktemp("clean-demo-net"), demo_mail())


@pytest.fixture
def proxy(dovecot, account):
    """The account's mailbox pointed at a proxy to Dovecot, with short timeouts and a bounded deadline."""
    front = Proxy(dovecot.port)
    set_mailbox_keys(account, port=front.port, timeout=1, retries=4, deadline=30)
    deliver_all(account, demo_mail())
    yield front
    front.close()


def appends(proxy: Proxy) -> int:
    return sum(b" APPEND " in c.upper() for c in proxy.commands)


def assert_clean(account, clean_demo) -> None:
    assert db_state(account.home / "assistant.db") == clean_demo[0]
    assert draft_keys(account) == clean_demo[1]


@pytest.mark.parametrize("fault", ["drop_fetch", "drop_search", "drop_select", "drop_after_3000_bytes", "drop_after_8000_bytes"])
def test_a_dropped_connection_is_resumed_from_the_last_commit(account, proxy, clean_demo, fault, caplog):
    {
        "drop_fetch": lambda: proxy.drop_on_command(b"UID FETCH"),
        "drop_search": lambda: proxy.drop_on_command(b"UID SEARCH"),
        "drop_select": lambda: proxy.drop_on_command(b"EXAMINE"),
        "drop_after_3000_bytes": lambda: proxy.drop_after_bytes(3000),
        "drop_after_8000_bytes": lambda: proxy.drop_after_bytes(8000),
    }[fault]()
    code, out, err = run_cli(account, "poll", "--now", NOW)
    assert code == 0, out + err
    assert "reconnects" in out and "connection lost" in caplog.text
    assert proxy.connections >= 2
    assert_clean(account, clean_demo)


def test_an_append_whose_answer_is_lost_is_found_by_its_key_not_sent_again(account, proxy, clean_demo, caplog):
    caplog.set_level("INFO", "assistant")
    proxy.drop_on_reply(b"APPENDUID")  # the server stored the draft; the client never heard
    code, out, err = run_cli(account, "poll", "--now", NOW)
    assert code == 0, out + err
    assert appends(proxy) == 4, "one APPEND per draft: the one in doubt was found by its key"
    assert "is already in Drafts; not appended again" in caplog.text
    assert_clean(account, clean_demo)


def test_an_append_lost_before_the_server_saw_it_is_made_after_the_search(account, proxy, clean_demo):
    proxy.drop_on_command(b"APPEND")
    code, out, err = run_cli(account, "poll", "--now", NOW)
    assert code == 0, out + err
    assert_clean(account, clean_demo)


def test_a_stalled_server_times_out_and_the_run_resumes(account, proxy, clean_demo):
    proxy.stall_on_command(b"UID FETCH")
    started = time.monotonic()
    code, out, err = run_cli(account, "poll", "--now", NOW)
    assert code == 0, out + err
    assert time.monotonic() - started < 15
    assert_clean(account, clean_demo)


def test_a_server_that_always_stalls_ends_the_run_within_the_deadline(account, proxy, clean_demo, caplog):
    set_mailbox_keys(account, deadline=4, retries=50)
    proxy.stall_on_command(b"EXAMINE", times=1000)
    started = time.monotonic()
    code, out, err = run_cli(account, "poll", "--now", NOW)
    elapsed = time.monotonic() - started
    assert code == 3
    assert "connection lost" in err and "timed out" in caplog.text
    assert elapsed < 4 + 1 + 3, elapsed
    assert draft_keys(account) == []
    proxy.faults.clear()
    assert run_cli(account, "poll", "--now", NOW)[0] == 0
    assert_clean(account, clean_demo)


def test_bounded_retries_when_the_server_is_gone(account, proxy, caplog):
    set_mailbox_keys(account, retries=3, deadline=60)
    proxy.drop_on_command(b"LOGIN", times=1000)
    code, _, err = run_cli(account, "poll", "--now", NOW)
    assert code == 3
    assert "connection lost while logging in" in err
    assert caplog.text.count("reconnecting in") == 2
    assert proxy.connections == 3


def test_a_message_expunged_between_search_and_fetch_is_skipped_and_nothing_else_lost(account, proxy):
    def expunge_first():
        account.server.doveadm("expunge", "-u", account.user, "mailbox", "INBOX", "uid", "1")

    proxy.on_command(b"UID FETCH", expunge_first)
    code, out, err = run_cli(account, "poll", "--now", NOW)
    assert code == 0, out + err
    con = sqlite3.connect(account.home / "assistant.db")
    uids = {(f, u) for f, u in con.execute("SELECT folder, uid FROM messages")}
    assert ("INBOX", 1) not in uids and len(uids) == 5
    assert run_cli(account, "poll", "--now", NOW)[1].startswith("0 messages")


def test_mail_arriving_during_the_run_is_read_by_the_next_run(account, proxy):
    late = (b"From: HPE Sales <sales@hpe.com>\r\nTo: minsu.kim@hanbit-it.co.kr\r\nSubject: PO-2026-7200\r\n"
            b"Date: Mon, 30 Nov 2026 09:30:00 +0900\r\nMessage-ID: <late@hpe.com>\r\n\r\nPO-2026-7200 ships today.\r\n")
    proxy.on_command(b"UID FETCH", lambda: account.server.deliver(account.user, late))
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert code == 0 and out.startswith("6 messages")
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert out.startswith("1 messages: 1 applied")
    con = sqlite3.connect(account.home / "assistant.db")
    assert con.execute("SELECT count(*), count(DISTINCT message_id) FROM messages").fetchone() == (7, 7)


def test_a_refused_connection_fails_fast_with_exit_3(account, proxy):
    set_mailbox_keys(account, retries=2, deadline=10)
    proxy.close()
    started = time.monotonic()
    code, _, err = run_cli(account, "poll", "--now", NOW)
    assert code == 3 and "cannot connect" in err
    assert time.monotonic() - started < 5
