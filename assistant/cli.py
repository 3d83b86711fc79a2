"""The ``assistant`` command: thin commands that parse options, call the library and report.

Domain errors become one line ``Error: ...`` on stderr and the exit code of the
error's class (see README, "Exit codes").
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from assistant import __version__
from assistant.config import Config, config_path, load_config
from assistant.errors import AssistantError, NotFound

log = logging.getLogger("assistant")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_stderr_level = logging.WARNING


class Context:
    """What every command needs: the config path, the clock, and lazily the config and database."""

    def __init__(self, config_file: str | None):
        self.config_file = config_file
        self._config: Config | None = None
        self._db = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(config_path(self.config_file))
            _log_to_file(self._config)
        return self._config

    @property
    def db(self):
        if self._db is None:
            from assistant.db import open_database

            self._db = open_database(self.config.database_url)
        return self._db


def _log_to_file(config: Config) -> None:
    """Also log to ``[logging] file`` when the config names one."""
    if config.log_file is None:
        return
    try:
        handler = logging.FileHandler(config.log_file, encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the log file %s (%s); logging to stderr only", config.log_file, exc.strerror)
        return
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    for other in logging.getLogger().handlers:
        if other is not handler and other.level == logging.NOTSET:
            other.setLevel(_stderr_level)


def _parse_now(value: str | None, zone: str = "Asia/Seoul") -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO-8601 time such as 2026-12-01T09:00+09:00, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _emit(rows: list[dict], as_json: bool, title: str, columns: list[str]) -> None:
    """Rows as one JSON object per line, or as a table of ``columns``."""
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    from assistant.views import print_table

    print_table(title, rows, columns)


class AssistantGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=AssistantGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", metavar="PATH", help="Config file (default: $ASSISTANT_CONFIG or ./config.toml).")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="assistant")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: int) -> None:
    """납기 assistant: reads a sales rep's mail, keeps the order ledger and writes reply drafts."""
    global _stderr_level
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    _stderr_level = level
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    ctx.obj = Context(config_file)


@cli.command()
@click.option("--now", "now_text", metavar="ISO-8601", help="Run as of this time (replay); mail dated later waits.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something failed (for cron).")
@click.pass_obj
def poll(obj: Context, now_text: str | None, quiet: bool) -> None:
    """Read new mail, update orders and write drafts into the Drafts folder."""
    from assistant.locks import run_lock
    from assistant.poller import Poller

    config = obj.config
    now = _parse_now(now_text, config.rep.timezone)
    lock = run_lock(config)
    if not lock.acquire():
        click.echo(f"Another poll is running ({lock.description}); nothing to do.", err=True)
        return
    try:
        report = Poller(config, obj.db, now, replay=now_text is not None, progress=not quiet).run()
    finally:
        lock.release()
    if not quiet or report.errors:
        too_old = report.past_reply_window()
        click.echo(
            f"{len(report.outcomes)} messages: {report.count('ok')} applied, {report.count('unmatched')} unmatched, "
            f"{report.count('ignored')} ignored, {report.count('skipped')} skipped, {report.count('failed')} failed; "
            f"{report.drafts_appended} drafts written"
            + (f" ({too_old} applied messages were older than the {config.drafting.reply_window_days}-day"
               " reply window: no draft)" if too_old else "")
            + (f"; {report.deferred} dated after --now left for later" if report.deferred else "")
            + (f"; {report.left_for_later} left for the next run (deadline)" if report.left_for_later else "")
            + (f"; {report.reconnects} reconnects" if report.reconnects else "")
        )
    if report.errors:
        for error in report.errors:
            click.echo(f"Error: {error}", err=True)
        # 8 when a mailbox stopped on its OAuth2 token (every OAuthError says `assistant auth NAME`)
        sys.exit(8 if any("`assistant auth " in error for error in report.errors) else report.exit_code or 3)


