"""The only module that talks IMAP (through imapclient).

It hands out ``RawMessage`` records, appends drafts and finds the Drafts and Sent
folders; every imapclient or socket error comes out as ``MailboxError``, and a
dropped or timed-out connection as its subclass ``ConnectionLost`` (the poll
reconnects). Every socket operation is bounded by the mailbox's ``timeout``.
Passwords never appear in its messages.
"""
from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from assistant.config import Mailbox
from assistant.errors import AuthError, ConnectionLost, MailboxError

log = logging.getLogger(__name__)

FETCH_BATCH = 100
DRAFT_KEY_HEADER = "X-Napgi-Draft-Key"


@dataclass(frozen=True)
class RawMessage:
    """A message as fetched: where it sits on the server and its bytes.

    ``headers_only`` is true when the message was larger than the mailbox's size
    limit and only its header was fetched.
    """

    mailbox: str
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes
    internaldate: datetime | None
    size: int
    headers_only: bool = False


@dataclass(frozen=True)
class FolderState:
    """A folder's identity and size; ``folder`` is set when it was SELECTed."""

    uidvalidity: int
    uidnext: int
    messages: int
    folder: str = ""
    highestmodseq: int | None = None  # when the server has CONDSTORE


_NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, imap_errors.IMAPClientError, EOFError)
_CONNECTION_ERRORS = (OSError, EOFError, imap_errors.IMAPClientAbortError)


def default_client_factory(box: Mailbox) -> IMAPClient:
    """Open a TCP (and TLS) connection to the mailbox's server; no login yet."""
    context = ssl.create_default_context()
    client = IMAPClient(
        box.host,
        port=box.port,
        ssl=box.tls == "ssl",
        ssl_context=context if box.tls == "ssl" else None,
        timeout=box.timeout,
    )
    client.normalise_times = False
    if box.tls == "starttls":
        client.starttls(context)
    return client


