"""A sales team: several mailboxes in one config, several pollers on one PostgreSQL ledger."""
from __future__ import annotations

import email
import email.policy
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from assistant.devserver import free_port
from tests.conftest import CONFIG, REPO
from tests.reliability_support import NOW, deliver_all, demo_thread, draft_keys

HEAD, _, REST = CONFIG.partition("[[mailboxes]]")
PARTIES = "[vendors]" + REST.partition("[vendors]")[2]


def team_config(path: Path, database: str, port: int, boxes: list[dict]) -> Path:
    """A config for ``boxes`` (dicts: name, user, env, and optional port, rep, extra lines)."""
    text = HEAD.format(database=database)
    for box in boxes:
        text += (f'[[mailboxes]]\nname = "{box["name"]}"\nhost = "127.0.0.1"\nport = {box.get("port", port)}\ntls = "none"\n'
                 f'username = "{box["user"]}"\npassword_env = "{box["env"]}"\nfolders = ["INBOX"]\n{box.get("extra", "")}\n')
        if box.get("rep"):
            text += "[mailboxes.rep]\n" + "".join(f'{k} = "{v}"\n' for k, v in box["rep"].items()) + "\n"
    path.write_text(text + PARTIES.replace("{{", "{").replace("}}", "}"))
    return path


def account_in(dovecot, home: Path):
    from tests.conftest import make_account

    home.mkdir()
    return make_account(dovecot, home)


def run(config: Path, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", "--config", str(config), *args],
                            env={**os.environ, **env, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def test_one_broken_mailbox_does_not_hold_up_the_others_and_each_mailbox_drafts_as_its_rep(dovecot, tmp_path):
    a = account_in(dovecot, tmp_path / "a")
    b = account_in(dovecot, tmp_path / "b")
    deliver_all(a, demo_thread(1))
    deliver_all(b, demo_thread(2))
    config = team_config(tmp_path / "team.toml", f"sqlite:///{tmp_path / 'team.db'}", dovecot.port, [
        {"name": "minsu", "user": a.user, "env": "PW_A"},
        {"name": "broken", "user": "nobody", "env": "PW_A", "port": free_port(), "extra": "retries = 1\ndeadline = 5"},
        {"name": "younghee", "user": b.user, "env": "PW_B", "rep": {"name": "이영희", "title": "대리"}},
    ])
    code, out, err = finish(run(config, {"PW_A": a.password, "PW_B": b.password}, "poll", "--now", NOW))
    assert code == 3, out + err
    assert "broken" in err and "cannot connect" in err
    assert out.startswith("12 messages")
    con = sqlite3.connect(tmp_path / "team.db")
    assert dict(con.execute("SELECT mailbox, count(*) FROM messages GROUP BY mailbox").fetchall()) == {"minsu": 6, "younghee": 6}
    senders: dict[str, set[str]] = {}
    for mailbox, mime in con.execute("SELECT mailbox, mime FROM drafts"):
        msg = email.message_from_bytes(mime, policy=email.policy.default)
        senders.setdefault(mailbox, set()).add(msg["From"].addresses[0].display_name)
    assert senders == {"minsu": {"김민수"}, "younghee": {"이영희"}}
    assert len(draft_keys(a)) == len(set(draft_keys(a))) > 0 and len(draft_keys(b)) == len(set(draft_keys(b))) > 0


def test_two_pollers_on_one_postgresql_apply_shared_mail_once(dovecot, postgres, tmp_path):
    a = account_in(dovecot, tmp_path / "a")
    b = account_in(dovecot, tmp_path / "b")
    shared = demo_thread(3)
    vendor_mail = [(folder, raw) for folder, raw in shared if folder == "INBOX"]
    deliver_all(a, shared + demo_thread(4))
    deliver_all(b, vendor_mail + demo_thread(5))  # both reps got the same vendor and customer mail
    url = postgres.create_database("team_two_pollers")
    boxes = [{"name": "minsu", "user": a.user, "env": "PW_A"}, {"name": "younghee", "user": b.user, "env": "PW_B"}]
    one = team_config(tmp_path / "host1.toml", url, dovecot.port, boxes)
    two = team_config(tmp_path / "host2.toml", url, dovecot.port, boxes[::-1])
    env = {"PW_A": a.password, "PW_B": b.password}
    for _ in range(2):  # twice: the second round finds nothing new
        procs = [run(one, env, "poll", "--now", NOW), run(two, env, "poll", "--now", NOW)]
        results = [finish(p) for p in procs]
        for code, out, err in results:
            assert code == 0 and "Error" not in err, out + err

    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        rows = conn.execute("SELECT mailbox, folder, uid, message_id, status, reason FROM messages").fetchall()
        events = conn.execute(
            "SELECT m.message_id, count(DISTINCT e.message_id) FROM order_events e JOIN messages m ON m.id = e.message_id GROUP BY m.message_id"
        ).fetchall()
        keys = [k for (k,) in conn.execute("SELECT key FROM drafts")]
    assert len(rows) == len({(m, f, u) for m, f, u, *_ in rows}) == 6 + 6 + len(vendor_mail) + 6, "every message recorded once"
    for _, _, raw in [(None, *pair) for pair in vendor_mail]:
        message_id = email.message_from_bytes(raw)["Message-ID"]
        copies = [r for r in rows if r[3] == message_id]
        applied = [r for r in copies if r[4] != "ignored"]
        assert len(copies) == 2 and len(applied) == 1, copies
        assert [r for r in copies if r[4] == "ignored"][0][5].startswith("duplicate of")
    assert all(n == 1 for _, n in events), "no message's changes were applied by two records"
    assert len(keys) == len(set(keys))
    for account in (a, b):
        on_server = draft_keys(account)
        assert len(on_server) == len(set(on_server))
    assert sorted(draft_keys(a) + draft_keys(b)) == sorted(keys)
