"""SIGKILL soak: the real ``assistant poll`` killed at random moments over a few hundred messages.

Mail arrives in waves between runs; each run is killed at a random moment (seeded,
bounded count); a final clean run follows. Every message must then be recorded
once, every draft key be in Drafts exactly once, and the database equal that of
uninterrupted runs over the same waves of mail. ``SOAK_THREADS`` (6 messages each) and
``SOAK_KILLS`` scale it.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from tests.reliability_support import NOW, db_state, deliver_all, demo_thread, draft_keys, reference_state

THREADS = int(os.environ.get("SOAK_THREADS", "40"))
KILLS = int(os.environ.get("SOAK_KILLS", "25"))


def test_sigkill_at_random_moments_loses_nothing_and_duplicates_no_draft(account, dovecot, tmp_path_factory):
    threads = [demo_thread(n) for n in range(THREADS)]
    size = -(-THREADS // KILLS)
    waves = [sum(threads[i : i + size], []) for i in range(0, THREADS, size)]
    rng = random.Random(20261130)
    killed = 0
    for wave in waves:
        deliver_all(account, wave)
        run = subprocess.Popen([sys.executable, "-m", "assistant", "poll", "--now", NOW], env=account.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.5))
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            killed += 1
        run.wait()
        run.stderr.close()
    final = subprocess.run([sys.executable, "-m", "assistant", "poll", "--now", NOW], env=account.env, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    assert killed >= len(waves) // 2, f"only {killed} runs were killed; the soak proves little"

    mail = [m for wave in waves for m in wave]
    con = sqlite3.connect(account.home / "assistant.db")
    assert con.execute("SELECT count(*), count(DISTINCT message_id) FROM messages").fetchone() == (len(mail), len(mail))
    keys = draft_keys(account)
    assert len(keys) == len(set(keys)), "a draft is in Drafts twice"
    assert set(keys) == {k for (k,) in con.execute("SELECT key FROM drafts")}
    assert con.execute("SELECT count(*) FROM drafts WHERE state != 'in_drafts'").fetchone() == (0,)
    state, clean_keys = reference_state(dovecot, tmp_path_factory.mktemp("clean-soak"), mail, waves=len(waves))
    assert len(keys) == len(clean_keys)
    assert db_state(account.home / "assistant.db") == state
