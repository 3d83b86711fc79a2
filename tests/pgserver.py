"""A throwaway PostgreSQL cluster on a free loopback port, for the database tests.

initdb into a temporary folder and ``pg_ctl start``; as root the server runs as the
``postgres`` system account (PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from assistant.devserver import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresMissing(RuntimeError):
    pass


class Postgres:
    """A running cluster with a trust-authenticated superuser ``assistant``."""

    def __init__(self):
        if not (_bin("initdb") and _bin("pg_ctl")):
            raise PostgresMissing("PostgreSQL is not installed; run: sudo apt-get install -y postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="napgi-pg-"))
        self.port = free_port()
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)

    def start(self) -> Postgres:
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "assistant", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://assistant@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=assistant dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        for _ in range(20):
            try:
                shutil.rmtree(self.root)
                return
            except OSError:
                time.sleep(0.1)
