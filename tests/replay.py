"""Replay a story thread day by day: load it into Dovecot, poll as cron would, collect the drafts."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from assistant.config import load_config
from assistant.db import open_database
from assistant.models import Draft
from assistant.poller import Poller

SEOUL = ZoneInfo("Asia/Seoul")


def load_story(account, folder: Path) -> list[datetime]:
    """Deliver every ``NN_<folder>_*.eml``; return their Date headers."""
    dates = []
    for path in sorted(folder.glob("*.eml")):
        raw = path.read_bytes()
        account.deliver(raw, path.name.split("_")[1])
        dates.append(parsedate_to_datetime(BytesHeaderParser().parsebytes(raw)["Date"]))
    return dates


def poll_times(dates: list[datetime], morning: time = time(9, 30), days_after: int = 2) -> list[datetime]:
    """Five minutes after each message, and every morning: what a */5 cron would notice."""
    times = {d + timedelta(minutes=5) for d in dates}
    day = min(dates).astimezone(SEOUL).date()
    last = max(dates).astimezone(SEOUL).date() + timedelta(days=days_after)
    while day <= last:
        times.add(datetime.combine(day, morning, SEOUL))
        day += timedelta(days=1)
    return sorted(times)


@dataclass(frozen=True)
class Made:
    """A draft as the test looks at it."""

    day: date
    kind: str
    to: str
    order: str
    language: str
    subject: str
    body: str
    in_reply_to: str | None


def replay(account, folder: Path) -> list[Made]:
    """Poll the account at each replay time; return every draft made, in order."""
    os.environ["ASSISTANT_IMAP_PASSWORD"] = account.password
    config = load_config(account.config)
    db = open_database(config.database_url)
    try:
        for now in poll_times(load_story(account, folder)):
            report = Poller(config, db, now, replay=True).run()
            assert not report.errors, report.errors
        with db.session() as session:
            return [
                Made(d.day, d.kind, d.to_addr, d.order.reference if d.order else "", d.language, d.subject, d.body, d.in_reply_to)
                for d in session.scalars(select(Draft).order_by(Draft.id))
            ]
    finally:
        db.dispose()
