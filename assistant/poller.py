"""One poll: read new mail from every configured mailbox, update the ledger, write drafts.

Each message is handled in its own database transaction (ledger changes, drafts
rendered into the outbox, folder checkpoint). Only after that commit are the
drafts appended to the IMAP Drafts folder, so a crash can leave a draft pending
(it is appended by the next run, after checking the server for its key) but can
never put a draft on the server that the database does not know about.
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from assistant.config import Config, Mailbox
from assistant.db import Database
from assistant.drafts import DraftWriter
from assistant.errors import DraftRefused, MailboxError, MessageFailed, MessageIgnored
from assistant.ledger import ORDER_EVENTS, Directory, Ledger
from assistant.mailbox import DRAFT_KEY_HEADER, MailboxSession, RawMessage
from assistant.models import Checkpoint, Draft, Message, Order
from assistant.planner import DraftPlan, Planner
from parsers.extract import extract, extraction_to_json
from parsers.message import parse_message
from parsers.types import ExtractSettings, Extraction, ParsedMessage

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """A fetched message on its way through the poll."""

    raw: RawMessage
    parsed: ParsedMessage

    @property
    def sort_key(self) -> tuple:
        when = self.parsed.sent_at or self.raw.internaldate
        return (when.timestamp() if when and when.tzinfo else 0.0, self.raw.folder, self.raw.uid)


@dataclass
class Outcome:
    """What became of one message: its status, why, and the drafts it caused."""

    folder: str
    uid: int
    message_id: str | None
    status: str
    reason: str
    order: str | None = None
    drafts: list[str] = field(default_factory=list)


@dataclass
class PollReport:
    outcomes: list[Outcome] = field(default_factory=list)
    drafts_appended: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def extract_settings(config: Config) -> ExtractSettings:
    return ExtractSettings(
        vendor_domains=config.vendors.domains,
        customer_domains=config.customers.domains,
        rep_addresses=(config.rep.email,),
        extra_ref_patterns=config.extraction.ref_patterns,
        default_timezone=config.rep.timezone,
    )


class Poller:
    """Runs one poll at time ``now``. With ``replay`` set, mail dated after ``now`` waits for a later run."""

    def __init__(self, config: Config, db: Database, now: datetime, replay: bool = False):
        self.config = config
        self.db = db
        self.now = now
        self.replay = replay
        self.settings = extract_settings(config)
        self.directory = Directory(config)
        self.report = PollReport()

    def run(self) -> PollReport:
        for box in self.config.mailboxes:
            try:
                self.poll_mailbox(box)
            except MailboxError as exc:
                log.error("%s", exc)
                self.report.errors.append(str(exc))
        return self.report

    def poll_mailbox(self, box: Mailbox) -> None:
        with MailboxSession(box, box.resolve_password()) as imap:
            drafts_folder = imap.special_folder("\\Drafts", box.drafts_folder)
            folders = list(box.folders)
            try:
                folders.append(imap.special_folder("\\Sent", box.sent_folder))
            except MailboxError as exc:
                log.warning("%s; the rep's own sent mail will not be read", exc)
            self.append_pending(imap, box, drafts_folder)
            incoming, pending_uids = self.fetch(imap, box, folders)
            done: dict[str, set[int]] = defaultdict(set)
            for item in sorted(incoming, key=lambda i: i.sort_key):
                folder = item.raw.folder
                if self.replay and item.parsed.sent_at and item.parsed.sent_at > self.now:
                    self.report.deferred += 1
                    continue
                done[folder].add(item.raw.uid)
                checkpoint = _contiguous(pending_uids[folder], done[folder])
                outcome, draft_ids = self.process(box, item, checkpoint)
                self.report.outcomes.append(outcome)
                self.append(imap, drafts_folder, draft_ids)
            self.scheduled(imap, box, drafts_folder)

    def fetch(self, imap: MailboxSession, box: Mailbox, folders: list[str]) -> tuple[list[Incoming], dict[str, list[int]]]:
        incoming: list[Incoming] = []
        uids: dict[str, list[int]] = {}
        for folder in folders:
            state = imap.folder_state(folder)
            after = self.checkpoint_for(box.name, folder, state.uidvalidity)
            fetched = list(imap.fetch_new(folder, after))
            uids[folder] = sorted(m.uid for m in fetched)
            incoming += [Incoming(m, self.parse(m)) for m in fetched]
        return incoming, uids

    def parse(self, raw: RawMessage) -> ParsedMessage:
        return parse_message(raw.raw, internaldate=raw.internaldate, default_tz=self.config.rep.timezone)

    def checkpoint_for(self, mailbox: str, folder: str, uidvalidity: int) -> int:
        """The last UID processed in ``folder``; 0 when new or when UIDVALIDITY changed."""
        with self.db.session() as session:
            row = session.scalar(select(Checkpoint).where(Checkpoint.mailbox == mailbox, Checkpoint.folder == folder))
            if row is None:
                return 0
            if row.uidvalidity != uidvalidity:
                log.warning(
                    "%s/%s: UIDVALIDITY changed from %s to %s; re-scanning, known messages are recognised by Message-ID and content",
                    mailbox, folder, row.uidvalidity, uidvalidity,
                )
                return 0
            return row.last_uid

    # One message, one transaction

    def process(self, box: Mailbox, item: Incoming, checkpoint: int) -> tuple[Outcome, list[int]]:
        raw, parsed = item.raw, item.parsed
        outcome = Outcome(raw.folder, raw.uid, parsed.message_id, "ok", "")
        draft_ids: list[int] = []
        with self.db.session() as session:
            if self._seen_at(session, raw):
                outcome.status, outcome.reason = "ignored", "already processed"
                self._advance(session, raw, checkpoint)
                return outcome, []
            record = self._record(session, raw, parsed)
            try:
                order, draft_ids = self._handle(session, box, raw, parsed, record)
                record.status, record.reason = "ok", record.reason or "applied"
                outcome.order = order.reference if order else None
            except MessageIgnored as signal:
                record.status, record.reason = "ignored", signal.reason
            except MessageFailed as signal:
                record.status, record.reason = "failed", signal.reason
                log.warning("%s/%s uid %s %s: failed: %s", box.name, raw.folder, raw.uid, parsed.message_id, signal.reason)
            if record.status == "ok" and record.order_id is None:
                record.status = "unmatched"
            outcome.status, outcome.reason = record.status, record.reason or ""
            self._advance(session, raw, checkpoint)
            outcome.drafts = [session.get(Draft, i).kind for i in draft_ids]
        return outcome, draft_ids

    def _seen_at(self, session: Session, raw: RawMessage) -> bool:
        return session.scalar(
            select(Message.id).where(
                Message.mailbox == raw.mailbox, Message.folder == raw.folder,
                Message.uidvalidity == raw.uidvalidity, Message.uid == raw.uid,
            )
        ) is not None

    def _record(self, session: Session, raw: RawMessage, parsed: ParsedMessage) -> Message:
        record = Message(
            mailbox=raw.mailbox,
            folder=raw.folder,
            uidvalidity=raw.uidvalidity,
            uid=raw.uid,
            message_id=parsed.message_id,
            sha256=hashlib.sha256(raw.raw).hexdigest(),
            sender=parsed.from_.email if parsed.from_ else None,
            recipients=" ".join(a.email for a in [*parsed.to, *parsed.cc]),
            subject=parsed.subject[:2000],
            body=parsed.new_text[:20000],
            sent_at=parsed.sent_at or raw.internaldate,
            in_reply_to=parsed.in_reply_to,
            references=" ".join(parsed.references),
            status="processing",
            processed_at=self.now,
        )
        session.add(record)
        session.flush()
        return record

    def _handle(self, session: Session, box: Mailbox, raw: RawMessage, parsed: ParsedMessage, record: Message):
        if raw.headers_only:
            raise MessageIgnored(f"larger than max_message_bytes ({raw.size} bytes): headers only, not read")
        if parsed.error:
            raise MessageFailed(parsed.error)
        duplicate = self._duplicate_of(session, record)
        if duplicate is not None:
            raise MessageIgnored(f"duplicate of {duplicate.folder} uid {duplicate.uid}")
        x = self._extract(parsed)
        record.role = self.directory.kind_of(parsed.from_)
        record.language = x.language
        record.extraction = extraction_to_json(x)
        counterpart = self.directory.counterpart(parsed)
        if counterpart.kind == "other":
            raise MessageIgnored("not from or to a known customer or vendor")
        ledger = Ledger(session, self.config)
        party = ledger.party(counterpart.kind, counterpart.domain)
        order, how = ledger.match(parsed, x, party)
        if order is None and x.order_refs:
            order, how = ledger.create_order(x, self.now), "new order from " + ", ".join(r.value for r in x.order_refs)
        planner = Planner(session, self.config)
        if order is None:
            record.reason = how if (x.event in ORDER_EVENTS) else f"not order-related ({x.event})"
            return None, self._drafts(session, box, planner, planner.after_message(None, record, x, counterpart, [], self.now))
        ledger.attach_refs(order, x)
        record.order_id = order.id
        record.reason = f"matched by {how}"
        events = ledger.apply(order, record, x, counterpart, self.now)
        plans = planner.after_message(order, record, x, counterpart, events, self.now)
        return order, self._drafts(session, box, planner, plans)

    def _extract(self, parsed: ParsedMessage) -> Extraction:
        try:
            return extract(parsed, self.settings)
        except Exception as exc:  # a bug in extraction must not stop the run
            log.exception("extraction failed for %s", parsed.message_id)
            raise MessageFailed(f"extraction error: {type(exc).__name__}: {exc}") from None

    def _duplicate_of(self, session: Session, record: Message) -> Message | None:
        same_content = Message.sha256 == record.sha256
        clause = same_content
        if record.message_id:
            same_mail = (Message.message_id == record.message_id) & (Message.sender == record.sender) & (Message.subject == record.subject)
            clause = or_(same_content, same_mail)
        return session.scalar(select(Message).where(clause, Message.id != record.id, Message.status != "failed").limit(1))

    def _drafts(self, session: Session, box: Mailbox, planner: Planner, plans: list[DraftPlan]) -> list[int]:
        writer = DraftWriter(session, self.config, planner.next_update_day)
        made = []
        for plan in plans:
            if session.scalar(select(Draft.id).where(Draft.key == plan.key)) is not None:
                continue
            order = session.get(Order, plan.order_id) if plan.order_id else None
            thread = session.get(Message, plan.reply_to_id) if plan.reply_to_id else None
            if plan.kind == "status_reply" and thread is not None and self._rep_replied(session, thread):
                continue
            try:
                made.append(writer.build(plan, order, thread, self.now, box.name).id)
            except DraftRefused as exc:
                log.error("draft not stored: %s", exc)
                self.report.errors.append(str(exc))
        return made

    def _rep_replied(self, session: Session, thread: Message) -> bool:
        return session.scalar(
            select(Message.id).where(Message.in_reply_to == thread.message_id, Message.role == "rep").limit(1)
        ) is not None

    def _advance(self, session: Session, raw: RawMessage, last_uid: int) -> None:
        row = session.scalar(select(Checkpoint).where(Checkpoint.mailbox == raw.mailbox, Checkpoint.folder == raw.folder))
        if row is None:
            row = Checkpoint(mailbox=raw.mailbox, folder=raw.folder, uidvalidity=raw.uidvalidity, last_uid=0, updated_at=self.now)
            session.add(row)
        if row.uidvalidity != raw.uidvalidity:
            row.uidvalidity, row.last_uid = raw.uidvalidity, 0
        row.last_uid = max(row.last_uid, last_uid)
        row.updated_at = self.now

    # Time-driven drafts and the outbox

    def scheduled(self, imap: MailboxSession, box: Mailbox, drafts_folder: str) -> None:
        with self.db.session() as session:
            planner = Planner(session, self.config)
            draft_ids = self._drafts(session, box, planner, planner.on_schedule(self.now))
        self.append(imap, drafts_folder, draft_ids)

    def append_pending(self, imap: MailboxSession, box: Mailbox, drafts_folder: str) -> None:
        """Append drafts a previous run committed but did not get onto the server."""
        with self.db.session() as session:
            ids = list(session.scalars(select(Draft.id).where(Draft.mailbox == box.name, Draft.state == "pending")))
        self.append(imap, drafts_folder, ids)

    def append(self, imap: MailboxSession, drafts_folder: str, draft_ids: list[int]) -> None:
        for draft_id in draft_ids:
            with self.db.session() as session:
                draft = session.get(Draft, draft_id)
                if draft.state != "pending":
                    continue
                if not imap.find_by_header(drafts_folder, DRAFT_KEY_HEADER, draft.key):
                    imap.append_draft(drafts_folder, draft.mime, self.now)
                    self.report.drafts_appended += 1
                draft.state = "in_drafts"
                draft.appended_at = self.now


def _contiguous(uids: list[int], done: set[int]) -> int:
    """The highest UID such that it and every fetched UID below it are done."""
    last = 0
    for uid in uids:
        if uid not in done:
            break
        last = uid
    return last
