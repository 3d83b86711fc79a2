"""Shared fixtures: a real Dovecot for the session, a fresh mail user and config per test."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from assistant.devserver import Dovecot, DovecotMissing

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
_user_numbers = itertools.count(1)


def arrival_time(raw: bytes):
    """The message's Date header as an aware datetime (UTC when missing or unreadable)."""
    header = BytesHeaderParser().parsebytes(raw).get("Date")
    try:
        return parsedate_to_datetime(header) if header else datetime(2026, 1, 1, tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def dovecot():
    try:
        server = Dovecot().start()
    except DovecotMissing as exc:
        pytest.fail(f"{exc} (make test installs it when run as root)")
    yield server
    server.stop()


@dataclass
class MailAccount:
    """A mail user on the test Dovecot, with a config.toml that points the assistant at it."""

    server: Dovecot
    user: str
    password: str
    home: Path

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "ASSISTANT_IMAP_PASSWORD": self.password, "ASSISTANT_CONFIG": str(self.config)}

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Store ``raw`` in ``folder`` with its Date header as the arrival time (INTERNALDATE),
        as a mail server that received it then would have, so no test depends on the wall clock."""
        client = self.imap()
        try:
            client.append(folder, raw, msg_time=arrival_time(raw))
        finally:
            client.logout()

    def assistant(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the real ``assistant`` command against this account."""
        done = subprocess.run(
            [sys.executable, "-m", "assistant", *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and done.returncode != 0:
            raise AssertionError(f"assistant {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def imap(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.server.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client


CONFIG = """\
[rep]
name = "김민수"
title = "과장"
company = "한빛아이티"
email = "minsu.kim@hanbit-it.co.kr"
language = "ko"
timezone = "Asia/Seoul"

[database]
url = "{database}"

[[mailboxes]]
name = "work"
host = "127.0.0.1"
port = {port}
tls = "none"
username = "{user}"
password_env = "ASSISTANT_IMAP_PASSWORD"
folders = ["INBOX"]

[vendors]
domains = ["lenovo.com", "dell.com", "hpe.com", "cisco.com", "daewon-dist.co.kr", "techdata-kr.com"]
names = {{ "lenovo.com" = "Lenovo", "dell.com" = "Dell", "hpe.com" = "HPE" }}

[customers]
domains = ["mirae-fin.co.kr", "seoul-bio.kr", "kpharm.co.kr", "globex.com", "initech.io", "daehan-logis.co.kr"]
names = {{ "mirae-fin.co.kr" = "미래금융", "globex.com" = "Globex" }}
"""


def make_account(server: Dovecot, home: Path) -> MailAccount:
    """A new mail user on ``server`` and a config.toml for it in ``home``."""
    user = f"rep{next(_user_numbers)}"
    password = server.add_user(user)
    acct = MailAccount(server, user, password, home)
    acct.config.write_text(CONFIG.format(database=f"sqlite:///{home / 'assistant.db'}", port=server.port, user=user))
    return acct


@pytest.fixture
def account(dovecot, tmp_path) -> MailAccount:
    return make_account(dovecot, tmp_path)


@pytest.fixture(scope="session")
def postgres():
    from tests.pgserver import Postgres, PostgresMissing

    try:
        server = Postgres().start()
    except PostgresMissing as exc:
        pytest.fail(f"{exc} (make test installs it when run as root)")
    yield server
    server.stop()


_database_numbers = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh, empty database URL: SQLite, then a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres").create_database(f"test{next(_database_numbers)}")
