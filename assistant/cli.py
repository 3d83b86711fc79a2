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
        return self._config

    @property
    def db(self):
        if self._db is None:
            from assistant.db import open_database

            self._db = open_database(self.config.database_url)
        return self._db


def _parse_now(value: str | None, zone: str = "Asia/Seoul") -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO-8601 time such as 2026-12-01T09:00+09:00, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


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
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = Context(config_file)


@cli.command()
@click.option("--now", "now_text", metavar="ISO-8601", help="Run as of this time (replay); mail dated later waits.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something failed (for cron).")
@click.pass_obj
def poll(obj: Context, now_text: str | None, quiet: bool) -> None:
    """Read new mail, update orders and write drafts into the Drafts folder."""
    from filelock import FileLock, Timeout

    from assistant.poller import Poller

    config = obj.config
    now = _parse_now(now_text, config.rep.timezone)
    lock = FileLock(str(config.lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        click.echo(f"Another poll is running (lock {config.lock_file}); nothing to do.", err=True)
        return
    try:
        report = Poller(config, obj.db, now, replay=now_text is not None).run()
    finally:
        lock.release()
    if not quiet or report.errors:
        for outcome in report.outcomes:
            if outcome.status != "ok" or outcome.drafts:
                log.info("%s uid %s %s: %s %s", outcome.folder, outcome.uid, outcome.message_id, outcome.status, outcome.reason)
        click.echo(
            f"{len(report.outcomes)} messages: {report.count('ok')} applied, {report.count('unmatched')} unmatched, "
            f"{report.count('ignored')} ignored, {report.count('failed')} failed; "
            f"{report.drafts_appended} drafts written" + (f"; {report.deferred} dated after --now left for later" if report.deferred else "")
        )
    if report.errors:
        for error in report.errors:
            click.echo(f"Error: {error}", err=True)
        sys.exit(3)


@cli.command()
@click.option("--status", type=click.Choice(["open", "delayed", "confirmed", "shipped", "delivered", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--now", "now_text", metavar="ISO-8601", help="Count days as of this time.")
@click.pass_obj
def orders(obj: Context, status: str | None, as_json: bool, now_text: str | None) -> None:
    """List orders: status, promised date, vendor ETA, slip and the next action."""
    from assistant.views import order_rows, print_table

    now = _parse_now(now_text, obj.config.rep.timezone)
    with obj.db.session() as session:
        rows = order_rows(session, obj.config, now, status)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    print_table("Orders", rows, ["reference", "customer", "vendor", "status", "promised", "vendor_eta", "slipped", "updated", "next_action"])


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def drafts(obj: Context, as_json: bool) -> None:
    """List the drafts made: kind, order, recipient and state."""
    from assistant.views import draft_rows, print_table

    with obj.db.session() as session:
        rows = draft_rows(session)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    print_table("Drafts", rows, ["day", "kind", "order", "to", "language", "state", "subject"])


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

