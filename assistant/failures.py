"""The messages read, and retrying the ones that failed (only when the rep asks)."""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from assistant.errors import NotFound
from assistant.models import Message


def message_rows(session: Session, status: str | None = None) -> list[dict]:
    """One row per message read, oldest first; only ``status`` when given."""
    query = select(Message).order_by(Message.sent_at, Message.id)
    if status:
        query = query.where(Message.status == status)
    return [
        {
            "id": m.id,
            "mailbox": m.mailbox,
            "folder": m.folder,
            "uid": m.uid,
            "message_id": m.message_id,
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "sender": m.sender,
            "subject": (m.subject or "")[:80],
            "status": m.status,
            "attempts": m.attempts,
            "reason": m.reason,
        }
        for m in session.scalars(query)
    ]


def queue_retry(session: Session, names: list[str] | None) -> int:
    """Mark failed messages (all when ``names`` is None; else by row id or Message-ID) for the next poll."""
    failed = Message.status == "failed"
    if names is None:
        return session.execute(update(Message).where(failed).values(status="retry")).rowcount
    queued = 0
    for name in names:
        match = Message.message_id.in_([name, f"<{name.strip('<>')}>"])
        if name.isdigit():
            match = or_(match, Message.id == int(name))
        rows = list(session.scalars(select(Message).where(match, failed)))
        if not rows:
            raise NotFound(f"no failed message {name!r}; see `assistant messages --failed`")
        for row in rows:
            row.status = "retry"
        queued += len(rows)
    return queued
