"""``python -m assistant.demo``: a throwaway Dovecot with sample mail, one poll, and what it wrote.

Used by ``make demo``. It copies the example config.toml, points its mailbox at
the throwaway server, loads ``tests/data/demo/*.eml`` (``NN_<folder>_*.eml``),
runs the real ``assistant poll`` and shows the orders and the drafts in the
Drafts folder as any IMAP client would see them.
"""
from __future__ import annotations

import email
import email.policy
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from imapclient import IMAPClient

from assistant.devserver import Dovecot, DovecotMissing

REPO = Path(__file__).resolve().parents[1]
DEMO_MAIL = REPO / "tests" / "data" / "demo"
DEMO_NOW = "2026-11-30T12:00:00+09:00"


def demo_config(example: str, port: int, database: Path) -> str:
    """The example config with its mailbox pointed at the local server and a fresh database."""
    mailbox = (
        "[[mailboxes]]\n"
        'name = "demo"\nhost = "127.0.0.1"\n'
        f"port = {port}\n"
        'tls = "none"\nusername = "rep"\npassword_env = "ASSISTANT_IMAP_PASSWORD"\n'
        'folders = ["INBOX"]\n\n'
    )
    text = re.sub(r"\[\[mailboxes\]\].*?(?=^\[vendors\])", mailbox, example, flags=re.S | re.M)
    return re.sub(r'^url = ".*"$', f'url = "sqlite:///{database}"', text, flags=re.M)


def load_mail(port: int, password: str) -> int:
    """Append the sample mail (``NN_<folder>_*.eml``) with its Date as the arrival time."""
    files = sorted(DEMO_MAIL.glob("*.eml"))
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login("rep", password)
    for path in files:
        raw = path.read_bytes()
        when = parsedate_to_datetime(BytesHeaderParser().parsebytes(raw)["Date"])
        client.append(path.name.split("_")[1], raw, msg_time=when)
    client.logout()
    return len(files)


def show_drafts(port: int, password: str) -> None:
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login("rep", password)
    client.select_folder("Drafts", readonly=True)
    uids = client.search()
    print(f"\n== Drafts folder: {len(uids)} drafts (flagged \\Draft, never sent)\n")
    for uid, data in client.fetch(uids, [b"BODY.PEEK[]", b"FLAGS"]).items():
        msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
        body = msg.get_body(("plain",)).get_content()
        print(f"From:        {msg['From']}")
        print(f"To:          {msg['To']}")
        print(f"Subject:     {msg['Subject']}")
        print(f"In-Reply-To: {msg['In-Reply-To'] or '-'}")
        print("    " + "\n    ".join(body.strip().splitlines()[:9]))
        print("    ...\n")
    client.logout()


def main() -> int:
    try:
        server = Dovecot().start()
    except DovecotMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        password = server.add_user("rep")
        count = load_mail(server.port, password)
        print(f"Dovecot on 127.0.0.1:{server.port} with {count} sample messages (INBOX and Sent).")
        with tempfile.TemporaryDirectory(prefix="napgi-demo-") as tmp:
            config = Path(tmp) / "config.toml"
            config.write_text(demo_config((REPO / "config.toml").read_text(), server.port, Path(tmp) / "assistant.db"))
            env = {**os.environ, "ASSISTANT_IMAP_PASSWORD": password}
            run = [sys.executable, "-m", "assistant", "--config", str(config)]
            print(f"\n$ assistant poll --now {DEMO_NOW}")
            subprocess.run([*run, "poll", "--now", DEMO_NOW], env=env, check=True)
            print(f"\n$ assistant orders --now {DEMO_NOW}")
            subprocess.run([*run, "orders", "--now", DEMO_NOW], env=env, check=True)
            show_drafts(server.port, password)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
