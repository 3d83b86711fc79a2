"""Security: secrets never leak, TLS is verified, and mail content cannot attack the rep.

Everything here runs the real ``assistant`` command against a real Dovecot (the suite's
plain one, and one with TLS and a throwaway self-signed certificate).
"""
from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import re
import subprocess
import sys
from email.header import Header
from pathlib import Path

import pytest

from assistant.config import load_config
from assistant.devserver import Dovecot
from assistant.errors import ConfigError
from parsers.message import parse_message
from tests.conftest import DATA, make_account
from tests.oauth_server import self_signed
from tests.test_poll_e2e import NOW, body_of, drafts_in_folder, load_demo

pytestmark = pytest.mark.imap
SENTINEL = "S3ntinel-Secret-7f3a9c"
REPO = Path(__file__).resolve().parents[1]


def forms_of(secret: str) -> list[str]:
    """The secret as it could leak: as is, and base64-encoded inside a LOGIN/PLAIN/XOAUTH2 exchange."""
    b64 = base64.b64encode(secret.encode()).decode()
    return [secret, b64[: len(b64) - 4]]


def assert_no_secret(secret: str, *texts: str) -> None:
    for text in texts:
        for form in forms_of(secret):
            assert form not in text


def set_mailbox(acct, old: str, new: str) -> None:
    text = acct.config.read_text()
    assert old in text, old
    acct.config.write_text(text.replace(old, new))


def with_log_file(acct) -> Path:
    acct.config.write_text(acct.config.read_text() + '\n[logging]\nfile = "assistant.log"\n')
    return acct.home / "assistant.log"


# --- secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["env", "command", "config"])
def test_a_refused_password_appears_nowhere(account, source):
    """A wrong (sentinel) password: poll, check and orders --json at -vv; not in stdout, stderr or the log."""
    log_file = with_log_file(account)
    env = {**account.env, "ASSISTANT_IMAP_PASSWORD": SENTINEL}
    if source == "command":
        set_mailbox(account, 'password_env = "ASSISTANT_IMAP_PASSWORD"', f'password_command = "echo {SENTINEL}"')
    elif source == "config":
        set_mailbox(account, 'password_env = "ASSISTANT_IMAP_PASSWORD"', f'password = "{SENTINEL}"')
        account.config.chmod(0o644)
    outputs = []
    for args, codes in ((["-vv", "poll", "--now", NOW], (3, 4)), (["-vv", "check"], (4,)), (["-vv", "orders", "--json"], (0,))):
        done = subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode in codes, (args, done.stdout, done.stderr)
        outputs += [done.stdout, done.stderr]
    assert "login refused" in outputs[1]
    if source == "config":
        assert "password is written in the config file" in outputs[1]
        assert "readable by other users" in outputs[1]
    assert_no_secret(SENTINEL, *outputs, log_file.read_text())


def test_database_password_is_redacted(account):
    url = f"postgresql+psycopg://napgi:{SENTINEL}@127.0.0.1:9/none"
    set_mailbox(account, f"sqlite:///{account.home / 'assistant.db'}", url)
    done = account.assistant("-vv", "orders", "--json", check=False)
    assert done.returncode == 5
    assert_no_secret(SENTINEL, done.stdout, done.stderr)


