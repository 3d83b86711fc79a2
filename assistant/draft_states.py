"""What became of the drafts on the server: still in Drafts, sent by the rep, or deleted."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.mailbox import DRAFT_KEY_HEADER, MailboxSession
from assistant.models import Draft, Message


def refresh_draft_states(session: Session, imap: MailboxSession, mailbox: str, drafts_folder: str, sent_folder: str | None) -> int:
    """Mark drafts that left the Drafts folder as ``sent`` (found in Sent) or ``deleted``; return how many changed."""
    waiting = list(session.scalars(select(Draft).where(Draft.mailbox == mailbox, Draft.state == "in_drafts")))
    if not waiting:
        return 0
    in_drafts = imap.header_values(drafts_folder, DRAFT_KEY_HEADER)
    gone = [d for d in waiting if d.key not in in_drafts]
    if not gone:
        return 0
    in_sent = imap.header_values(sent_folder, DRAFT_KEY_HEADER) if sent_folder else set()
    for draft in gone:
        draft.state = "sent" if draft.key in in_sent or _replied(session, draft) else "deleted"
    return len(gone)


def _replied(session: Session, draft: Draft) -> bool:
    """The rep sent mail in the draft's thread, to its recipient, after the draft was made,
    keeping the draft's opening sentence (mail clients may drop the draft's own headers)."""
    if not draft.in_reply_to:
        return False
    opening = _opening(draft.body)
    bodies = session.scalars(
        select(Message.body).where(
            Message.role == "rep",
            Message.in_reply_to == draft.in_reply_to,
            Message.recipients.like(f"%{draft.to_addr}%"),
            Message.sent_at >= draft.created_at,
        )
    )
    return bool(opening) and any(opening in " ".join((body or "").split()) for body in bodies)


def _opening(body: str) -> str:
    """The first sentence after the greeting lines: what a rep rarely rewrites."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    first = paragraphs[1] if len(paragraphs) > 1 else (paragraphs[0] if paragraphs else "")
    return " ".join(first.splitlines()[0].split()) if first else ""
