"""Scale: windows, worker processes and drafts appended on a second connection give the same ledger
as one pass; an idle poll stays light."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO
from tests.reliability_support import NOW, db_state, deliver_all, demo_thread, draft_keys, run_cli

IDLE_PROBE = """
import sys
from assistant.cli import cli
try:
    cli(["poll", "--now", sys.argv[1]], prog_name="assistant")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("spacy", "parsers.extract", "mailparser", "jinja2", "alembic") if m in sys.modules)
print("HEAVY", ",".join(heavy), "CODE", code)
"""


def test_the_stored_head_revision_is_alembic_head():
    from alembic.script import ScriptDirectory

    from assistant.db import HEAD_REVISION, _alembic_config

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == HEAD_REVISION


def test_the_migrations_build_the_schema_the_models_declare(tmp_path):
    """Every table, column and index of assistant/models.py comes from a migration (none is missing)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from assistant.db import Database
    from assistant.models import Base

    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.upgrade()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_small_windows_and_worker_processes_give_the_same_ledger_as_one_pass(dovecot, tmp_path, monkeypatch):
    import assistant.poller as poller
    from tests.conftest import make_account

    mail = [m for n in range(1, 4) for m in demo_thread(n)]
    homes = [tmp_path / "plain", tmp_path / "windowed"]
    accounts = []
    for home in homes:
        home.mkdir()
        account = make_account(dovecot, home)
        deliver_all(account, mail)
        accounts.append(account)
    code, out, _ = run_cli(accounts[0], "poll", "--now", NOW)
    assert code == 0 and out.startswith("18 messages")
    monkeypatch.setattr(poller, "WINDOW", 2)
    monkeypatch.setattr(poller, "POOL_THRESHOLD", 4)
    code, out2, _ = run_cli(accounts[1], "poll", "--now", NOW)
    assert code == 0 and out2 == out
    assert db_state(homes[0] / "assistant.db") == db_state(homes[1] / "assistant.db")
    # the same drafts on the server; order row ids (the keys' first part) follow the order of creation
    assert [sorted(k.split("-", 1)[1] for k in draft_keys(acct)) for acct in accounts[1:]] == [sorted(k.split("-", 1)[1] for k in draft_keys(accounts[0]))]


def test_a_backlog_refused_a_second_connection_appends_its_drafts_on_the_first(dovecot, tmp_path, monkeypatch, caplog):
    """On a backlog drafts go out on a second connection while mail is read on the first; a
    server that refuses the second one gets the same drafts, appended between messages."""
    import assistant.poller as poller
    from assistant.mailbox import MailboxSession, default_client_factory
    from tests.conftest import make_account

    mail = [m for n in range(1, 4) for m in demo_thread(n)]
    accounts = []
    for name in ("plain", "refused"):
        (tmp_path / name).mkdir()
        accounts.append(make_account(dovecot, tmp_path / name))
        deliver_all(accounts[-1], mail)
    code, out, _ = run_cli(accounts[0], "poll", "--now", NOW)
    assert code == 0
    opened = []

    def one_connection_each_poll(box):
        opened.append(box.name)
        if len(opened) == 2:
            raise ConnectionRefusedError("too many connections from this user and address")
        return default_client_factory(box)

    monkeypatch.setattr(poller, "POOL_THRESHOLD", 4)
    monkeypatch.setattr(MailboxSession, "client_factory", staticmethod(one_connection_each_poll))
    code, out2, _ = run_cli(accounts[1], "poll", "--now", NOW)
    assert code == 0 and out2 == out and len(opened) == 2
    assert "drafts are appended between messages (no second connection" in caplog.text
    expected = sorted(k.split("-", 1)[1] for k in draft_keys(accounts[0]))
    assert expected and sorted(k.split("-", 1)[1] for k in draft_keys(accounts[1])) == expected


def test_an_idle_poll_loads_no_parser_template_or_migration_code(account):
    deliver_all(account, demo_thread(1))
    assert account.assistant("poll", "--now", NOW).returncode == 0
    done = subprocess.run([sys.executable, "-c", IDLE_PROBE, NOW], env={**account.env, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)
    assert "HEAVY  CODE 0" in done.stdout, done.stdout + done.stderr
    assert done.stdout.startswith("0 messages")
