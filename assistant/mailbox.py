"""The only module that talks IMAP (through imapclient).

It hands out ``RawMessage`` records, appends drafts and finds the Drafts and Sent
folders; every imapclient or socket error comes out as ``MailboxError``.
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
from assistant.errors import AuthError, MailboxError

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
    uidvalidity: int
    uidnext: int
    messages: int


_NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, imap_errors.IMAPClientError, EOFError)


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
    if box.tls == "starttls":
        client.starttls(context)
    return client


class MailboxSession:
    """A logged-in connection to one mailbox."""

    client_factory: Callable[[Mailbox], IMAPClient] = staticmethod(default_client_factory)

    def __init__(self, box: Mailbox, password: str):
        self.box = box
        where = f"{box.name} ({box.host}:{box.port})"
        try:
            self.client = self.client_factory(box)
        except _NETWORK_ERRORS as exc:
            raise MailboxError(f"{where}: cannot connect: {_describe(exc)}") from None
        try:
            self.client.login(box.username, password)
        except imap_errors.LoginError:
            self._close()
            raise AuthError(f"{where}: login refused for {box.username}; check the password") from None
        except _NETWORK_ERRORS as exc:
            self._close()
            raise MailboxError(f"{where}: login failed: {_describe(exc, password)}") from None
        self._capabilities = {c.decode().upper() for c in self.client.capabilities()}

    def __enter__(self) -> MailboxSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
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
        return MailboxError(f"{self.box.name}: {what}: {_describe(exc)}")

    def folder_state(self, folder: str) -> FolderState:
        """UIDVALIDITY, UIDNEXT and message count of ``folder`` (without selecting it)."""
        try:
            status = self.client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot read folder {folder!r}", exc) from None
        return FolderState(int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"]), int(status[b"MESSAGES"]))

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

    def fetch_new(self, folder: str, after_uid: int, limit: int | None = None) -> Iterator[RawMessage]:
        """Messages in ``folder`` with UID above ``after_uid``, oldest first, fetched in batches.

        Nothing is marked as read (BODY.PEEK). A message expunged between SEARCH and
        FETCH is skipped.
        """
        try:
            info = self.client.select_folder(folder, readonly=True)
            uidvalidity = int(info[b"UIDVALIDITY"])
            uids = sorted(u for u in self.client.search(["UID", f"{after_uid + 1}:*"]) if u > after_uid)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot search folder {folder!r}", exc) from None
        if limit is not None:
            uids = uids[:limit]
        for start in range(0, len(uids), FETCH_BATCH):
            yield from self._fetch_batch(folder, uidvalidity, uids[start : start + FETCH_BATCH])

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

    def append_message(self, folder: str, message: bytes, flags: tuple[bytes, ...], when: datetime) -> int | None:
        """Append ``message`` to ``folder`` with ``flags``; return its UID when the server says."""
        try:
            response = self.client.append(folder, message, flags=flags, msg_time=when)
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot append a message to {folder!r}", exc) from None
        return _appenduid(response)

    def find_by_header(self, folder: str, header: str, value: str) -> list[int]:
        """UIDs of messages in ``folder`` whose ``header`` contains ``value``."""
        try:
            self.client.select_folder(folder, readonly=True)
            return list(self.client.search(["HEADER", header, value]))
        except _NETWORK_ERRORS as exc:
            raise self._fail(f"cannot search {folder!r}", exc) from None


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