@cli.command()
@click.option("--status", type=click.Choice(["open", "delayed", "confirmed", "shipped", "delivered", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--now", "now_text", metavar="ISO-8601", help="Count days as of this time.")
@click.pass_obj
def orders(obj: Context, status: str | None, as_json: bool, now_text: str | None) -> None:
    """List orders: status, promised date, vendor ETA, slip and the next action."""
    from assistant.views import order_rows

    now = _parse_now(now_text, obj.config.rep.timezone)
    with obj.db.session() as session:
        rows = order_rows(session, obj.config, now, status)
    _emit(rows, as_json, "Orders", ["reference", "customer", "vendor", "status", "promised", "vendor_eta", "slipped", "updated", "next_action"])


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def drafts(obj: Context, as_json: bool) -> None:
    """List the drafts made: kind, order, recipient and state."""
    from assistant.views import draft_rows

    with obj.db.session() as session:
        rows = draft_rows(session)
    _emit(rows, as_json, "Drafts", ["day", "kind", "order", "to", "language", "state", "subject"])


@cli.command()
@click.option("--failed", is_flag=True, help="Only messages that failed (see `assistant retry`).")
@click.option("--status", type=click.Choice(["ok", "unmatched", "ignored", "skipped", "failed", "retry"]))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def messages(obj: Context, failed: bool, status: str | None, as_json: bool) -> None:
    """List the messages read: where, from whom, status and reason."""
    from assistant.failures import message_rows

    with obj.db.session() as session:
        rows = message_rows(session, "failed" if failed else status)
    _emit(rows, as_json, "Messages", ["id", "folder", "uid", "sent_at", "sender", "subject", "status", "attempts", "reason"])


@cli.command()
@click.argument("messages", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every failed message.")
@click.pass_obj
def retry(obj: Context, messages: tuple[str, ...], everything: bool) -> None:
    """Queue failed MESSAGES (row id or Message-ID, see `assistant messages --failed`) for the next poll."""
    from assistant.failures import queue_retry

    if bool(messages) == everything:
        raise click.UsageError("name the failed messages to retry, or give --all")
    with obj.db.session() as session:
        queued = queue_retry(session, None if everything else list(messages))
    click.echo(f"{queued} messages queued; the next poll reads them again")


@cli.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Check the config, each mailbox and its folders, the database, the lock and SMTP; one line each."""
    from assistant.check import run_checks

    results = run_checks(obj.config_file)
    for result in results:
        click.echo(result.line())
    failing = [r for r in results if not r.ok]
    if failing:
        sys.exit(failing[0].exit_code)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line and file.")
@click.pass_obj
def extract(obj: Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Show what is extracted from .eml FILES (no database, no mailbox)."""
    from assistant.poller import extract_settings
    from parsers.extract import extract as run_extract
    from parsers.extract import extraction_to_json
    from parsers.message import parse_message
    from parsers.types import ExtractSettings

    settings = extract_settings(obj.config) if _config_available(obj) else ExtractSettings()
    for path in files:
        parsed = parse_message(path.read_bytes(), default_tz=settings.default_timezone)
        result = extraction_to_json(run_extract(parsed, settings))
        result = {"file": str(path), **result}
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            _print_extraction(result)


def _config_available(obj: Context) -> bool:
    if obj.config_file is None and not config_path(None).exists():
        return False
    obj.config  # noqa: B018 - load and validate now so a bad config is reported
    return True


def _print_extraction(result: dict) -> None:
    click.echo(f"== {result['file']}")
    if result.get("error"):
        click.echo(f"   error: {result['error']}")
    for key in ("message_id", "sent_at", "language", "role", "order_refs", "event", "eta", "eta_confirmed", "required_by", "delay_days", "reason"):
        if key in result:
            value = result[key]
            shown = ", ".join(value) if isinstance(value, list) else value
            evidence = (result.get("evidence") or {}).get(key)
            click.echo(f"   {key:14} {shown}" + (f'   <- "{evidence}"' if evidence else ""))
    for mention in result.get("dates", []):
        click.echo(f"   date           {mention['text']} = {mention['value']}   <- \"{mention['sentence']}\"")


@cli.group()
def order() -> None:
    """Look at one order."""


@order.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def order_show(obj: Context, ref: str, as_json: bool) -> None:
    """Show an order and its timeline, each change with the sentence and sender it came from."""
    from assistant.views import order_detail, print_order

    with obj.db.session() as session:
        detail = order_detail(session, ref)
    if detail is None:
        raise NotFound(f"no order with reference {ref!r}; see `assistant orders`")
    if as_json:
        click.echo(json.dumps(detail, ensure_ascii=False, indent=2))
    else:
        print_order(detail, obj.config.rep.timezone)


@cli.command()
@click.argument("ref")
@click.option("--kind", required=True, type=click.Choice(["status_reply", "delay_notice", "daily_update", "confirmed_notice", "shipped_notice", "delivered_notice", "vendor_chase"]))
@click.option("--now", "now_text", metavar="ISO-8601")
@click.pass_obj
def preview(obj: Context, ref: str, kind: str, now_text: str | None) -> None:
    """Render a draft for order REF to the terminal without storing or writing anything."""
    from assistant.views import preview_draft

    now = _parse_now(now_text, obj.config.rep.timezone)
    with obj.db.session() as session:
        text = preview_draft(session, obj.config, ref, kind, now)
        session.rollback()
    click.echo(text)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def unmatched(obj: Context, as_json: bool) -> None:
    """List order-related mail that matched no order; attach one with `assistant link`."""
    from assistant.views import unmatched_rows

    with obj.db.session() as session:
        rows = unmatched_rows(session)
    _emit(rows, as_json, "Unmatched messages", ["sent_at", "sender", "subject", "event", "order_refs", "message_id"])


@cli.command()
@click.argument("message_id")
@click.argument("ref")
@click.option("--now", "now_text", metavar="ISO-8601")
@click.pass_obj
def link(obj: Context, message_id: str, ref: str, now_text: str | None) -> None:
    """Attach an unmatched message MESSAGE_ID to the order REF and apply what it says."""
    from sqlalchemy import select

    from assistant.ledger import Ledger
    from assistant.models import Message
    from assistant.views import find_order

    now = _parse_now(now_text, obj.config.rep.timezone)
    wanted = message_id if message_id.startswith("<") else f"<{message_id}>"
    with obj.db.session() as session:
        record = session.scalar(select(Message).where(Message.message_id == wanted).order_by(Message.id).limit(1))
        if record is None:
            raise NotFound(f"no message with Message-ID {wanted}; see `assistant unmatched`")
        order = find_order(session, ref)
        if order is None:
            raise NotFound(f"no order with reference {ref!r}; see `assistant orders`")
        events = Ledger(session, obj.config).link(record, order, now)
        reference = order.reference
    changed = [e.field for e in events if e.field]
    click.echo(f"linked {wanted} to {reference}" + (f"; changed {', '.join(changed)}" if changed else ""))


@cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--now", "now_text", metavar="ISO-8601")
@click.pass_obj
def import_(obj: Context, csv_file: Path, now_text: str | None) -> None:
    """Load orders from CSV_FILE (see README: "Importing orders"); all rows or none."""
    from assistant.importer import import_orders

    now = _parse_now(now_text, obj.config.rep.timezone)
    with obj.db.session() as session:
        created, updated = import_orders(session, obj.config, csv_file, now)
    click.echo(f"{created} orders created, {updated} updated from {csv_file.name}")


@cli.command()
@click.option("--now", "now_text", metavar="ISO-8601", help="Run as of this time (replay).")
@click.option("--dry-run", is_flag=True, help="Write the message to stdout; send and record nothing.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something failed (for cron).")
@click.pass_obj
def summary(obj: Context, now_text: str | None, dry_run: bool, quiet: bool) -> None:
    """Send the weekly summary once per ISO week (from [summary] weekday and hour; retried after a failure)."""
    from filelock import FileLock, Timeout

    from assistant.weekly import build_message, run_weekly

    config = obj.config
    now = _parse_now(now_text, config.rep.timezone)
    if dry_run:
        click.echo(build_message(obj.db, config, now).as_string(), nl=False)
        return
    lock = FileLock(f"{config.lock_file}.summary")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        click.echo(f"Another summary run holds {config.lock_file}.summary; nothing to do.", err=True)
        return
    try:
        outcome = run_weekly(obj.db, config, now)
    finally:
        lock.release()
    for week in outcome.unsent_earlier:
        click.echo(f"Warning: the summary of {week} was never delivered", err=True)
    if quiet:
        return
    if outcome.action == "sent":
        click.echo(f"summary {outcome.iso_week} sent via {outcome.where} (attempt {outcome.attempts})")
    elif outcome.action == "already_sent":
        click.echo(f"summary {outcome.iso_week} was already sent at {outcome.sent_at.isoformat()}; nothing to do")
    else:
        click.echo(f"summary {outcome.iso_week} is due from {outcome.due_at.isoformat()}; nothing to do")


@cli.command()
@click.argument("mailbox")
@click.option("--no-browser", is_flag=True, help="Only print the address to open (Google).")
@click.pass_obj
def auth(obj: Context, mailbox: str, no_browser: bool) -> None:
    """Sign MAILBOX in with OAuth2 (device code for Microsoft, browser for Google) and store its refresh token."""
    from assistant.oauth import sign_in

    stored = sign_in(obj.config.mailbox(mailbox), lambda text: click.echo(text, err=True), open_browser=not no_browser)
    click.echo(f"{mailbox}: signed in; refresh token stored in {stored} (mode 0600)" if stored else f"{mailbox}: token_command works; nothing to store")


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply pending schema migrations (every command also does this on first use)."""
    from assistant.db import Database

    applied = Database(obj.config.database_url).upgrade()
    click.echo(f"applied {', '.join(applied)}" if applied else "database is up to date")


def main() -> None:
    cli(prog_name="assistant")

