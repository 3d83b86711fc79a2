"""Once per ISO week: decide whether the summary is due, build it, deliver it and record the run.

A run is recorded in ``summary_runs`` under its ISO week before anything is sent;
it becomes ``sent`` only after delivery succeeded, else ``failed`` with the error,
so the next run (cron) tries again. Earlier weeks that never went out are reported,
then marked ``skipped`` once a later summary is delivered.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import select

from assistant.config import Config
from assistant.db import Database
from assistant.errors import DeliveryError
from assistant.models import SummaryRun
from assistant.sending import deliver
from assistant.summary import build_summary, iso_week
from assistant.summary_mail import render_summary, summary_message


@dataclass(frozen=True)
class WeeklyOutcome:
    """What a run did: ``sent``, ``already_sent`` or ``not_due``, and anything left over."""

    iso_week: str
    action: str
    due_at: datetime
    attempts: int = 0
    where: str = ""
    sent_at: datetime | None = None
    unsent_earlier: tuple[str, ...] = ()


def due_at(config: Config, now: datetime) -> datetime:
    """When this ISO week's summary is due: ``[summary] weekday`` at ``hour``, rep's time zone."""
    zone = ZoneInfo(config.rep.timezone)
    today = now.astimezone(zone).date()
    day = today - timedelta(days=today.weekday()) + timedelta(days=config.summary.weekday)
    return datetime.combine(day, time(config.summary.hour), zone)


def build_message(db: Database, config: Config, now: datetime) -> EmailMessage:
    """The summary as of ``now``, as a message; reads the ledger, writes nothing."""
    with db.session() as session:
        summary = build_summary(session, config, now)
    return summary_message(summary, config, render_summary(summary, config))


def run_weekly(db: Database, config: Config, now: datetime) -> WeeklyOutcome:
    """Send this week's summary unless it went out already or is not due yet.

    Raises ``DeliveryError`` (after recording it) when delivery failed.
    """
    week = iso_week(now.astimezone(ZoneInfo(config.rep.timezone)).date())
    due = due_at(config, now)
    with db.session() as session:
        earlier = tuple(
            f"{r.iso_week} ({r.last_error or 'never tried'})"
            for r in session.scalars(
                select(SummaryRun).where(SummaryRun.iso_week < week, SummaryRun.state.in_(("pending", "failed"))).order_by(SummaryRun.iso_week)
            )
        )
        run = session.scalar(select(SummaryRun).where(SummaryRun.iso_week == week))
        if run is not None and run.state == "sent":
            return WeeklyOutcome(week, "already_sent", due, run.attempts, sent_at=run.sent_at, unsent_earlier=earlier)
        if now < due:
            return WeeklyOutcome(week, "not_due", due, run.attempts if run else 0, unsent_earlier=earlier)
        if run is None:
            run = SummaryRun(iso_week=week, state="pending", attempts=0)
            session.add(run)
        run.attempts += 1
        run.built_at = now
        attempts = run.attempts
    message = build_message(db, config, now)
    try:
        where = deliver(message, config, now)
    except DeliveryError as exc:
        _record(db, week, "failed", str(exc), None)
        raise DeliveryError(f"summary {week} not delivered (attempt {attempts}; retried on the next run): {exc}") from None
    _record(db, week, "sent", None, now)
    return WeeklyOutcome(week, "sent", due, attempts, where, now, earlier)


def _record(db: Database, week: str, state: str, error: str | None, sent_at: datetime | None) -> None:
    with db.session() as session:
        run = session.scalar(select(SummaryRun).where(SummaryRun.iso_week == week))
        run.state, run.last_error, run.sent_at = state, error, sent_at
        if state == "sent":
            for old in session.scalars(select(SummaryRun).where(SummaryRun.iso_week < week, SummaryRun.state.in_(("pending", "failed")))):
                old.state = "skipped"
