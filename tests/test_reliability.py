"""Crash safety, overlapping runs, UIDVALIDITY changes, odd messages and database trouble, on the real Dovecot.

The crash tests follow mbsync's: stop the real ``assistant poll`` right after a
side-effect step (``ASSISTANT_CRASH_AFTER``, assistant/faults.py), resume, and
require the state a clean run reaches: the same database rows and exactly one
draft per key in the Drafts folder.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from assistant.faults import EXIT_CODE
from tests.reliability_support import (
    NOW,
    db_state,
    deliver_all,
    demo_mail,
    draft_keys,
    reference_state,
    run_cli,
    set_mailbox_keys,
)


@pytest.fixture(scope="module")
def clean_demo(dovecot, tmp_path_factory):
    """The database and Drafts keys after one uninterrupted poll over the demo mail."""
    return reference_state(dovecot, tmp_path_factory.mktemp("clean-demo"), demo_mail())


def poll(account, crash: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(account.env)
    if crash:
        env["ASSISTANT_CRASH_AFTER"] = crash
    done = subprocess.run([sys.executable, "-m", "assistant", "poll", "--now", NOW], env=env, capture_output=True, text=True, timeout=120)
    if check and not crash:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def assert_clean(account, clean_demo) -> None:
    state, keys = clean_demo
    assert db_state(account.home / "assistant.db") == state
    assert draft_keys(account) == keys
    assert len(keys) == len(set(keys)) == 4


# 1. Crash anywhere


def test_a_crash_after_each_step_in_turn_resumes_to_the_clean_state(account, clean_demo):
    """Each run dies right after its first side effect; the next run picks up from there."""
    deliver_all(account, demo_mail())
    assert poll(account, crash="fetched:1").returncode == EXIT_CODE
    assert poll(account, crash="fetched:2").returncode == EXIT_CODE
    crashes = []
    for _ in range(40):
        done = poll(account, crash="any:1")
        if done.returncode == 0:
            break
        assert done.returncode == EXIT_CODE, done.stderr
        crashes.append(done.stderr.strip().splitlines()[-1])
    # 6 commits (one per message; the schedule makes no draft here), 4 appends, 4 marks; then a clean end
    assert len(crashes) == 14
    assert sum("after committed" in c for c in crashes) == 6
    assert sum("after appended" in c for c in crashes) == 4
    assert sum("after marked" in c for c in crashes) == 4
    assert_clean(account, clean_demo)


@pytest.mark.parametrize("step", ["committed:4", "appended:3"])
def test_a_crash_in_the_middle_of_a_run_resumes_to_the_clean_state(account, clean_demo, step):
    deliver_all(account, demo_mail())
    crashed = poll(account, crash=step)
    assert crashed.returncode == EXIT_CODE, crashed.stderr
    poll(account)
    assert_clean(account, clean_demo)


# 3. Overlapping runs


def test_a_second_poll_exits_at_once_with_status_0_while_one_runs(account):
    from filelock import FileLock

    deliver_all(account, demo_mail())
    with FileLock(str(account.home / "assistant.lock")):
        started = time.monotonic()
        done = poll(account, check=False)
        assert time.monotonic() - started < 15
    assert done.returncode == 0
    assert "Another poll is running (lock file" in done.stderr
    assert draft_keys(account) == []
    assert poll(account).stdout.startswith("6 messages")


def test_the_file_lock_excludes_a_second_holder_and_is_free_after_release(tmp_path):
    from assistant.locks import FileRunLock

    first, second = FileRunLock(tmp_path / "a.lock"), FileRunLock(tmp_path / "a.lock")
    assert first.acquire()
    done = subprocess.run(
        [sys.executable, "-c", f"from assistant.locks import FileRunLock; print(FileRunLock({str(tmp_path / 'a.lock')!r}).acquire())"],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == "False"
    first.release()
    assert second.acquire()
    second.release()


def test_a_killed_poll_leaves_no_stale_lock(account):
    deliver_all(account, demo_mail())
    assert poll(account, crash="committed:2").returncode == EXIT_CODE
    assert "Another poll" not in poll(account).stderr


# 4. UIDVALIDITY changes


def test_a_recreated_inbox_and_sent_are_rescanned_without_processing_anything_twice(account, clean_demo):
    deliver_all(account, demo_mail())
    poll(account)
    client = account.imap()
    for folder in ("INBOX", "Sent"):
        client.select_folder(folder)
        fetched = client.fetch(client.search(), [b"BODY.PEEK[]", b"INTERNALDATE"])
        client.delete_messages(list(fetched))
        client.expunge()
        client.close_folder()
        client.delete_folder(folder) if folder != "INBOX" else None
        if folder != "INBOX":
            client.create_folder(folder)
        for uid in sorted(fetched, reverse=True):
            client.append(folder, fetched[uid][b"BODY[]"], msg_time=fetched[uid][b"INTERNALDATE"])
    client.logout()
    account.server.set_uidvalidity(account.user, "INBOX", 4242)

    again = poll(account)
    assert "UIDVALIDITY changed" in again.stderr
    assert again.stdout.startswith("6 messages: 0 applied") and "6 ignored" in again.stdout
    assert draft_keys(account) == clean_demo[1]
    con = sqlite3.connect(account.home / "assistant.db")
    rows = con.execute("SELECT folder, uidvalidity, uid, status FROM messages").fetchall()
    assert len(rows) == 6 and all(status == "ok" for *_, status in rows)
    assert {uv for folder, uv, _, _ in rows if folder == "INBOX"} == {4242}
    assert poll(account).stdout.startswith("0 messages")


def test_a_migrated_drafts_folder_gets_no_second_copy_of_any_draft(account, clean_demo):
    deliver_all(account, demo_mail())
    assert poll(account, crash="appended:2").returncode == EXIT_CODE
    client = account.imap()
    client.select_folder("Drafts")
    copies = client.fetch(client.search(), [b"BODY.PEEK[]", b"FLAGS"])
    client.close_folder()
    client.delete_folder("Drafts")
    client.create_folder("Drafts")
    for data in copies.values():
        client.append("Drafts", data[b"BODY[]"], flags=[f for f in data[b"FLAGS"] if f != b"\\Recent"])
    client.logout()
    account.server.set_uidvalidity(account.user, "Drafts", 777)
    resumed = poll(account)
    assert "Drafts: UIDVALIDITY changed" in resumed.stderr
    assert_clean(account, clean_demo)


# 5. Odd messages


def _mail(mid: str | None, body: str, subject: str = "PO-2026-7001 delivery", sender: str = "sales@hpe.com") -> bytes:
    head = f"From: HPE Sales <{sender}>\r\nTo: minsu.kim@hanbit-it.co.kr\r\nSubject: {subject}\r\nDate: Mon, 30 Nov 2026 09:00:00 +0900\r\n"
    head += f"Message-ID: {mid}\r\n" if mid else ""
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


def test_messages_without_message_id_and_reused_message_ids_are_each_handled_once(account):
    mail = [
        ("INBOX", _mail(None, "PO-2026-7001 is expected on December 10.")),
        ("INBOX", _mail(None, "PO-2026-7002 is expected on December 11.", "PO-2026-7002 delivery")),
        ("INBOX", _mail(None, "PO-2026-7001 is expected on December 10.")),  # the same bytes again
        ("INBOX", _mail("<same@hpe.com>", "PO-2026-7003 has shipped today.", "PO-2026-7003")),
        ("INBOX", _mail("<same@hpe.com>", "PO-2026-7004 is expected on December 14.", "PO-2026-7004")),  # same id, other mail
    ]
    deliver_all(account, mail)
    poll(account)
    con = sqlite3.connect(account.home / "assistant.db")
    rows = con.execute("SELECT uid, status, reason FROM messages ORDER BY uid").fetchall()
    assert [status for _, status, _ in rows] == ["ok", "ok", "ignored", "ok", "ok"]
    assert rows[2][2] == "duplicate of INBOX uid 1"
    refs = {r for (r,) in con.execute("SELECT value FROM order_refs")}
    assert {"PO-2026-7001", "PO-2026-7002", "PO-2026-7003", "PO-2026-7004"} <= refs
    assert poll(account).stdout.startswith("0 messages")


# 7. Bad input: failed messages are kept, listed and retried only on request


def test_a_failing_message_is_recorded_listed_and_retried_only_when_asked(account, monkeypatch):
    import parsers.extract as extraction

    deliver_all(account, demo_mail())
    real = extraction._finish

    def broken(msg, doc, settings, lang):
        if msg.message_id == "<demo-ko-03@lenovo.com>":
            raise RuntimeError("extractor bug")
        return real(msg, doc, settings, lang)

    monkeypatch.setattr(extraction, "_finish", broken)
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert code == 0 and "1 failed" in out
    code, out, _ = run_cli(account, "messages", "--failed", "--json")
    failed = [json.loads(line) for line in out.splitlines()]
    assert [(f["message_id"], f["reason"], f["attempts"]) for f in failed] == [
        ("<demo-ko-03@lenovo.com>", "extraction error: RuntimeError: extractor bug", 1)
    ]
    monkeypatch.setattr(extraction, "_finish", real)
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert out.startswith("0 messages"), "a failed message is not retried unless asked"
    assert run_cli(account, "retry", "nope@x")[0] == 6
    code, out, _ = run_cli(account, "retry", "demo-ko-03@lenovo.com")
    assert code == 0 and out.startswith("1 messages queued")
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert code == 0 and out.startswith("1 messages: 1 applied")
    con = sqlite3.connect(account.home / "assistant.db")
    assert con.execute("SELECT status, attempts FROM messages WHERE message_id = '<demo-ko-03@lenovo.com>'").fetchall() == [("ok", 2)]
    assert run_cli(account, "messages", "--failed", "--json")[1] == ""


def test_a_bug_in_the_ledger_fails_one_message_and_rolls_back_its_changes(account, monkeypatch):
    import assistant.poller as poller

    deliver_all(account, demo_mail())
    real = poller.Ledger.apply

    def apply(self, order, record, x, counterpart, now):
        events = real(self, order, record, x, counterpart, now)
        if record.message_id == "<demo-en-02@hpe.com>":
            raise KeyError("half-applied")
        return events

    monkeypatch.setattr(poller.Ledger, "apply", apply)
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert code == 0 and "1 failed" in out
    con = sqlite3.connect(account.home / "assistant.db")
    assert con.execute("SELECT status, reason FROM messages WHERE message_id = '<demo-en-02@hpe.com>'").fetchall() == [
        ("failed", "KeyError: 'half-applied'")
    ]
    assert con.execute("SELECT count(*) FROM order_events e JOIN messages m ON e.message_id = m.id WHERE m.status = 'failed'").fetchone() == (0,)


def test_messages_above_the_size_limit_are_recorded_as_skipped_without_their_body(account):
    set_mailbox_keys(account, max_message_bytes=4096)
    big = _mail("<big@hpe.com>", "PO-2026-7100 is expected on December 10.\r\n" + "x" * 76 * 200, "PO-2026-7100")
    deliver_all(account, [("INBOX", big), ("INBOX", _mail("<small@hpe.com>", "PO-2026-7101 ships today.", "PO-2026-7101"))])
    code, out, _ = run_cli(account, "poll", "--now", NOW)
    assert code == 0 and "1 skipped" in out
    code, out, _ = run_cli(account, "messages", "--status", "skipped", "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["message_id"] == "<big@hpe.com>" and row["reason"].startswith("larger than max_message_bytes")
    con = sqlite3.connect(account.home / "assistant.db")
    assert con.execute("SELECT body, subject FROM messages WHERE message_id = '<big@hpe.com>'").fetchone() == ("", "PO-2026-7100")


# 8. Database trouble


def test_a_locked_database_stops_the_run_before_any_imap_side_effect(account, clean_demo):
    deliver_all(account, demo_mail())
    poll(account, crash="fetched:1")  # creates the schema
    holder = sqlite3.connect(account.home / "assistant.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = poll(account, check=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 5
    assert "Error: database error: database is locked" in done.stderr
    assert draft_keys(account) == []
    poll(account)
    assert_clean(account, clean_demo)


def test_an_unavailable_database_exits_5_with_the_url(account):
    text = account.config.read_text().replace(f"sqlite:///{account.home / 'assistant.db'}", "sqlite:////nonexistent/dir/x.db")
    account.config.write_text(text)
    done = poll(account, check=False)
    assert done.returncode == 5
    assert "Error: cannot upgrade the database at sqlite:////nonexistent/dir/x.db" in done.stderr


# 10. Logs


def test_logs_go_to_the_configured_file_with_message_ids_and_never_the_password(account):
    account.config.write_text(account.config.read_text() + '\n[logging]\nfile = "assistant.log"\n')
    deliver_all(account, demo_mail())
    done = poll(account)
    log = (account.home / "assistant.log").read_text()
    assert "<demo-ko-03@lenovo.com>: ok matched by" in log
    env = {**account.env, "ASSISTANT_IMAP_PASSWORD": "wrong-secret-pw"}
    refused = subprocess.run([sys.executable, "-m", "assistant", "-vv", "poll"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 4
    everything = done.stderr + refused.stderr + refused.stdout + (account.home / "assistant.log").read_text()
    assert account.password not in everything and "wrong-secret-pw" not in everything


def test_a_crash_after_a_batched_append_on_a_backlog_leaves_one_draft_per_key(account):
    """On a backlog (POOL_THRESHOLD messages or more) new drafts go to Drafts 50 at a time in one
    MULTIAPPEND. Killed right after the second batch went in, before it was marked, the next
    run finds those drafts by their key and appends none of them again. (The killed run's
    extraction worker ends with it: left behind, it would hold the output pipes open.)"""
    import sqlite3

    from assistant.poller import DRAFT_BATCH, POOL_THRESHOLD
    from tests.conftest import REPO

    sys.path.insert(0, str(REPO / "bench"))
    import backfill

    home = account.home
    account.config.write_text(backfill.CONFIG.format(db=home / "assistant.db", home=home, port=account.server.port, user=account.user))
    backfill.load(account.server, account.user, account.password, POOL_THRESHOLD + 200)
    env = {**account.env, "BENCH_IMAP_PASSWORD": account.password}

    def run(crash: str | None = None) -> subprocess.CompletedProcess:
        extra = {"ASSISTANT_CRASH_AFTER": crash} if crash else {}
        return subprocess.run([sys.executable, "-m", "assistant", "poll", "-q", "--now", backfill.NOW], env={**env, **extra},
                              capture_output=True, text=True, timeout=300)

    crashed = run("appended:2")
    assert crashed.returncode == EXIT_CODE, crashed.stderr[-2000:]
    assert len(draft_keys(account)) == 2 * DRAFT_BATCH
    done = run()
    assert done.returncode == 0, done.stderr[-2000:]
    keys = draft_keys(account)
    con = sqlite3.connect(home / "assistant.db")
    states = dict(con.execute("SELECT state, count(*) FROM drafts GROUP BY state").fetchall())
    con.close()
    assert len(keys) == len(set(keys)) > 2 * DRAFT_BATCH
    assert states == {"in_drafts": len(keys)}