class MailboxSession:
    """A logged-in connection to one mailbox."""

    client_factory: Callable[[Mailbox], IMAPClient] = staticmethod(default_client_factory)

    def __init__(self, box: Mailbox, password: str):
        self.box = box
        where = f"{box.name} ({box.host}:{box.port})"
        self.broken = False
        if box.auth == "oauth2":  # SASL XOAUTH2 with an access token; never a password (assistant/oauth.py)
            from assistant import oauth

            password = oauth.access_token(box)
        try:
            self.client = self.client_factory(box)
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(
                f"{where}: TLS certificate not accepted ({exc.verify_message}); check host, or the trust store (SSL_CERT_FILE)"
            ) from None
        except _NETWORK_ERRORS as exc:
            raise ConnectionLost(f"{where}: cannot connect: {_describe(exc)}") from None
        try:
            if box.auth == "oauth2":
                self.client.oauth2_login(box.username, password)
            else:
                self.client.login(box.username, password)
        except imap_errors.LoginError as exc:
            self._close()
            if isinstance(exc.__context__, _CONNECTION_ERRORS):  # imapclient reports a dropped login as refused
                raise ConnectionLost(f"{where}: connection lost while logging in: {_describe(exc.__context__, password)}") from None
            if box.auth == "oauth2":
                raise oauth.refused(box) from None
            raise AuthError(f"{where}: login refused for {box.username}; check the password") from None
        except _NETWORK_ERRORS as exc:
            self._close()
            kind = ConnectionLost if isinstance(exc, _CONNECTION_ERRORS) else MailboxError
            raise kind(f"{where}: login failed: {_describe(exc, password)}") from None
        self._capabilities = {c.decode().upper() for c in self.client.capabilities()}

    def __enter__(self) -> MailboxSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if not self.broken:
            try:
                self.client.logout()
            except _NETWORK_ERRORS:
                pass
        self._close()

    def _close(self) -> None:
        try:
            self.client.shutdown()
        except (AttributeError, *_NETWORK_ERRORS):
            pass

    def _fail(self, what: str, exc: BaseException) -> MailboxError:
        if isinstance(exc, _CONNECTION_ERRORS):
            self.broken = True
            return ConnectionLost(f"{self.box.name}: {what}: connection lost: {_describe(exc)}")
        return MailboxError(f"{self.box.name}: {what}: {_describe(exc)}")

    def folder_state(self, folder: str) -> FolderState:
        """UIDVALIDITY, UIDNEXT, message count and (with CONDSTORE) HIGHESTMODSEQ of ``folder``,
        without selecting it."""
        items = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"] + ([b"HIGHESTMODSEQ"] if "CONDSTORE" in self._capabilities else [])
        try:
            status = self.client.folder_status(folder, items)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot read folder {folder!r}", exc) from None
        modseq = status.get(b"HIGHESTMODSEQ")
        return FolderState(int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"]), int(status[b"MESSAGES"]),
                           highestmodseq=int(modseq) if modseq is not None else None)

    def special_folder(self, flag: str, configured: str | None) -> str:
        """The folder named in the config, else the one with SPECIAL-USE ``flag`` (``\\Drafts``)."""
        if configured:
            return configured
        try:
            folders = self.client.list_folders()
        except _NETWORK_ERRORS as exc:
            raise self._fail("cannot list folders", exc) from None
        wanted = flag.encode()
        for flags, _delimiter, name in folders:
            if wanted in flags:
                return name
        common = flag.lstrip("\\")
        for _flags, _delimiter, name in folders:
            if name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() == common.lower():
                return name
        raise MailboxError(
            f"{self.box.name}: no folder has the SPECIAL-USE flag {flag}; set "
            f"{'drafts_folder' if common == 'Drafts' else 'sent_folder'} in the mailbox's config"
        )

    def select(self, folder: str) -> FolderState:
        """SELECT ``folder`` read-only; the UIDVALIDITY returned is the one its UIDs belong to."""
        try:
            info = self.client.select_folder(folder, readonly=True)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot select folder {folder!r}", exc) from None
        return FolderState(int(info[b"UIDVALIDITY"]), int(info.get(b"UIDNEXT", 0)), int(info.get(b"EXISTS", 0)), folder)

    def fetch_new(self, state: FolderState, after_uid: int, limit: int | None = None) -> Iterator[RawMessage]:
        """Messages of the selected folder ``state`` with UID above ``after_uid``, oldest first, in batches.

        Nothing is marked as read (BODY.PEEK). A message expunged between SEARCH and
        FETCH is skipped.
        """
        uids = self.uids_after(state, after_uid)
        if limit is not None:
            uids = uids[:limit]
        yield from self.fetch_uids(state, uids)

    def uids_after(self, state: FolderState, after_uid: int) -> list[int]:
        """UIDs above ``after_uid`` in the selected folder ``state``, ascending."""
        try:
            return sorted(u for u in self.client.search(["UID", f"{after_uid + 1}:*"]) if u > after_uid)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot search folder {state.folder!r}", exc) from None

    def fetch_uids(self, state: FolderState, uids: list[int]) -> Iterator[RawMessage]:
        """The messages ``uids`` of the selected folder ``state``; those no longer there are skipped."""
        for start in range(0, len(uids), FETCH_BATCH):
            yield from self._fetch_batch(state.folder, state.uidvalidity, uids[start : start + FETCH_BATCH])

    def _fetch_batch(self, folder: str, uidvalidity: int, uids: list[int]) -> Iterator[RawMessage]:
        try:
            sizes = self.client.fetch(uids, [b"RFC822.SIZE", b"INTERNALDATE"])
            small = [u for u in uids if u in sizes and sizes[u][b"RFC822.SIZE"] <= self.box.max_message_bytes]
            large = [u for u in uids if u in sizes and u not in small]
            bodies = self.client.fetch(small, [b"BODY.PEEK[]"]) if small else {}
            headers = self.client.fetch(large, [b"BODY.PEEK[HEADER]"]) if large else {}
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot fetch from {folder!r}", exc) from None
        for uid in uids:
            if uid in bodies:
                raw, headers_only = bodies[uid].get(b"BODY[]", b""), False
            elif uid in headers:
                raw, headers_only = headers[uid].get(b"BODY[HEADER]", b""), True
            else:
                log.info("%s/%s uid %s vanished before it could be fetched", self.box.name, folder, uid)
                continue
            meta = sizes[uid]
            yield RawMessage(
                mailbox=self.box.name,
                folder=folder,
                uidvalidity=uidvalidity,
                uid=uid,
                raw=raw or b"",
                internaldate=meta.get(b"INTERNALDATE"),
                size=int(meta[b"RFC822.SIZE"]),
                headers_only=headers_only,
            )

    def append_draft(self, folder: str, message: bytes, when: datetime) -> int | None:
        """Append ``message`` to ``folder`` flagged ``\\Draft``; return its UID when the server says."""
        try:
            response = self.client.append(folder, message, flags=(b"\\Draft",), msg_time=when)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot append a draft to {folder!r}", exc) from None
        return _appenduid(response)

    def append_drafts(self, folder: str, messages: list[bytes], when: datetime) -> None:
        """Append several drafts at once: one MULTIAPPEND (RFC 3502) where the server has it."""
        if "MULTIAPPEND" not in self._capabilities:
            for message in messages:
                self.append_draft(folder, message, when)
            return
        try:
            self.client.multiappend(folder, [{"msg": m, "flags": (b"\\Draft",), "date": when} for m in messages])
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot append {len(messages)} drafts to {folder!r}", exc) from None

    def append_message(self, folder: str, message: bytes, flags: tuple[bytes, ...], when: datetime) -> int | None:
        """Append ``message`` to ``folder`` with ``flags``; return its UID when the server says."""
        try:
            response = self.client.append(folder, message, flags=flags, msg_time=when)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot append a message to {folder!r}", exc) from None
        return _appenduid(response)

    def find_by_header(self, folder: str, header: str, value: str) -> list[int]:
        """UIDs of messages in ``folder`` whose ``header`` is exactly ``value``.

        IMAP SEARCH HEADER matches substrings, so the hits' headers are fetched and compared.
        """
        field = f"BODY.PEEK[HEADER.FIELDS ({header.upper()})]".encode()
        try:
            self.client.select_folder(folder, readonly=True)
            hits = self.client.search(["HEADER", header, value])
            fetched = self.client.fetch(hits, [field]) if hits else {}
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot search {folder!r}", exc) from None
        return sorted(uid for uid, data in fetched.items() if value in _header_values(_first_bytes(data), header))


    def count_with_header(self, folder: str, header: str) -> int:
        """How many messages in ``folder`` carry ``header`` (one SEARCH, nothing fetched)."""
        try:
            self.client.select_folder(folder, readonly=True)
            return len(self.client.search(["HEADER", header, ""]))
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot search {folder!r}", exc) from None

    def header_values(self, folder: str, header: str) -> set[str]:
        """Every value of ``header`` among the messages of ``folder`` that carry it."""
        field = f"BODY.PEEK[HEADER.FIELDS ({header.upper()})]".encode()
        try:
            self.client.select_folder(folder, readonly=True)
            hits = self.client.search(["HEADER", header, ""])
            fetched = self.client.fetch(hits, [field]) if hits else {}
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot search {folder!r}", exc) from None
        return {value for data in fetched.values() for value in _header_values(_first_bytes(data), header)}

def _first_bytes(data: dict) -> bytes:
    return next((v for k, v in data.items() if k.startswith(b"BODY[") and isinstance(v, bytes)), b"")


def _header_values(block: bytes, header: str) -> list[str]:
    """The unfolded values of ``header`` in a raw header block."""
    text = block.decode("utf-8", "replace").replace("\r\n", "\n")
    unfolded = text.replace("\n ", " ").replace("\n\t", " ")
    prefix = header.lower() + ":"
    return [line[len(prefix):].strip() for line in unfolded.split("\n") if line.lower().startswith(prefix)]


def _appenduid(response: bytes | None) -> int | None:
    if not response:
        return None
    text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
    marker = "APPENDUID"
    if marker not in text:
        return None
    parts = text.split(marker, 1)[1].strip(" []").split()
    try:
        return int(parts[1].rstrip("]"))
    except (IndexError, ValueError):
        return None


def _describe(exc: BaseException, *secrets: str) -> str:
    text = str(exc) or type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