def test_keyring_password(account, tmp_path):
    pytest.importorskip("keyring")
    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({f"napgi:{account.user}": account.password}))
    set_mailbox(account, 'password_env = "ASSISTANT_IMAP_PASSWORD"', 'password_keyring = "napgi"')
    env = {**account.env, "PYTHON_KEYRING_BACKEND": "tests.fake_keyring.FileKeyring", "NAPGI_TEST_KEYRING": str(store),
           "PYTHONPATH": str(REPO)}
    env.pop("ASSISTANT_IMAP_PASSWORD")
    load_demo(account)
    done = subprocess.run([sys.executable, "-m", "assistant", "poll", "--now", NOW], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "6 applied" in done.stdout
    store.write_text("{}")
    missing = subprocess.run([sys.executable, "-m", "assistant", "poll"], env=env, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "keyring set napgi" in missing.stderr


# --- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_dovecot(tmp_path_factory):
    cert, key = self_signed(tmp_path_factory.mktemp("tls"), "localhost", "DNS:localhost")
    server = Dovecot(ssl_cert=cert, ssl_key=key).start()
    server.cert = cert
    yield server
    server.stop()


def tls_account(server, tmp_path, host: str, port: int, tls: str):
    acct = make_account(server, tmp_path)
    set_mailbox(acct, f'host = "127.0.0.1"\nport = {server.port}\ntls = "none"', f'host = "{host}"\nport = {port}\ntls = "{tls}"\nretries = 1')
    return acct


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_an_untrusted_certificate_is_refused_and_a_trusted_one_accepted(tls_dovecot, tmp_path, tls):
    port = tls_dovecot.ssl_port if tls == "ssl" else tls_dovecot.port
    acct = tls_account(tls_dovecot, tmp_path, "localhost", port, tls)
    refused = acct.assistant("poll", check=False)
    assert refused.returncode == 3
    assert "TLS certificate not accepted" in refused.stderr and "self-signed certificate" in refused.stderr
    assert "reconnecting" not in refused.stderr  # not retried as if the network had dropped
    check = acct.assistant("check", check=False)
    assert check.returncode == 3 and "TLS certificate not accepted" in check.stdout

    trusted = {**acct.env, "SSL_CERT_FILE": str(tls_dovecot.cert)}  # the rep's trust store now holds this CA
    load_demo(acct)
    done = subprocess.run([sys.executable, "-m", "assistant", "poll", "--now", NOW], env=trusted,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "6 applied" in done.stdout


def test_a_certificate_for_another_host_name_is_refused(tls_dovecot, tmp_path):
    acct = tls_account(tls_dovecot, tmp_path, "127.0.0.1", tls_dovecot.ssl_port, "ssl")  # the cert names only localhost
    done = subprocess.run([sys.executable, "-m", "assistant", "poll"], env={**acct.env, "SSL_CERT_FILE": str(tls_dovecot.cert)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3
    assert "TLS certificate not accepted" in done.stderr and "mismatch" in done.stderr


def _config(tmp_path, mailbox: str) -> Path:
    path = tmp_path / "standalone" / "config.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'[rep]\nname = "R"\nemail = "r@example.com"\n[[mailboxes]]\nusername = "u"\npassword_env = "P"\n{mailbox}')
    return path


def test_tls_defaults_to_ssl_on_993(tmp_path):
    box = load_config(_config(tmp_path, 'host = "imap.example.com"\n')).mailboxes[0]
    assert (box.tls, box.port) == ("ssl", 993)


def test_tls_none_is_refused_off_loopback_unless_allowed_then_warned_every_run(account, tmp_path, caplog):
    with pytest.raises(ConfigError, match='tls: "none" sends the password in clear to imap.example.com'):
        load_config(_config(tmp_path, 'host = "imap.example.com"\ntls = "none"\n'))
    set_mailbox(account, 'host = "127.0.0.1"', 'host = "imap.example.com"')
    refused = account.assistant("orders", check=False)
    assert refused.returncode == 2 and "allow_insecure = true" in refused.stderr
    set_mailbox(account, 'tls = "none"', 'tls = "none"\nallow_insecure = true')
    for _ in range(2):
        done = account.assistant("orders")
        assert "TLS is off for imap.example.com" in done.stderr


def test_loopback_without_tls_is_allowed_quietly(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        load_config(_config(tmp_path, 'host = "127.0.0.1"\ntls = "none"\n'))
    assert "TLS is off" not in caplog.text


# --- untrusted mail ------------------------------------------------------------------------

INJECTION = "\r\nBcc: x@evil.example\r\nX-Injected: yes"
NAME = 'Dana "The Boss" Whitfield {{ 7*7 }} 다나'


def hostile_inquiry() -> bytes:
    """The demo's English customer inquiry, rewritten by an attacker."""
    raw = (DATA / "demo" / "06_INBOX_customer_inquiry_en.eml").read_bytes().decode()
    subject = "Re: PO-2026-0520 HPE DL380 Gen11 delivery {{ 7*7 }} {% raw %} " + Header(INJECTION, "utf-8").encode()
    name = Header(NAME, "utf-8").encode()
    raw = raw.replace("From: Dana Whitfield <dana.whitfield@globex.com>", f"From: {name} <dana.boss@globex.com>")
    raw = raw.replace("Subject: Re: PO-2026-0520 HPE DL380 Gen11 delivery", f"Subject: {subject}")
    raw = raw.replace(
        "Any update on the DL380s?",
        "Any update on the DL380s? {{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} "
        "{{ ''.__class__.__mro__ }} <script>alert(1)</script>",
    )
    return raw.encode()


def test_hostile_mail_text_appears_literally_in_drafts_and_cannot_add_headers(account):
    for path in sorted((DATA / "demo").glob("*.eml")):
        if path.name.startswith("06_"):
            account.deliver(hostile_inquiry())
        else:
            account.deliver(path.read_bytes(), path.name.split("_")[1])
    account.assistant("poll", "--now", NOW)
    drafts = [m for _, m in drafts_in_folder(account)]
    reply = next(m for m in drafts if m["In-Reply-To"] == "<demo-en-03@globex.com>")
    assert reply["Subject"].startswith("Re: PO-2026-0520 HPE DL380 Gen11 delivery {{ 7*7 }} {% raw %}")
    assert "Bcc: x@evil.example" in reply["Subject"]  # folded into the subject's text, harmless
    for msg in drafts:
        keys = {k.lower() for k in msg.keys()}
        assert "bcc" not in keys and "x-injected" not in keys
        assert len(msg["To"].addresses) == 1
    assert [(a.display_name, a.addr_spec) for a in reply["To"].addresses] == [(NAME, "dana.boss@globex.com")]
    body = body_of(reply)
    assert "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {{ ''.__class__.__mro__ }} <script>alert(1)</script>" in body
    assert "49" not in body and "012" not in body and "<class" not in body
    assert body.startswith("Dear Dana,")


def test_hostile_mail_in_the_summary_is_escaped(account):
    raw = hostile_inquiry().decode()
    raw = raw.replace("PO-2026-0520", "the order").replace("<demo-en-01@hanbit-it.co.kr>", "<nothing@nowhere>")
    raw = raw.replace("Subject: Re: the order", "Subject: Re: <b>bold</b> <script>alert(1)</script> delivery date? the order")
    account.deliver(raw.encode())
    account.assistant("poll", "--now", NOW)
    out = account.assistant("summary", "--dry-run", "--now", NOW).stdout
    msg = email.message_from_string(out, policy=email.policy.default)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    keys = {k.lower() for k in msg.keys()}
    assert "bcc" not in keys and "x-injected" not in keys
    if "{{ 7*7 }}" not in text:
        pytest.skip("the summary did not list this message (nothing from mail to check)")
    assert "<b>bold</b>" not in html and "<script>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b> <script>alert(1)</script>" in text  # the text part shows it as written
    assert "{{ 7*7 }}" in html and ">49<" not in html


def test_attachments_are_not_read_saved_or_run(account, tmp_path):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Dana Whitfield <dana.whitfield@globex.com>"
    msg["To"] = "Minsu Kim <minsu.kim@hanbit-it.co.kr>"
    msg["Subject"] = "PO-2026-0777 delivery date?"
    msg["Date"] = "Mon, 30 Nov 2026 11:20:00 +0900"
    msg["Message-ID"] = "<attach-01@globex.com>"
    msg.set_content("When will PO-2026-0777 arrive?\n")
    marker = tmp_path / "ran.txt"
    msg.add_attachment(f"#!/bin/sh\ntouch {marker}\necho ATTACHMENT-TEXT\n".encode(), maintype="application",
                       subtype="x-sh", filename="../../../../tmp/evil.sh")
    msg.add_attachment(b"ATTACHMENT-TEXT in a text file", maintype="text", subtype="plain", filename="notes.txt")
    raw = msg.as_bytes()
    parsed = parse_message(raw)
    assert "When will PO-2026-0777 arrive?" in parsed.text
    assert "ATTACHMENT-TEXT" not in parsed.text + parsed.new_text + parsed.quoted_text
    before = {p for p in account.home.rglob("*")}
    account.deliver(raw)
    account.assistant("poll", "--now", NOW)
    new = {p.name for p in account.home.rglob("*")} - {p.name for p in before}
    assert not marker.exists()
    assert not Path("/tmp/evil.sh").exists()
    assert not any("evil" in n or "notes" in n for n in new), new


def test_no_code_path_sends_a_draft():
    """Only the weekly summary is sent (assistant/sending.py); drafts only ever go to IMAP APPEND."""
    senders = []
    for path in (REPO / "assistant").rglob("*.py"):
        text = path.read_text()
        if re.search(r"\.(send_message|sendmail)\(|smtplib\.SMTP\b.*\)\.send", text):
            senders.append(path.name)
    assert senders == ["sending.py"] or senders == [], senders
    drafts = (REPO / "assistant" / "drafts.py").read_text() + (REPO / "assistant" / "poller.py").read_text()
    assert "sending" not in drafts and "smtplib" not in drafts
