"""The lock that keeps two polls from running at once.

SQLite gets a file lock (``state.lock_file``, released by the kernel if the
process dies); PostgreSQL gets a session-level advisory lock, so that polls on
different hosts sharing one database exclude each other too.
"""
from __future__ import annotations

import hashlib
import zlib
from typing import Protocol

from assistant.config import Config, Mailbox
from assistant.errors import AssistantError, DatabaseError

LOCK_NAME = "napgi-assistant-poll"


class RunLock(Protocol):
    """Held for the whole run; ``acquire`` returns False at once when another run holds it."""

    description: str

    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class FileRunLock:
    """An exclusive ``flock`` on a file (SQLite, or any single host)."""

    def __init__(self, path):
        from filelock import FileLock

        self.path = path
        self.description = f"lock file {path}"
        self._lock = FileLock(str(path))

    def acquire(self) -> bool:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        except OSError as exc:
            raise AssistantError(f"cannot create the lock file {self.path} ({exc.strerror}); set state.lock_file to a writable path") from None
        return True

    def release(self) -> None:
        self._lock.release()


class PostgresAdvisoryLock:
    """``pg_try_advisory_lock`` on a connection of its own, held until ``release``."""

    def __init__(self, url: str, key: int | None = None):
        self.url = url
        self.key = key if key is not None else zlib.crc32(LOCK_NAME.encode())
        self.description = f"PostgreSQL advisory lock {self.key}"
        self._engine = None
        self._conn = None

    def acquire(self) -> bool:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self._engine = create_engine(self.url)
            self._conn = self._engine.connect()
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
        except SQLAlchemyError as exc:
            self._close()
            raise DatabaseError(f"cannot take the advisory lock: {str(getattr(exc, 'orig', exc)).splitlines()[0]}") from None
        if not got:
            self._close()
        return got

    def release(self) -> None:
        from sqlalchemy import text

        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._engine is not None:
            self._engine.dispose()
        self._conn = self._engine = None


class NoRunLock:
    """PostgreSQL: no lock for the whole run; each mailbox takes its own (``mailbox_lock``)."""

    description = "per-mailbox PostgreSQL advisory locks"

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


def run_lock(config: Config) -> RunLock:
    """The lock that fits the configured database.

    SQLite: one poll at a time on this host (a file lock). PostgreSQL: polls on
    several hosts may share the ledger; each mailbox is locked on its own instead.
    """
    if config.database_url.startswith("postgresql"):
        return NoRunLock()
    return FileRunLock(config.lock_file)


def advisory_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def mailbox_lock(config: Config, box: Mailbox) -> RunLock | None:
    """PostgreSQL: the advisory lock that lets one process at a time poll ``box``, keyed by the
    account (user, host, port), not the name in one config. SQLite: None (the run lock covers it)."""
    if not config.database_url.startswith("postgresql"):
        return None
    lock = PostgresAdvisoryLock(config.database_url, advisory_key(f"napgi-mailbox:{box.username}@{box.host}:{box.port}"))
    lock.description = f"mailbox {box.name} ({box.username}@{box.host})"
    return lock
