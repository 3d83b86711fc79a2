"""``assistant check``: a doctor that tries each thing a poll needs and prints one line per check with a fix."""
from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Config, Mailbox, config_path, load_config
from assistant.errors import AssistantError, AuthError, ConfigError, DatabaseError, MailboxError


@dataclass(frozen=True)
class CheckResult:
    """One check: what was tried, whether it worked, and what to do when it did not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    exit_code: int = 0

    def line(self) -> str:
        text = f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"
        return text + (f"  -> {self.fix}" if self.fix and not self.ok else "")


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def failed(name: str, error: AssistantError | str, fix: str, exit_code: int | None = None) -> CheckResult:
    code = exit_code if exit_code is not None else getattr(error, "exit_code", 1)
    return CheckResult(name, False, str(error), fix, code)


def run_checks(config_file: str | None) -> list[CheckResult]:
    """Every check in order; stops after the config when the config cannot be loaded."""
    path = config_path(config_file)
    try:
        config = load_config(path)
    except ConfigError as exc:
        return [failed("config", exc, "fix the key named, see config.toml and the README's configuration reference")]
    results = [passed("config", f"{path}: {len(config.mailboxes)} mailbox(es)")]
    results.append(check_database(config))
    results.append(check_lock(config))
    if config.log_file is not None:
        results.append(check_log_file(config.log_file))
    for box in config.mailboxes:
        results += check_mailbox(box)
    results.append(check_smtp(config))
    return results


def check_database(config: Config) -> CheckResult:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.db import Database, _alembic_config, redact

    name = "database"
    try:
        db = Database(config.database_url)
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        db.dispose()
    except DatabaseError as exc:
        return failed(name, exc, "check database.url")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return failed(name, f"{redact(config.database_url)}: {reason}", "check database.url, that the server runs and the folder is writable", 5)
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if current != head:
        return passed(name, f"{redact(config.database_url)}: schema at {current or 'empty'}, {head} is applied by the next command (or `assistant db upgrade`)")
    return passed(name, f"{redact(config.database_url)}: schema up to date ({head})")


def check_lock(config: Config) -> CheckResult:
    if config.database_url.startswith("postgresql"):
        return passed("lock", "PostgreSQL advisory lock (checked with the database)")
    folder = Path(config.lock_file).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return failed("lock", f"cannot create {config.lock_file}", "set state.lock_file to a path in a writable folder", 1)
    return passed("lock", f"{config.lock_file}")


def check_log_file(path: Path) -> CheckResult:
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        return failed("log file", f"cannot write {path} ({exc.strerror})", "set [logging] file to a writable path", 1)
    return passed("log file", str(path))


def check_mailbox(box: Mailbox) -> list[CheckResult]:
    """Login, then each folder to read, Drafts and Sent."""
    from assistant.mailbox import MailboxSession

    name = f"mailbox {box.name}"
    try:
        password = box.resolve_password()
    except ConfigError as exc:
        return [failed(name, exc, "set the password source named")]
    try:
        imap = MailboxSession(box, password)
    except AuthError as exc:
        return [failed(name, exc, f"check the password and username for {box.name}")]
    except MailboxError as exc:
        return [failed(name, exc, f"check host, port ({box.port}) and tls ({box.tls}) for {box.name}, and that the server is reachable")]
    results = [passed(name, f"logged in to {box.host}:{box.port} as {box.username}")]
    with imap:
        for folder in box.folders:
            results.append(_folder(imap, box, folder))
        for flag, key in (("\\Drafts", "drafts_folder"), ("\\Sent", "sent_folder")):
            label = f"{name} {flag.lstrip(chr(92)).lower()}"
            try:
                found = imap.special_folder(flag, getattr(box, key))
                imap.folder_state(found)
                results.append(passed(label, f"{found!r}"))
            except MailboxError as exc:
                results.append(failed(label, exc, f"set {key} for this mailbox to an existing folder"))
    return results


def _folder(imap, box: Mailbox, folder: str) -> CheckResult:
    label = f"mailbox {box.name} folder"
    try:
        state = imap.folder_state(folder)
    except MailboxError as exc:
        return failed(label, exc, f"fix folders for this mailbox: {folder!r} does not exist")
    return passed(label, f"{folder!r}: {state.messages} messages")


def check_smtp(config: Config) -> CheckResult:
    """Connect (and log in) to the summary's SMTP server when it is used; nothing is sent."""
    summary = config.summary
    if summary.delivery != "smtp":
        return passed("smtp", f"not used (summary delivery = {summary.delivery})")
    where = f"{summary.host}:{summary.port}"
    fix = "check summary.host, port, tls and the SMTP credentials"
    try:
        if summary.tls == "ssl":
            client = smtplib.SMTP_SSL(summary.host, summary.port, timeout=summary.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(summary.host, summary.port, timeout=summary.timeout)
        with client:
            client.ehlo()
            if summary.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if summary.username:
                client.login(summary.username, summary.resolve_password())
    except ConfigError as exc:
        return failed("smtp", exc, "set the password source named")
    except smtplib.SMTPAuthenticationError:
        return failed("smtp", f"{where}: login refused for {summary.username}", "check the SMTP username and password", 4)
    except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as exc:
        return failed("smtp", f"{where}: {type(exc).__name__}: {exc}", fix, 3)
    return passed("smtp", f"{where} answers" + (f", login as {summary.username} works" if summary.username else ""))
