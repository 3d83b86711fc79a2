"""Database access: the engine, sessions, and schema upgrades through Alembic."""
from __future__ import annotations

from contextlib import contextmanager
from importlib import resources
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import DatabaseError


# The newest migration in assistant/migrations/versions (tests/test_scale.py checks it).
# A database already at this revision is recognised by one query, without loading Alembic.
HEAD_REVISION = "0005"


# Serialises first runs on a new PostgreSQL ledger: two pollers starting together must
# not both create the schema. SQLite needs nothing: its write lock already serialises.
_MIGRATION_LOCK = 0x6E61_7067_6900


def _alembic_config():
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("assistant") / "migrations"))
    return cfg


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL survives a crash of the process; a power loss may lose the last
    # commits, and each message's checkpoint goes with them, so those are read again.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """One database: an engine and a session factory; upgraded on first use."""

    def __init__(self, url: str):
        self.url = url
        try:
            self.engine: Engine = create_engine(url, future=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise DatabaseError(f"database url {redact(url)}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> list[str]:
        """Apply pending migrations; return the revisions applied."""
        if self._at_head():
            return []
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = _alembic_config()
        head = ScriptDirectory.from_config(cfg).get_current_head()
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                current = MigrationContext.configure(conn).get_current_revision()
                if current == head:
                    return []
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot upgrade the database at {redact(self.url)}: {_reason(exc)}") from None
        script = ScriptDirectory.from_config(cfg)
        return [rev.revision for rev in script.iterate_revisions(head, current)]

    def _at_head(self) -> bool:
        """True when the stored revision is ``HEAD_REVISION`` (one query; any doubt says False)."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        except SQLAlchemyError:
            return False

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise DatabaseError(f"database error: {_reason(exc)}") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Open the database at ``url`` and bring its schema up to date."""
    db = Database(url)
    db.upgrade()
    return db


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"


def _reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
