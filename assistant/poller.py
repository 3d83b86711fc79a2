"""One poll: read new mail from every configured mailbox, update the ledger, write drafts.

Each message is handled in its own database transaction (ledger changes, drafts
rendered into the outbox, folder checkpoint). Only after that commit are the
drafts appended to the IMAP Drafts folder, so a crash can leave a draft pending
(it is appended by the next run, after checking the server for its key) but can
never put a draft on the server that the database does not know about.

Mail is read in bounded windows: at most ``WINDOW`` messages of a folder are
fetched, parsed and extracted at a time (extraction batched with ``nlp.pipe``, and
on a long backlog in ``EXTRACT_PROCESSES`` worker processes while this one writes
the ledger); the windows of INBOX and Sent are merged by date. Memory does not grow
with the backlog. A folder whose STATUS UIDNEXT shows nothing above its checkpoint
is not even selected, and the heavy modules (spaCy, mail-parser, Jinja2) are
imported only when there is mail or a draft to write.

Several mailboxes are polled at once (``MAILBOX_WORKERS`` threads, each with its own
connection); one that fails is reported and does not hold up the others. On
PostgreSQL each mailbox is polled by one process at a time (an advisory lock per
account), and every ledger transaction holds a transaction-level advisory lock, so
two processes that both receive the same mail apply it once.

A dropped or stalled connection (``ConnectionLost``) makes the poll reconnect
with backoff and start the mailbox over from its committed checkpoint, within
the mailbox's ``retries`` and ``deadline``. See docs/reliability.md and
docs/benchmarks.md.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sqlalchemy import and_, bindparam, case, exists, func, or_, select, text, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from assistant import faults
from assistant.config import Config, Mailbox
from assistant.db import Database
from assistant.errors import AssistantError, ConnectionLost, DatabaseError, DraftRefused, MailboxError, MessageFailed, MessageIgnored
from assistant.mailbox import DRAFT_KEY_HEADER, FolderState, MailboxSession, RawMessage
from assistant.models import Checkpoint, Draft, Message, Order, UTCDateTime

if TYPE_CHECKING:
    from assistant.planner import DraftPlan, Planner
    from parsers.types import ExtractSettings, Extraction, ParsedMessage

log = logging.getLogger(__name__)

RETRY = "retry"
MAX_BACKOFF = 30.0
WINDOW = 400  # messages of one folder fetched, parsed and extracted at a time
FIRST_WINDOW = 100  # a folder's first window is smaller, so that the ledger starts early
POOL_THRESHOLD = 1000  # a backlog this long is parsed and extracted in worker processes
EXTRACT_PROCESSES = 1  # one worker process: the ledger in this process is the slower half
MAILBOX_WORKERS = 4  # mailboxes polled at once
DRAFT_BATCH = 50  # on a backlog, drafts are appended this many at a time (one MULTIAPPEND)
PROGRESS_THRESHOLD = 200  # a backlog longer than this shows a progress bar (terminal only)
LEDGER_LOCK = "napgi-ledger"

# The statements run for every message, built once (building and keying a statement
# costs more than SQLite takes to run it); plain table statements where no ORM object is wanted.
_messages = Message.__table__.c
_HANDLED = _messages.status.not_in(("failed", RETRY, "processing"))
_SAME_BYTES = _messages.sha256 == bindparam("sha")
_SAME_COPY = and_(  # a re-delivered copy: same Message-ID, sender, subject and text
    _messages.message_id == bindparam("message_id"),
    _messages.sender.is_not_distinct_from(bindparam("sender")),
    _messages.subject == bindparam("subject"),
    _messages.body == bindparam("body"),
)
_EARLIER_COPY = {
    with_id: select(_messages.folder, _messages.uid)
    .where(or_(_SAME_BYTES, _SAME_COPY) if with_id else _SAME_BYTES, _messages.id != bindparam("own"), _HANDLED)
    .order_by(_messages.id)
    .limit(1)
    for with_id in (False, True)
}
_RECORD_AT_UID = select(Message).where(
    Message.mailbox == bindparam("mailbox"), Message.folder == bindparam("folder"),
    Message.uidvalidity == bindparam("uidvalidity"), Message.uid == bindparam("uid"),
)
_DRAFT_WITH_KEY = select(Draft.__table__.c.id).where(Draft.__table__.c.key == bindparam("key"))
_REP_REPLY_TO = select(_messages.id).where(_messages.in_reply_to == bindparam("message_id"), _messages.role == "rep").limit(1)
_checkpoints = Checkpoint.__table__.c
_ADVANCE = (
    update(Checkpoint.__table__)
    .where(_checkpoints.mailbox == bindparam("b_mailbox"), _checkpoints.folder == bindparam("b_folder"))
    .values(
        last_uid=case(
            (_checkpoints.uidvalidity != bindparam("b_uidvalidity"), bindparam("b_uid")),
            (_checkpoints.last_uid > bindparam("b_uid"), _checkpoints.last_uid),
            else_=bindparam("b_uid"),
        ),
        uidvalidity=bindparam("b_uidvalidity"),
        updated_at=bindparam("b_now", type_=UTCDateTime),
    )
)

# Imported on first use, so that a poll with nothing new never loads spaCy, mail-parser
# or Jinja2.
_LAZY = {
    "ExtractSettings": ("parsers.types", "ExtractSettings"),
    "Ledger": ("assistant.ledger", "Ledger"),
    "KnownRows": ("assistant.ledger", "KnownRows"),
    "Directory": ("assistant.ledger", "Directory"),
    "ORDER_EVENTS": ("assistant.ledger", "ORDER_EVENTS"),
    "Planner": ("assistant.planner", "Planner"),
    "DraftWriter": ("assistant.drafts", "DraftWriter"),
    "refresh_draft_states": ("assistant.draft_states", "refresh_draft_states"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _lazy(name: str) -> Any:
    return globals()[name] if name in globals() else __getattr__(name)


@dataclass
class Incoming:
    """A fetched message on its way through the poll: parsed, and extracted unless unreadable."""

    raw: RawMessage
    parsed: ParsedMessage
    extraction: Extraction | None = None
    extraction_json: dict | None = None  # the extraction as stored with the message record
    unseen: bool = False  # no record of it in the ledger: not at this UID, not under an older UIDVALIDITY

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
    past_reply_window: bool = False  # applied, but too old to call for a draft


@dataclass
class PollReport:
    outcomes: list[Outcome] = field(default_factory=list)
    drafts_appended: int = 0
    deferred: int = 0
    reconnects: int = 0
    left_for_later: int = 0
    errors: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # mailboxes another process was polling

    exit_code: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def past_reply_window(self) -> int:
        return sum(1 for o in self.outcomes if o.past_reply_window)


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
    return _lazy("ExtractSettings")(
        vendor_domains=config.vendors.domains,
        customer_domains=config.customers.domains,
        rep_addresses=(config.rep.email,),
        extra_ref_patterns=config.extraction.ref_patterns,
        default_timezone=config.rep.timezone,
    )


@dataclass
class _Box:
    """One mailbox's poll: the mailbox and the config as that mailbox's rep sees it."""

    box: Mailbox
    config: Config
    _settings: Any = None
    _directory: Any = None
    _known_rows: Any = None

    @property
    def name(self) -> str:
        return self.box.name

    @property
    def settings(self) -> ExtractSettings:
        if self._settings is None:
            self._settings = extract_settings(self.config)
        return self._settings

    @property
    def directory(self):
        if self._directory is None:
            self._directory = _lazy("Directory")(self.config)
        return self._directory

    @property
    def known_rows(self):
        """Parties and contacts read during this poll (see ``ledger.KnownRows``)."""
        if self._known_rows is None:
            self._known_rows = _lazy("KnownRows")()
        return self._known_rows


@dataclass
class _Folder:
    """A folder with new mail: the UIDs to read, a window of fetched messages, and how far it is done."""

    state: FolderState
    uids: list[int]
    queued: list[int]
    next_fetch: int = 0
    done: set[int] = field(default_factory=set)
    contiguous_index: int = 0  # uids[:contiguous_index] are all done
    buffer: deque = field(default_factory=deque)
    pending: tuple[list[RawMessage], Future | tuple] | None = None  # a window being parsed and extracted
    queued_window: set[int] = field(default_factory=set)
    older_records: bool | None = None  # the ledger has messages of this folder under another UIDVALIDITY

    @property
    def name(self) -> str:
        return self.state.folder

    def more_to_fetch(self) -> bool:
        return bool(self.queued) or self.next_fetch < len(self.uids)

    def mark_done(self, uid: int) -> int:
        """Note ``uid`` as done; return the highest UID such that it and every UID below it are done."""
        self.done.add(uid)
        while self.contiguous_index < len(self.uids) and self.uids[self.contiguous_index] in self.done:
            self.done.discard(self.uids[self.contiguous_index])
            self.contiguous_index += 1
        return self.checkpoint()

    def checkpoint(self) -> int:
        return self.uids[self.contiguous_index - 1] if self.contiguous_index else 0


class Poller:
    """Runs one poll at time ``now``. With ``replay`` set, mail dated after ``now`` waits for a later run.
    ``progress`` allows a progress bar on stderr (shown only on a terminal, for a long backlog)."""

    def __init__(self, config: Config, db: Database, now: datetime, replay: bool = False, progress: bool = True):
        self.config = config
        self.db = db
        self.now = now
        self.replay = replay
        self.progress = progress
        self.report = PollReport()
        self._deferred: dict[str, int] = {}
        self._seen: set[tuple[str, str, int]] = set()
        self._report_lock = threading.Lock()
        self._ledger_lock = threading.Lock()
        self._postgres = db.engine.dialect.name == "postgresql"
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def run(self) -> PollReport:
        boxes = list(self.config.mailboxes)
        try:
            if len(boxes) == 1:
                self._poll_one(boxes[0])
            else:
                with ThreadPoolExecutor(max_workers=min(MAILBOX_WORKERS, len(boxes)), thread_name_prefix="mailbox") as workers:
                    list(workers.map(self._poll_one, boxes))
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
        self.report.deferred = sum(self._deferred.values())
        return self.report

    def _poll_one(self, box: Mailbox) -> None:
        """Poll one mailbox under its lock; its failure is recorded, never raised."""
        from assistant.locks import mailbox_lock

        lock = None
        try:
            lock = mailbox_lock(self.config, box)
            if lock is not None and not lock.acquire():
                log.warning("%s: another process is polling this mailbox (%s); skipped", box.name, lock.description)
                with self._report_lock:
                    self.report.busy.append(box.name)
                lock = None
                return
            self.poll_with_retries(box)
        except AssistantError as exc:  # MailboxError, DatabaseError, ConfigError (a password), OAuthError
            self._failed_mailbox(box, exc, exc.exit_code)
        except Exception as exc:  # a bug must not stop the other mailboxes
            log.exception("%s: poll failed", box.name)
            self._failed_mailbox(box, f"{box.name}: {type(exc).__name__}: {exc}", 1)
        finally:
            if lock is not None:
                lock.release()

    def _failed_mailbox(self, box: Mailbox, exc: Any, code: int) -> None:
        log.error("%s", exc)
        with self._report_lock:
            self.report.errors.append(str(exc))
            self.report.exit_code = self.report.exit_code or code

    def poll_with_retries(self, box: Mailbox) -> None:
        """Poll ``box``; on a lost connection reconnect with exponential backoff, within ``retries`` and ``deadline``."""
        deadline = Deadline(box.deadline)
        ctx = _Box(box, self.config.for_mailbox(box))

        def give_up(state: RetryCallState) -> bool:
            return state.attempt_number >= box.retries or deadline.expired()

        def backoff(state: RetryCallState) -> float:
            return max(0.0, min(0.5 * 2 ** (state.attempt_number - 1), MAX_BACKOFF, deadline.remaining()))

        def note(state: RetryCallState) -> None:
            with self._report_lock:
                self.report.reconnects += 1
            log.warning("%s; reconnecting in %.1fs (attempt %d of %d)", state.outcome.exception(), state.upcoming_sleep, state.attempt_number + 1, box.retries)

        retrying = Retrying(retry=retry_if_exception_type(ConnectionLost), stop=give_up, wait=backoff, before_sleep=note, reraise=True)
        retrying(self.poll_mailbox, ctx, deadline)

    def poll_mailbox(self, ctx: _Box, deadline: Deadline) -> None:
        box = ctx.box
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
            work = self.new_mail(imap, box, folders)
            self._deferred[box.name] = 0
            if work:
                self.read(imap, ctx, drafts_folder, work, deadline)
            if self.report.left_for_later and deadline.expired():
                return
            self.scheduled(imap, ctx, drafts_folder)
            self.refresh_states(imap, box, drafts_folder, sent_folder)

    def new_mail(self, imap: MailboxSession, box: Mailbox, folders: list[str]) -> list[_Folder]:
        """The folders with mail above their checkpoint or queued for a retry, and those UIDs.

        STATUS first: a folder whose UIDNEXT shows nothing above the checkpoint (same
        UIDVALIDITY) and with no retry queued is not selected or searched at all.
        """
        with self.db.session() as session:
            rows = {c.folder: c for c in session.scalars(select(Checkpoint).where(Checkpoint.mailbox == box.name, Checkpoint.folder.in_(folders)))}
            queued_rows = session.execute(select(Message.folder, Message.uidvalidity, Message.uid).where(
                Message.mailbox == box.name, Message.status == RETRY, Message.folder.in_(folders),
            )).all()
        work = []
        for folder in folders:
            row = rows.get(folder)
            status = imap.folder_state(folder)
            queued_here = any(f == folder and v == status.uidvalidity for f, v, _ in queued_rows)
            if row is not None and row.uidvalidity == status.uidvalidity and row.last_uid >= status.uidnext - 1 and not queued_here:
                continue
            state = imap.select(folder)
            after = self.checkpoint_for(box.name, folder, state.uidvalidity, row)
            uids = imap.uids_after(state, after)
            present = set(uids)
            queued = sorted(u for f, v, u in queued_rows if f == folder and v == state.uidvalidity and u not in present)
            faults.crash_point("fetched")
            if uids or queued:
                work.append(_Folder(state, uids, queued))
            elif state.uidnext - 1 > after or row is None:
                # Nothing above the checkpoint (the newest mail was expunged): move it up to
                # UIDNEXT - 1 so that the next poll skips this folder on STATUS alone.
                with self._ledger() as session:
                    self._advance(session, box.name, folder, state.uidvalidity, state.uidnext - 1)
        return work

    # Reading: windows of at most WINDOW messages per folder, merged by date

    def read(self, imap: MailboxSession, ctx: _Box, drafts_folder: str, work: list[_Folder], deadline: Deadline) -> None:
        total = sum(len(f.uids) + len(f.queued) for f in work)
        use_pool = total >= POOL_THRESHOLD and EXTRACT_PROCESSES > 0
        if use_pool:
            self._pool_executor()  # start the workers before the progress bar's thread
        waiting: list[int] = []  # on a backlog, drafts committed and appended DRAFT_BATCH at a time
        with self._progress_bar(ctx.name, total) as advance, self._draft_appender(imap, ctx.box, drafts_folder, use_pool) as append:
            for f in work:
                self._fetch_window(imap, ctx, f, use_pool)
            handled = 0
            while True:
                heads = []
                for index, f in enumerate(work):
                    if not f.buffer and f.pending is not None:
                        self._take_window(ctx, f)
                        if f.more_to_fetch():  # read ahead while this window is processed
                            self._fetch_window(imap, ctx, f, use_pool)
                    if f.buffer:
                        heads.append((f.buffer[0].sort_key, index))
                if not heads:
                    break
                f = work[min(heads)[1]]
                item = f.buffer.popleft()
                if deadline.expired():
                    left = total - handled
                    with self._report_lock:
                        self.report.left_for_later += left
                    log.warning("%s: deadline of %ss reached; %d messages wait for the next run", ctx.name, ctx.box.deadline, left)
                    break
                handled += 1
                advance()
                if self.replay and item.parsed.sent_at and item.parsed.sent_at > self.now:
                    self._deferred[ctx.name] += 1
                    continue
                checkpoint = f.checkpoint() if item.raw.uid in f.queued_window else f.mark_done(item.raw.uid)
                outcome, draft_ids = self.process(ctx, item, checkpoint)
                if outcome is not None:
                    with self._report_lock:
                        self.report.outcomes.append(outcome)
                waiting += draft_ids
                if not use_pool or len(waiting) >= DRAFT_BATCH:
                    append(waiting)
                    waiting = []
            append(waiting)

    @contextmanager
    def _draft_appender(self, imap: MailboxSession, box: Mailbox, drafts_folder: str, backlog: bool) -> Iterator[Callable[[list[int]], None]]:
        """A function that appends committed drafts to Drafts, without searching (this run made them).

        On a backlog the batches go out on a second connection, in a thread, while this
        one goes on with the next messages (the poll waited about 1.2 s per 5,000 messages
        for Dovecot to store them). One batch is in flight at a time; its error is raised
        at the next batch or at the end, and its drafts stay pending for ``append_pending``.
        Without a second connection (the server refuses one) the batches go out here."""
        second = self._second_connection(box) if backlog else None
        if second is None:
            yield lambda ids: self.append(imap, drafts_folder, ids, search=False)
            return
        with second, ThreadPoolExecutor(1, thread_name_prefix=f"{box.name}-drafts") as thread:
            in_flight: Future | None = None

            def append(ids: list[int]) -> None:
                nonlocal in_flight
                if in_flight is not None:
                    in_flight.result()
                in_flight = thread.submit(self.append, second, drafts_folder, list(ids), False) if ids else None

            yield append
            append([])

    def _second_connection(self, box: Mailbox) -> MailboxSession | None:
        try:
            return MailboxSession(box, box.resolve_password())
        except MailboxError as exc:
            log.warning("%s: drafts are appended between messages (no second connection: %s)", box.name, exc)
            return None

    def _fetch_window(self, imap: MailboxSession, ctx: _Box, f: _Folder, use_pool: bool) -> None:
        """Fetch the folder's next window (retries queued first) and start parsing and extracting it."""
        if f.queued:
            uids, f.queued = f.queued, []
            f.queued_window = set(uids)
        else:
            size = min(FIRST_WINDOW, WINDOW) if f.next_fetch == 0 else WINDOW
            uids = f.uids[f.next_fetch : f.next_fetch + size]
            f.next_fetch += len(uids)
        state = imap.select(f.name)
        if state.uidvalidity != f.state.uidvalidity:
            raise ConnectionLost(f"{ctx.name}/{f.name}: UIDVALIDITY changed during the poll; starting over")
        raws = list(imap.fetch_uids(f.state, uids))
        if not f.queued_window.intersection(uids):
            for vanished in set(uids) - {r.uid for r in raws}:  # expunged since the SEARCH: nothing to wait for
                f.mark_done(vanished)
        work = [(r.raw, self._arrival(r), r.headers_only) for r in raws]
        args = (work, ctx.config.rep.timezone, ctx.settings)
        f.pending = (raws, self._pool_executor().submit(_parse_and_extract, *args) if use_pool else args)

    def _take_window(self, ctx: _Box, f: _Folder) -> None:
        (raws, pending), f.pending = f.pending, None
        results = pending.result() if isinstance(pending, Future) else _parse_and_extract(*pending)
        recorded = self._recorded(ctx, f, [r.uid for r in raws])
        items = [Incoming(raw, parsed, x, data, unseen=raw.uid not in recorded) for raw, (parsed, x, data) in zip(raws, results)]
        f.buffer = deque(sorted(items, key=lambda i: i.sort_key))

    def _recorded(self, ctx: _Box, f: _Folder, uids: list[int]) -> set[int]:
        """Of ``uids``, those the ledger may already know (one query per window): recorded at
        that UID, or every one of them when the folder has records under another UIDVALIDITY."""
        here = (Message.mailbox == ctx.name, Message.folder == f.name)
        with self.db.session() as session:
            if f.older_records is None:
                f.older_records = session.scalar(select(exists().where(*here, Message.uidvalidity != f.state.uidvalidity)))
            if f.older_records:
                return set(uids)
            return set(session.scalars(select(Message.uid).where(*here, Message.uidvalidity == f.state.uidvalidity, Message.uid.in_(uids))))

    def _arrival(self, raw: RawMessage) -> datetime | None:
        """The server's arrival time, for a message whose Date is missing or absurd. A replay
        trusts the Date header: arrival times of a restored or replayed mailbox say nothing
        about when mail was sent."""
        return None if self.replay else _plain_tz(raw.internaldate)

    def _pool_executor(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                import multiprocessing

                # fork shares the loaded modules; with several mailbox threads running, forkserver is safe
                method = "fork" if threading.active_count() == 1 else "forkserver"
                self._pool = ProcessPoolExecutor(EXTRACT_PROCESSES, mp_context=multiprocessing.get_context(method),
                                                 initializer=_exit_with_parent)
                for _ in range(EXTRACT_PROCESSES):  # the first submit starts the workers
                    self._pool.submit(_warm_up)
            return self._pool

    @contextmanager
    def _progress_bar(self, name: str, total: int) -> Iterator:
        if not (self.progress and total > PROGRESS_THRESHOLD and sys.stderr.isatty()):
            yield lambda: None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn(name), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(name, total=total)
            yield lambda: bar.advance(task)

    def checkpoint_for(self, mailbox: str, folder: str, uidvalidity: int, row: Checkpoint | None) -> int:
        """The last UID processed in ``folder``; 0 when new or when UIDVALIDITY changed."""
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
                row.uidvalidity, row.modseq, row.updated_at = state.uidvalidity, None, self.now

    def refresh_states(self, imap: MailboxSession, box: Mailbox, drafts_folder: str, sent_folder: str | None) -> None:
        """Mark drafts that left Drafts as sent or deleted.

        Skipped without a SEARCH when the Drafts folder's HIGHESTMODSEQ (CONDSTORE) is where
        it was at the last check: nothing was added, removed or flagged there since. Else
        skipped after one SEARCH (no FETCH) when Drafts holds as many messages with our key
        header as there are drafts marked in it. (A SEARCH reads every message in Drafts:
        0.1-0.5 s with 23,000 drafts, so an idle poll would grow with the folder.)"""
        state = imap.folder_state(drafts_folder)
        with self.db.session() as session:
            row = session.scalar(select(Checkpoint).where(Checkpoint.mailbox == box.name, Checkpoint.folder == drafts_folder))
            if state.highestmodseq is not None and row is not None and row.modseq == state.highestmodseq:
                return
            waiting = session.scalar(select(func.count(Draft.id)).where(Draft.mailbox == box.name, Draft.state == "in_drafts"))
            if waiting and imap.count_with_header(drafts_folder, DRAFT_KEY_HEADER) != waiting:
                _lazy("refresh_draft_states")(session, imap, box.name, drafts_folder, sent_folder)
            if row is not None:
                row.modseq = state.highestmodseq

    @contextmanager
    def _ledger(self) -> Iterator[Session]:
        """A transaction that writes the ledger: one at a time in this process (SQLite has one
        writer anyway) and, on PostgreSQL, one at a time across every process sharing the ledger
        (a transaction-level advisory lock), so that mail two mailboxes both received is
        recognised as known by the second and never applied twice."""
        with self._ledger_lock, self.db.session() as session:
            if self._postgres:
                from assistant.locks import advisory_key

                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(LEDGER_LOCK)})
            yield session

    # One message, one transaction

    def process(self, ctx: _Box, item: Incoming, checkpoint: int) -> tuple[Outcome | None, list[int]]:
        """Handle one message in one transaction; ``None`` when this run already reported it."""
        raw, parsed = item.raw, item.parsed
        box = ctx.box
        sha = hashlib.sha256(raw.raw).hexdigest()
        try:
            with self._ledger() as session:
                known = None if item.unseen else self._known(session, raw, parsed, sha)
                if known is not None and known.status != RETRY:
                    self._advance(session, raw.mailbox, raw.folder, raw.uidvalidity, checkpoint)
                    return self._already_done(raw, parsed), []
                try:
                    record = self._record(session, raw, parsed, sha, known)
                    outcome, drafts = self._apply(session, ctx, item, record)
                    self._advance(session, raw.mailbox, raw.folder, raw.uidvalidity, checkpoint)
                    session.flush()
                    draft_ids = [d.id for d in drafts]
                except (IntegrityError, DataError) as exc:
                    raise _Broken(f"the database refused its changes: {str(exc.orig).splitlines()[0]}") from None
        except (DatabaseError, MailboxError):
            raise
        except Exception as exc:  # a bug in the ledger, planner or drafts must not stop the run
            if not isinstance(exc, _Broken):
                log.exception("%s/%s uid %s %s: failed", box.name, raw.folder, raw.uid, parsed.message_id)
            outcome, draft_ids = self._record_failure(item, sha, checkpoint, f"{type(exc).__name__}: {exc}"[:2000]), []
        self._seen.add((raw.mailbox, raw.folder, raw.uid))
        faults.crash_point("committed")
        log.info("%s/%s uid %s %s: %s %s", box.name, raw.folder, raw.uid, parsed.message_id, outcome.status, outcome.reason)
        return outcome, draft_ids

    def _already_done(self, raw: RawMessage, parsed: ParsedMessage) -> Outcome | None:
        """Reported once as ignored; not again when an earlier attempt of this run handled it."""
        if (raw.mailbox, raw.folder, raw.uid) in self._seen:
            return None
        return Outcome(raw.folder, raw.uid, parsed.message_id, "ignored", "already processed")

    def _apply(self, session: Session, ctx: _Box, item: Incoming, record: Message) -> tuple[Outcome, list[Draft]]:
        """Apply the message to the ledger (one flush: its record, order, references and events are
        written together), then plan and render the drafts it calls for (added, not yet flushed)."""
        raw, parsed, box = item.raw, item.parsed, ctx.box
        outcome = Outcome(raw.folder, raw.uid, parsed.message_id, "ok", "")
        drafts: list[Draft] = []
        try:
            with session.no_autoflush:
                order, x, counterpart, events = self._handle(session, ctx, item, record)
            session.flush()
            planner = _lazy("Planner")(session, ctx.config, ctx.known_rows)
            plans = planner.after_message(order, record, x, counterpart, events, self.now)
            drafts = self._drafts(session, ctx, planner, plans)
            outcome.drafts = [d.kind for d in drafts]
            outcome.past_reply_window = record.role != "rep" and planner.past_reply_window(record, self.now)
            outcome.order = order.reference if order else None
        except _Skipped as signal:
            record.status, record.reason = "skipped", signal.reason
        except MessageIgnored as signal:
            record.status, record.reason = "ignored", signal.reason
        except MessageFailed as signal:
            record.status, record.reason = "failed", signal.reason
            log.warning("%s/%s uid %s %s: failed: %s", box.name, raw.folder, raw.uid, parsed.message_id, signal.reason)
        outcome.status, outcome.reason = record.status, record.reason or ""
        return outcome, drafts

    def _record_failure(self, item: Incoming, sha: str, checkpoint: int, reason: str) -> Outcome:
        """Record the message as failed in a fresh transaction (its partial changes were rolled back)."""
        raw, parsed = item.raw, item.parsed
        with self._ledger() as session:
            known = None if item.unseen else self._known(session, raw, parsed, sha)
            record = self._record(session, raw, parsed, sha, known)
            record.status, record.reason = "failed", reason
            self._advance(session, raw.mailbox, raw.folder, raw.uidvalidity, checkpoint)
        return Outcome(raw.folder, raw.uid, parsed.message_id, "failed", reason)

    def _known(self, session: Session, raw: RawMessage, parsed: ParsedMessage, sha: str) -> Message | None:
        """The record of this message: at its UID, or under an older UIDVALIDITY (then moved to the new UID)."""
        here = session.scalar(_RECORD_AT_UID, {"mailbox": raw.mailbox, "folder": raw.folder, "uidvalidity": raw.uidvalidity, "uid": raw.uid})
        if here is not None:
            return here
        moved = session.scalar(
            select(Message).where(
                Message.mailbox == raw.mailbox, Message.folder == raw.folder, Message.uidvalidity != raw.uidvalidity,
                or_(_SAME_BYTES, _SAME_COPY) if parsed.message_id else _SAME_BYTES,
            ).order_by(Message.id).limit(1),
            _same_message_params(sha, parsed),
        )
        if moved is not None:
            log.info(
                "%s/%s: %s known from UIDVALIDITY %s uid %s, now uid %s; not processed again",
                raw.mailbox, raw.folder, parsed.message_id or f"sha256 {sha[:12]}", moved.uidvalidity, moved.uid, raw.uid,
            )
            moved.uidvalidity, moved.uid = raw.uidvalidity, raw.uid
        return moved

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
        return record

    def _handle(self, session: Session, ctx: _Box, item: Incoming, record: Message):
        """Match the message to an order and apply it: ``(order or None, extraction, counterpart, events)``.
        Sets the record's status (ok or unmatched) and reason; raises a signal for mail not applied."""
        raw, parsed = item.raw, item.parsed
        if raw.headers_only:
            raise _Skipped(f"larger than max_message_bytes ({raw.size} bytes): headers only, not read")
        if parsed.error:
            raise MessageFailed(parsed.error)
        duplicate = self._duplicate_of(session, record, parsed)
        if duplicate is not None:
            raise MessageIgnored(f"duplicate of {duplicate[0]} uid {duplicate[1]}")
        x = item.extraction
        if x is None or x.error:
            raise MessageFailed(x.error if x is not None else "extraction error: not extracted")
        record.role = ctx.directory.kind_of(parsed.from_)
        record.language = x.language
        record.extraction = item.extraction_json
        counterpart = ctx.directory.counterpart(parsed)
        if counterpart.kind == "other":
            raise MessageIgnored("not from or to a known customer or vendor")
        ledger = _lazy("Ledger")(session, ctx.config, ctx.known_rows)
        party = ledger.party(counterpart.kind, counterpart.domain)
        order, how = ledger.match(parsed, x, party)
        if order is None and x.order_refs:
            order, how = ledger.create_order(x, self.now), "new order from " + ", ".join(r.value for r in x.order_refs)
        if order is None:
            record.status = "unmatched"
            record.reason = how if (x.event in _lazy("ORDER_EVENTS")) else f"not order-related ({x.event})"
            return None, x, counterpart, []
        ledger.attach_refs(order, x)
        record.order = order
        record.status, record.reason = "ok", f"matched by {how}"
        return order, x, counterpart, ledger.apply(order, record, x, counterpart, self.now)

    def _duplicate_of(self, session: Session, record: Message, parsed: ParsedMessage) -> tuple[str, int] | None:
        """The folder and UID of an earlier copy of this message that was handled."""
        params = {**_same_message_params(record.sha256, parsed), "own": record.id or 0}
        return session.execute(_EARLIER_COPY[bool(parsed.message_id)], params).first()

    def _drafts(self, session: Session, ctx: _Box, planner: Planner, plans: list[DraftPlan]) -> list[Draft]:
        """Render the drafts planned and add them to the session (flushed with the rest of the
        transaction), except those already made (same key) or answered."""
        made: list[Draft] = []
        writer = None
        for plan in plans:
            if any(d.key == plan.key for d in made) or session.scalar(_DRAFT_WITH_KEY, {"key": plan.key}) is not None:
                continue
            order = session.get(Order, plan.order_id) if plan.order_id else None
            thread = (planner.threads.get(plan.reply_to_id) or session.get(Message, plan.reply_to_id)) if plan.reply_to_id else None
            if plan.kind == "status_reply" and thread is not None and self._rep_replied(session, thread):
                continue
            writer = writer or _lazy("DraftWriter")(session, ctx.config, planner.next_update_day)
            try:
                made.append(writer.build(plan, order, thread, self.now, ctx.name))
            except DraftRefused as exc:
                log.error("draft not stored: %s", exc)
                with self._report_lock:
                    self.report.errors.append(str(exc))
        return made

    def _rep_replied(self, session: Session, thread: Message) -> bool:
        return session.scalar(_REP_REPLY_TO, {"message_id": thread.message_id}) is not None

    def _advance(self, session: Session, mailbox: str, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Move the folder's checkpoint up to ``last_uid`` (one statement; a new UIDVALIDITY starts it over)."""
        params = {"b_mailbox": mailbox, "b_folder": folder, "b_uidvalidity": uidvalidity, "b_uid": last_uid, "b_now": self.now}
        if session.execute(_ADVANCE, params).rowcount == 0:
            session.add(Checkpoint(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=self.now))

    # Time-driven drafts and the outbox

    def scheduled(self, imap: MailboxSession, ctx: _Box, drafts_folder: str) -> None:
        with self._ledger() as session:
            planner = _lazy("Planner")(session, ctx.config)
            drafts = self._drafts(session, ctx, planner, planner.on_schedule(self.now))
            session.flush()
            draft_ids = [d.id for d in drafts]
        if draft_ids:
            faults.crash_point("committed")
        self.append(imap, drafts_folder, draft_ids, search=False)

    def append_pending(self, imap: MailboxSession, box: Mailbox, drafts_folder: str) -> None:
        """Append drafts a previous run committed but did not get onto the server."""
        with self.db.session() as session:
            ids = list(session.scalars(select(Draft.id).where(Draft.mailbox == box.name, Draft.state == "pending").order_by(Draft.id)))
        self.append(imap, drafts_folder, ids)

    def append(self, imap: MailboxSession, drafts_folder: str, draft_ids: list[int], search: bool = True) -> None:
        """Put each pending draft into Drafts once: search for its key first, never append blindly.

        An APPEND whose answer was lost leaves the draft pending; the search on the
        next attempt (``append_pending``) finds it on the server and only marks it. A
        draft this run has just made (``search=False``) has never been appended by
        anyone (its mailbox is polled by one process at a time), so the search, which
        reads every draft's header, is left out, and several are appended in one command.
        """
        if not search and len(draft_ids) > 1:
            self._append_new(imap, drafts_folder, draft_ids)
            return
        for draft_id in draft_ids:
            with self.db.session() as session:
                draft = session.get(Draft, draft_id)
                if draft.state != "pending":
                    continue
                key, mime = draft.key, draft.mime
            if search and imap.find_by_header(drafts_folder, DRAFT_KEY_HEADER, key):
                log.info("draft %s is already in %s; not appended again", key, drafts_folder)
            else:
                imap.append_draft(drafts_folder, mime, self.now)
                with self._report_lock:
                    self.report.drafts_appended += 1
                faults.crash_point("appended")
            with self.db.session() as session:
                draft = session.get(Draft, draft_id)
                draft.state, draft.appended_at = "in_drafts", self.now
            faults.crash_point("marked")


    def _append_new(self, imap: MailboxSession, drafts_folder: str, draft_ids: list[int]) -> None:
        """Append drafts this run has just made in one go (MULTIAPPEND), then mark them."""
        with self.db.session() as session:
            drafts = session.execute(
                select(Draft.id, Draft.mime).where(Draft.id.in_(draft_ids), Draft.state == "pending").order_by(Draft.id)
            ).all()
        if not drafts:
            return
        imap.append_drafts(drafts_folder, [mime for _, mime in drafts], self.now)
        with self._report_lock:
            self.report.drafts_appended += len(drafts)
        faults.crash_point("appended")
        with self._ledger() as session:
            session.execute(
                update(Draft).where(Draft.id.in_([i for i, _ in drafts])).values(state="in_drafts", appended_at=self.now)
                .execution_options(synchronize_session=False)
            )
        faults.crash_point("marked")


class _Skipped(MessageIgnored):
    """Signal: the message was too large to read; it is recorded as skipped."""


class _Broken(Exception):
    """The database refused one message's changes (a constraint): the message fails, the run goes on."""


def _parse_and_extract(work: list[tuple], timezone: str, settings: ExtractSettings) -> list[tuple]:
    """In a worker process: parse a window of messages ``(raw, arrival, headers_only)`` and
    extract the readable ones (``nlp.pipe``); ``(parsed, extraction or None, its JSON or None)``
    for each. (The JSON is made here too, so the poll process never needs the NLP modules.)"""
    from parsers.extract import extract_many, extraction_to_json
    from parsers.message import parse_message

    parsed = [parse_message(raw, internaldate=arrival, default_tz=timezone) for raw, arrival, _ in work]
    readable = [i for i, (p, (_, _, headers_only)) in enumerate(zip(parsed, work)) if not headers_only and not p.error]
    extractions: dict[int, Any] = dict(zip(readable, extract_many([parsed[i] for i in readable], settings)))
    return [(p, extractions.get(i), extraction_to_json(extractions[i]) if i in extractions else None) for i, p in enumerate(parsed)]


def _exit_with_parent() -> None:
    """In a new worker process: end it when its parent is gone (a poll killed by cron's timeout
    or SIGKILL would otherwise leave the worker waiting for work forever)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _warm_up() -> None:
    """In a new worker process: load the NLP pipelines before the first window arrives."""
    from parsers.extract import extract_many
    from parsers.types import ExtractSettings, ParsedMessage

    texts = ("납기 일정 안내드립니다. 다음 주 수요일 입고 예정입니다.", "The order ships next Wednesday.")
    extract_many([ParsedMessage(message_id=None, subject=t, new_text=t) for t in texts], ExtractSettings())


def _same_message_params(sha: str, parsed: ParsedMessage) -> dict:
    """Parameters of ``_SAME_BYTES`` / ``_SAME_COPY``: same bytes, or (with a Message-ID) the
    same Message-ID, sender, subject and text, as a re-delivered copy has."""
    params = {"sha": sha}
    if parsed.message_id:
        params.update(message_id=parsed.message_id, sender=parsed.from_.email if parsed.from_ else None,
                      subject=parsed.subject[:2000], body=parsed.new_text[:20000])
    return params


def _plain_tz(moment: datetime | None) -> datetime | None:
    """``moment`` with a plain ``datetime.timezone`` (imapclient's FixedOffset does not pickle)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.replace(tzinfo=dt_timezone(moment.utcoffset()))


def _contiguous(uids: list[int], done: set[int]) -> int:
    """The highest UID such that it and every fetched UID below it are done."""
    last = 0
    for uid in uids:
        if uid not in done:
            break
        last = uid
    return last
