"""Helpers for the reliability tests: generated mail, the Drafts folder's keys, a comparable database dump."""
from __future__ import annotations

import email
import email.policy
import re
import sqlite3
from email.header import Header, decode_header, make_header
from pathlib import Path

from tests.conftest import DATA

NOW = "2026-11-30T12:00:00+09:00"
DEMO = sorted((DATA / "demo").glob("*.eml"))


def demo_thread(n: int) -> list[tuple[str, bytes]]:
    """The six demo messages (two orders, ko and en) as ``(folder, raw)``, renumbered for thread ``n``."""
    swaps = [
        ("PO-2026-0412", f"PO-2026-{1000 + n:04d}"),
        ("PO-2026-0520", f"PO-2026-{5000 + n:04d}"),
        ("7712345", f"77{20000 + n:05d}"),
        ("8812001", f"88{20000 + n:05d}"),
        ("@hanbit-it.co.kr>", f".t{n}@hanbit-it.co.kr>"),
        ("@mirae-fin.co.kr>", f".t{n}@mirae-fin.co.kr>"),
        ("@lenovo.com>", f".t{n}@lenovo.com>"),
        ("@hpe.com>", f".t{n}@hpe.com>"),
        ("@globex.com>", f".t{n}@globex.com>"),
    ]
    out = []
    for path in DEMO:
        raw = path.read_bytes()
        head, sep, body = raw.partition(b"\n\n")
        head = _swap_subject(head, swaps)
        for old, new in swaps:
            head, body = head.replace(old.encode(), new.encode()), body.replace(old.encode(), new.encode())
        out.append((path.name.split("_")[1], head + sep + body))
    return out


def _swap_subject(head: bytes, swaps: list[tuple[str, str]]) -> bytes:
    match = re.search(rb"^Subject: (.*)$", head, re.M)
    subject = str(make_header(decode_header(match.group(1).decode())))
    for old, new in swaps:
        subject = subject.replace(old, new)
    encoded = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    return head[: match.start(1)] + encoded.encode() + head[match.end(1):]


def draft_keys(account) -> list[str]:
    """The X-Napgi-Draft-Key of every message in the Drafts folder (duplicates kept)."""
    client = account.imap()
    try:
        client.select_folder("Drafts", readonly=True)
        uids = client.search()
        fetched = client.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (X-NAPGI-DRAFT-KEY)]"]) if uids else {}
    finally:
        client.logout()
    keys = []
    for data in fetched.values():
        block = next(v for k, v in data.items() if k.startswith(b"BODY["))
        msg = email.message_from_bytes(block, policy=email.policy.default)
        keys.append(str(msg["X-Napgi-Draft-Key"]))
    return sorted(keys)


def db_state(path: Path) -> dict[str, list[tuple]]:
    """The ledger as comparable rows: natural keys instead of row ids; no UIDVALIDITY, no random Message-IDs."""
    con = sqlite3.connect(path)
    refs = "(SELECT group_concat(value, ',') FROM (SELECT value FROM order_refs r WHERE r.order_id = {0} ORDER BY value))"
    party = "(SELECT kind || ':' || domain FROM parties p WHERE p.id = {0})"
    contact = "(SELECT email FROM contacts c WHERE c.id = {0})"
    msg = "(SELECT folder || ':' || uid FROM messages m WHERE m.id = {0})"
    queries = {
        "messages": f"SELECT mailbox, folder, uid, message_id, sha256, sender, recipients, subject, body, sent_at, in_reply_to, "
                    f"\"references\", role, language, status, reason, attempts, extraction, {refs.format('messages.order_id')}, processed_at FROM messages",
        "orders": f"SELECT {refs.format('orders.id')}, {party.format('customer_id')}, {party.format('vendor_id')}, "
                  f"{contact.format('customer_contact_id')}, {contact.format('vendor_contact_id')}, items, status, promised, required_by, "
                  "vendor_eta, vendor_eta_confirmed, delay_reason, last_customer_update_at, last_customer_message_at, "
                  "last_vendor_word_at, last_vendor_chase_at, created_at, updated_at FROM orders",
        "order_events": f"SELECT {refs.format('order_id')}, {msg.format('message_id')}, at, kind, field, old_value, new_value, "
                        "confirmed, sentence, sender FROM order_events",
        "drafts": f"SELECT key, {refs.format('order_id')}, kind, day, mailbox, language, to_addr, cc_addr, subject, body, "
                  "in_reply_to, state, created_at, appended_at FROM drafts",
        "checkpoints": "SELECT mailbox, folder, last_uid, updated_at FROM checkpoints",
        "parties": "SELECT kind, domain, name, language FROM parties",
        "contacts": f"SELECT {party.format('party_id')}, email, name, language FROM contacts",
    }
    try:
        state = {name: con.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        con.close()
    # a draft key starts with the order's row id, which depends on the order mail was read in
    state["drafts"] = [(re.sub(r"^\d+-", f"{row[1]}-", row[0]), *row[1:]) for row in state["drafts"]]
    return {name: sorted(rows, key=repr) for name, rows in state.items()}


def set_mailbox_keys(account, **keys) -> None:
    """Add or replace keys of the account's [[mailboxes]] entry (``port`` included)."""
    text = account.config.read_text()
    for key, value in keys.items():
        line = f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}"
        if re.search(rf"^{key} = .*$", text, re.M):
            text = re.sub(rf"^{key} = .*$", line, text, count=1, flags=re.M)
        else:
            text = text.replace('folders = ["INBOX"]\n', f'folders = ["INBOX"]\n{line}\n', 1)
    account.config.write_text(text)


def deliver_all(account, messages: list[tuple[str, bytes]]) -> None:
    """Append ``(folder, raw)`` messages in order over one connection, each with its Date as arrival time."""
    from tests.conftest import arrival_time

    client = account.imap()
    try:
        for folder, raw in messages:
            client.append(folder, raw, msg_time=arrival_time(raw))
    finally:
        client.logout()


def run_cli(account, *args: str, extra_env: dict[str, str] | None = None):
    """Run the ``assistant`` command in this process (no interpreter start-up): ``(exit code, stdout, stderr)``."""
    from click.testing import CliRunner

    from assistant.cli import cli

    env = {"ASSISTANT_IMAP_PASSWORD": account.password, "ASSISTANT_CONFIG": str(account.config), **(extra_env or {})}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def demo_mail() -> list[tuple[str, bytes]]:
    return [(path.name.split("_")[1], path.read_bytes()) for path in DEMO]


def reference_state(dovecot, home: Path, mail: list[tuple[str, bytes]], waves: int = 1) -> tuple[dict, list[str]]:
    """What uninterrupted polls leave (one after each of ``waves`` equal deliveries): the database dump and Drafts keys."""
    from tests.conftest import make_account

    home.mkdir(parents=True, exist_ok=True)
    clean = make_account(dovecot, home)
    size = -(-len(mail) // waves)
    for start in range(0, len(mail), size):
        deliver_all(clean, mail[start : start + size])
        code, out, err = run_cli(clean, "poll", "--now", NOW)
        assert code == 0, out + err
    return db_state(home / "assistant.db"), draft_keys(clean)
