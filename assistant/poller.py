"""One poll: read new mail from every configured mailbox, update the ledger, write drafts.

Each message is handled in its own database transaction (ledger changes, drafts
rendered into the outbox, folder checkpoint). Only after that commit are the
drafts appended to the IMAP Drafts folder, so a crash can leave a draft pending
(it is appended by the next run, after checking the server for its key) but can
never put a draft on the server that the database does not know about.

A dropped or stalled connection (``ConnectionLost``) makes the poll reconnect
with backoff and start the mailbox over from its committed checkpoint, within
the mailbox's ``retries`` and ``deadline``. See docs/reliability.md.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from assistant import faults
from assistant.config import Config, Mailbox
from assistant.db import Database
from assistant.draft_states import refresh_draft_states
from assistant.drafts import DraftWriter
from assistant.errors import ConnectionLost, DatabaseError, DraftRefused, MailboxError, MessageFailed, MessageIgnored
from assistant.ledger import ORDER_EVENTS, Directory, Ledger
from assistant.mailbox import DRAFT_KEY_HEADER, FolderState, MailboxSession, RawMessage
from assistant.models import Checkpoint, Draft, Message, Order
from assistant.planner import DraftPlan, Planner
from parsers.extract import extract, extraction_to_json
from parsers.message import parse_message
from parsers.types import ExtractSettings, Extraction, ParsedMessage

log = logging.getLogger(__name__)

RETRY = "retry"
MAX_BACKOFF = 30.0


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
    reconnects: int = 0
    left_for_later: int = 0
    errors: list[str] = field(default_factory=list)

    exit_code: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass
class Deadline:
    """The time by which a mailbox's poll gives up (monotonic clock)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def expired(self) -> bool:
        return self.remaining() <= 0


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
        self._deferred: dict[str, int] = {}

    def run(self) -> PollReport:
        for box in self.config.mailboxes:
            try:
                self.poll_with_retries(box)
            except MailboxError as exc:
                log.error("%s", exc)
                self.report.errors.append(str(exc))
                self.report.exit_code = self.report.exit_code or exc.exit_code
        self.report.deferred = sum(self._deferred.values())
        return self.report

    def poll_with_retries(self, box: Mailbox) -> None:
        """Poll ``box``; on a lost connection reconnect with exponential backoff, within ``retries`` and ``deadline``."""
        deadline = Deadline(box.deadline)

        def give_up(state: RetryCallState) -> bool:
            return state.attempt_number >= box.retries or deadline.expired()

        def backoff(state: RetryCallState) -> float:
            return max(0.0, min(0.5 * 2 ** (state.attempt_number - 1), MAX_BACKOFF, deadline.remaining()))

        def note(state: RetryCallState) -> None:
            self.report.reconnects += 1
            log.warning("%s; reconnecting in %.1fs (attempt %d of %d)", state.outcome.exception(), state.upcoming_sleep, state.attempt_number + 1, box.retries)

        retrying = Retrying(retry=retry_if_exception_type(ConnectionLost), stop=give_up, wait=backoff, before_sleep=note, reraise=True)
        retrying(self.poll_mailbox, box, deadline)

    def poll_mailbox(self, box: Mailbox, deadline: Deadline) -> None:
        with MailboxSession(box, box.resolve_password()) as imap:
            drafts_folder = imap.special_folder("\\Drafts", box.drafts_folder)
            folders = list(box.folders)
            sent_folder = None
            try:
                sent_folder = imap.special_folder("\\Sent", box.sent_folder)
                folders.append(sent_folder)
            except MailboxError as exc:
                if isinstance(exc, ConnectionLost):
                    raise
                log.warning("%s; the rep's own sent mail will not be read", exc)
            self.note_drafts_validity(imap, box, drafts_folder)
            self.append_pending(imap, box, drafts_folder)
            incoming, pending_uids = self.fetch(imap, box, folders)
            done: dict[str, set[int]] = defaultdict(set)
            deferred = 0
            items = sorted(incoming, key=lambda i: i.sort_key)
            for position, item in enumerate(items):
                if deadline.expired():
                    self.report.left_for_later = len(items) - position
                    log.warning("%s: deadline of %ss reached; %d messages wait for the next run", box.name, box.deadline, len(items) - position)
                    return
                folder = item.raw.folder
                if self.replay and item.parsed.sent_at and item.parsed.sent_at > self.now:
                    deferred += 1
                    continue
                done[folder].add(item.raw.uid)
                checkpoint = _contiguous(pending_uids[folder], done[folder])
                outcome, draft_ids = self.process(box, item, checkpoint)
                if outcome is not None:
                    self.report.outcomes.append(outcome)
                self.append(imap, drafts_folder, draft_ids)
            self._deferred[box.name] = deferred
            self.scheduled(imap, box, drafts_folder)
            with self.db.session() as session:
                refresh_draft_states(session, imap, box.name, drafts_folder, sent_folder)

    def fetch(self, imap: MailboxSession, box: Mailbox, folders: list[str]) -> tuple[list[Incoming], dict[str, list[int]]]:
        """New mail above each folder's checkpoint, plus the messages queued for a retry."""
        incoming: list[Incoming] = []
        uids: dict[str, list[int]] = {}
        for folder in folders:
            state = imap.select(folder)
            after = self.checkpoint_for(box.name, folder, state.uidvalidity)
            fetched = list(imap.fetch_new(state, after))
            uids[folder] = sorted(m.uid for m in fetched)
            queued = [u for u in self.queued_retries(box.name, state) if u not in set(uids[folder])]
            fetched += imap.fetch_uids(state, queued)
            incoming += [Incoming(m, self.parse(m)) for m in fetched]
            faults.crash_point("fetched")
        return incoming, uids

    def parse(self, raw: RawMessage) -> ParsedMessage:
        """Parse a fetched message. A replay trusts the Date header: the server's arrival
        times of a restored or replayed mailbox say nothing about when mail was sent."""
        arrival = None if self.replay else raw.internaldate
        return parse_message(raw.raw, internaldate=arrival, default_tz=self.config.rep.timezone)

    def checkpoint_for(self, mailbox: str, folder: str, uidvalidity: int) -> int:
        """The last UID processed in ``folder``; 0 when new or when UIDVALIDITY changed."""
        with self.db.session() as session:
            row = session.scalar(select(Checkpoint).where(Checkpoint.mailbox == mailbox, Checkpoint.folder == folder))
            if row is None:
                return 0
            if row.uidvalidity != uidvalidity:
                log.warning(
                    "%s/%s: UIDVALIDITY changed from %s to %s (folder recreated or server migrated); "
                    "re-scanning, known messages are recognised by Message-ID and content",
                    mailbox, folder, row.uidvalidity, uidvalidity,
                )
                return 0
            return row.last_uid

    def queued_retries(self, mailbox: str, state: FolderState) -> list[int]:
        """UIDs in this folder of messages that ``assistant retry`` queued."""
        with self.db.session() as session:
            return sorted(session.scalars(select(Message.uid).where(
                Message.mailbox == mailbox, Message.folder == state.folder,
                Message.uidvalidity == state.uidvalidity, Message.status == RETRY,
            )))

    def note_drafts_validity(self, imap: MailboxSession, box: Mailbox, drafts_folder: str) -> None:
        """Remember the Drafts folder's UIDVALIDITY and log when it changed.

        Nothing else depends on it: drafts are found by their key header, never by UID.
        """
        state = imap.folder_state(drafts_folder)
        with self.db.session() as session:
            row = session.scalar(select(Checkpoint).where(Checkpoint.mailbox == box.name, Checkpoint.folder == drafts_folder))
            if row is None:
                session.add(Checkpoint(mailbox=box.name, folder=drafts_folder, uidvalidity=state.uidvalidity, last_uid=0, updated_at=self.now))
            elif row.uidvalidity != state.uidvalidity:
                log.warning(
                    "%s/%s: UIDVALIDITY changed from %s to %s (folder recreated or server migrated); "
                    "drafts are matched by their %s header, none is appended twice",
                    box.name, drafts_folder, row.uidvalidity, state.uidvalidity, DRAFT_KEY_HEADER,
                )
                row.uidvalidity, row.updated_at = state.uidvalidity, self.now

    # One message, one transaction

    def process(self, box: Mailbox, item: Incoming, checkpoint: int) -> tuple[Outcome | None, list[int]]:
        """Handle one message in one transaction; ``None`` when this run already reported it."""
        raw, parsed = item.raw, item.parsed
        sha = hashlib.sha256(raw.raw).hexdigest()
        try:
            with self.db.session() as session:
                known = self._known(session, raw, parsed, sha)
                if known is not None and known.status != RETRY:
                    self._advance(session, raw, checkpoint)
                    return self._already_done(raw, parsed), []
                try:
                    record = self._record(session, raw, parsed, sha, known)
                    outcome, draft_ids = self._apply(session, box, raw, parsed, record)
                    self._advance(session, raw, checkpoint)
                    session.flush()
                except (IntegrityError, DataError) as exc:
                    raise _Broken(f"the database refused its changes: {str(exc.orig).splitlines()[0]}") from None
        except (DatabaseError, MailboxError):
            raise
        except Exception as exc:  # a bug in the ledger, planner or drafts must not stop the run
            if not isinstance(exc, _Broken):
                log.exception("%s/%s uid %s %s: failed", box.name, raw.folder, raw.uid, parsed.message_id)
            outcome, draft_ids = self._record_failure(raw, parsed, sha, checkpoint, f"{type(exc).__name__}: {exc}"[:2000]), []
        faults.crash_point("committed")
        log.info("%s/%s uid %s %s: %s %s", box.name, raw.folder, raw.uid, parsed.message_id, outcome.status, outcome.reason)
        return outcome, draft_ids

    def _already_done(self, raw: RawMessage, parsed: ParsedMessage) -> Outcome | None:
        """Reported once as ignored; not again when an earlier attempt of this run handled it."""
        if any(o.folder == raw.folder and o.uid == raw.uid for o in self.report.outcomes):
            return None
        return Outcome(raw.folder, raw.uid, parsed.message_id, "ignored", "already processed")

    def _apply(self, session: Session, box: Mailbox, raw: RawMessage, parsed: ParsedMessage, record: Message) -> tuple[Outcome, list[int]]:
        outcome = Outcome(raw.folder, raw.uid, parsed.message_id, "ok", "")
        draft_ids: list[int] = []
        try:
            order, draft_ids = self._handle(session, box, raw, parsed, record)
            record.status, record.reason = "ok", record.reason or "applied"
            outcome.order = order.reference if order else None
        except _Skipped as signal:
            record.status, record.reason = "skipped", signal.reason
        except MessageIgnored as signal:
            record.status, record.reason = "ignored", signal.reason
        except MessageFailed as signal:
            record.status, record.reason = "failed", signal.reason
            log.warning("%s/%s uid %s %s: failed: %s", box.name, raw.folder, raw.uid, parsed.message_id, signal.reason)
        if record.status == "ok" and record.order_id is None:
            record.status = "unmatched"
        outcome.status, outcome.reason = record.status, record.reason or ""
        outcome.drafts = [session.get(Draft, i).kind for i in draft_ids]
        return outcome, draft_ids

    def _record_failure(self, raw: RawMessage, parsed: ParsedMessage, sha: str, checkpoint: int, reason: str) -> Outcome:
        """Record the message as failed in a fresh transaction (its partial changes were rolled back)."""
        with self.db.session() as session:
            record = self._record(session, raw, parsed, sha, self._known(session, raw, parsed, sha))
            record.status, record.reason = "failed", reason
            self._advance(session, raw, checkpoint)
        return Outcome(raw.folder, raw.uid, parsed.message_id, "failed", reason)

    def _known(self, session: Session, raw: RawMessage, parsed: ParsedMessage, sha: str) -> Message | None:
        """The record of this message: at its UID, or under an older UIDVALIDITY (then moved to the new UID)."""
        here = session.scalar(select(Message).where(
            Message.mailbox == raw.mailbox, Message.folder == raw.folder,
            Message.uidvalidity == raw.uidvalidity, Message.uid == raw.uid,
        ))
        if here is not None:
            return here
        moved = session.scalar(
            select(Message).where(
                Message.mailbox == raw.mailbox, Message.folder == raw.folder, Message.uidvalidity != raw.uidvalidity,
                self._same_message(sha, parsed),
            ).order_by(Message.id).limit(1)
        )
        if moved is not None:
            log.info(
                "%s/%s: %s known from UIDVALIDITY %s uid %s, now uid %s; not processed again",
                raw.mailbox, raw.folder, parsed.message_id or f"sha256 {sha[:12]}", moved.uidvalidity, moved.uid, raw.uid,
            )
            moved.uidvalidity, moved.uid = raw.uidvalidity, raw.uid
        return moved

    @staticmethod
    def _same_message(sha: str, parsed: ParsedMessage):
        """Same bytes, or the same Message-ID with the same sender, subject and text (re-delivered copies)."""
        same_content = Message.sha256 == sha
        if not parsed.message_id:
            return same_content
        return or_(same_content, and_(
            Message.message_id == parsed.message_id,
            Message.sender == (parsed.from_.email if parsed.from_ else None),
            Message.subject == parsed.subject[:2000],
            Message.body == parsed.new_text[:20000],
        ))

    def _record(self, session: Session, raw: RawMessage, parsed: ParsedMessage, sha: str, known: Message | None) -> Message:
        record = known or Message(mailbox=raw.mailbox, folder=raw.folder, uidvalidity=raw.uidvalidity, uid=raw.uid, attempts=0)
        record.message_id = parsed.message_id
        record.sha256 = sha
        record.sender = parsed.from_.email if parsed.from_ else None
        record.recipients = " ".join(a.email for a in [*parsed.to, *parsed.cc])
        record.subject = parsed.subject[:2000]
        record.body = parsed.new_text[:20000]
        record.sent_at = parsed.sent_at or raw.internaldate
        record.in_reply_to = parsed.in_reply_to
        record.references = " ".join(parsed.references)
        record.status, record.reason = "processing", None
        record.attempts = (record.attempts or 0) + 1
        record.processed_at = self.now
        if known is None:
            session.add(record)
        session.flush()
        return record

    def _handle(self, session: Session, box: Mailbox, raw: RawMessage, parsed: ParsedMessage, record: Message):
        if raw.headers_only:
            raise _Skipped(f"larger than max_message_bytes ({raw.size} bytes): headers only, not read")
        if parsed.error:
            raise MessageFailed(parsed.error)
        duplicate = self._duplicate_of(session, record, parsed)
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

    def _duplicate_of(self, session: Session, record: Message, parsed: ParsedMessage) -> Message | None:
        return session.scalar(
            select(Message).where(
                self._same_message(record.sha256, parsed), Message.id != record.id,
                Message.status.not_in(("failed", RETRY, "processing")),
            ).order_by(Message.id).limit(1)
        )

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
        if draft_ids:
            faults.crash_point("committed")
        self.append(imap, drafts_folder, draft_ids)

    def append_pending(self, imap: MailboxSession, box: Mailbox, drafts_folder: str) -> None:
        """Append drafts a previous run committed but did not get onto the server."""
        with self.db.session() as session:
            ids = list(session.scalars(select(Draft.id).where(Draft.mailbox == box.name, Draft.state == "pending").order_by(Draft.id)))
        self.append(imap, drafts_folder, ids)

    def append(self, imap: MailboxSession, drafts_folder: str, draft_ids: list[int]) -> None:
        """Put each pending draft into Drafts once: search for its key first, never append blindly.

        An APPEND whose answer was lost leaves the draft pending; the search on the
        next attempt finds it on the server and only marks it.
        """
        for draft_id in draft_ids:
            with self.db.session() as session:
                draft = session.get(Draft, draft_id)
                if draft.state != "pending":
                    continue
                key, mime = draft.key, draft.mime
            if imap.find_by_header(drafts_folder, DRAFT_KEY_HEADER, key):
                log.info("draft %s is already in %s; not appended again", key, drafts_folder)
            else:
                imap.append_draft(drafts_folder, mime, self.now)
                self.report.drafts_appended += 1
                faults.crash_point("appended")
            with self.db.session() as session:
                draft = session.get(Draft, draft_id)
                draft.state, draft.appended_at = "in_drafts", self.now
            faults.crash_point("marked")


class _Skipped(MessageIgnored):
    """Signal: the message was too large to read; it is recorded as skipped."""


class _Broken(Exception):
    """The database refused one message's changes (a constraint): the message fails, the run goes on."""


def _contiguous(uids: list[int], done: set[int]) -> int:
    """The highest UID such that it and every fetched UID below it are done."""
    last = 0
    for uid in uids:
        if uid not in done:
            break
        last = uid
    return last
