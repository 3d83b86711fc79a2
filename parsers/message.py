"""Turn one raw RFC 5322 message into a :class:`ParsedMessage`.

mail-parser does the MIME parse; headers, addresses, dates and body text are
read from its ``email.message.Message`` with our own decoding, because Korean
mail needs charset handling that neither mail-parser nor the stdlib gets right
(``ks_c_5601-1987`` and ``euc-kr`` must be decoded as CP949, raw 8-bit headers
are common).

Only mail-parser's entry point is used (``MailParser.from_bytes``: the stdlib
``compat32`` parse of the bytes and its guard against crafted deep nesting);
its own pass over the parsed message (attachments, defects, addresses, dates,
JSON-ready fields) is skipped, since none of it is read here and it cost about
half of the time of ``parse_message``.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import html
import logging
import re
from datetime import datetime, timedelta, timezone, tzinfo
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import mailparser
from inscriptis import get_text
from inscriptis.model.config import ParserConfig

from parsers.quotes import split_reply
from parsers.types import Address, ParsedMessage

MAX_TEXT_CHARS = 200_000
_MAX_HTML_CHARS = 1_000_000
_MAX_BYTES_PER_CHAR = 4
_MAX_ERROR_CHARS = 200
_EARLIEST_YEAR = 1990
_FUTURE_SLACK = timedelta(days=2)

_KOREAN_CHARSETS = frozenset(
    {"ks_c_5601-1987", "ks_c_5601", "ks_c_5601_1987", "ksc5601", "ksc_5601", "ks-c-5601",
     "euc-kr", "euc_kr", "euckr", "x-euc-kr", "x-windows-949", "windows-949", "ms949",
     "korean", "cp949", "uhc"}
)
_CHARSET_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "gb2312": "gb18030", "gbk": "gb18030", "iso-8859-1": "cp1252", "latin1": "cp1252",
    "us-ascii": "ascii",
}
_GUESS_CHARSETS = frozenset({"", "ascii", "unknown-8bit", "x-unknown", "unknown", "default"})

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSG_ID = re.compile(r"<([^<>]*)>")
_SPACE = re.compile(r"\s+")
_UTC_UNKNOWN_ZONE = re.compile(r"-0000\b")
_HTML_CONFIG = ParserConfig(table_cell_separator=" | ")
_TAG = re.compile(r"<[^<>]*>")
_BLANK_RUN = re.compile(r"\n{3,}")

logging.getLogger("mailparser").addHandler(logging.NullHandler())


class _MimeOnly(mailparser.MailParser):
    """mail-parser's byte entry point without its pass over the parts."""

    def parse(self) -> "_MimeOnly":
        return self


def _mime_parse(raw: bytes) -> Message:
    """The MIME tree of ``raw`` (mail-parser; raises on crafted deep nesting)."""
    return _MimeOnly.from_bytes(raw).message


def parse_message(
    raw: bytes, internaldate: datetime | None = None, default_tz: str = "Asia/Seoul"
) -> ParsedMessage:
    """Parse raw message bytes into a :class:`ParsedMessage`; never raises.

    ``internaldate`` (the IMAP arrival time) replaces a missing, unparseable or
    absurd ``Date`` header (before 1990, or more than two days after arrival);
    ``default_tz`` names the zone for naive dates. The body is the text/plain
    part(s), or the HTML part(s) converted to text when there is no plain text;
    it is cut to ``MAX_TEXT_CHARS`` characters. On failure ``error`` is set and
    the other fields hold whatever could be read.
    """
    result = ParsedMessage(message_id=None)
    try:
        raw = _as_bytes(raw)
        message = _mime_parse(raw)
        _read_headers(result, message, internaldate, _zone(default_tz, result.defects))
        _read_body(result, message)
    except Exception as exc:  # noqa: BLE001 - the contract is that nothing escapes
        result.error = f"unparseable: {type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
        if result.message_id is None and not result.subject:
            _salvage_headers(result, raw)
    return result


def _as_bytes(raw: object) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return bytes(raw)


def _zone(name: str, defects: list[str]) -> tzinfo:
    try:
        return _zoneinfo(name)
    except (ValueError, OSError, KeyError):
        defects.append(f"unknown timezone {name!r}, used UTC")
        return timezone.utc


@lru_cache(maxsize=16)
def _zoneinfo(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# ---------------------------------------------------------------- headers


def _read_headers(
    result: ParsedMessage, message: Message, internaldate: datetime | None, zone: tzinfo
) -> None:
    """Fill the header fields of ``result`` from the first occurrence of each header."""
    headers = _first_headers(message)
    result.message_id = _first_id(headers.get("message-id", ""))
    result.subject = _decode_header(headers.get("subject", "")).strip()
    senders = _addresses(headers.get("from", ""))
    result.from_ = senders[0] if senders else None
    result.to = _addresses(headers.get("to", ""))
    result.cc = _addresses(headers.get("cc", ""))
    result.reply_to = _addresses(headers.get("reply-to", ""))
    result.in_reply_to = _first_id(headers.get("in-reply-to", ""))
    result.references = _ids(headers.get("references", ""))
    result.sent_at = _sent_at(headers.get("date"), internaldate, zone, result.defects)


def _first_headers(message: Message) -> dict[str, str]:
    """Lower-cased header name -> raw text of its first occurrence, 8-bit bytes decoded."""
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        key = str(name).strip().lower()
        if key not in headers:
            headers[key] = _FOLD.sub("", _header_text(value))
    return headers


def _header_text(value: object) -> str:
    """Turn a raw header value (str with surrogate-escaped 8-bit bytes) into text."""
    text = str(value)
    if text.isascii():
        return text
    data = text.encode("utf-8", "surrogateescape")
    return _guess_decode(data)


def _decode_header(value: str) -> str:
    """Decode RFC 2047 encoded words, joining adjacent words of one charset before decoding."""
    pieces: list[str] = []
    pending_charset, pending = "", b""
    end = 0
    for match in _ENCODED_WORD.finditer(value):
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            continue
        charset = match.group(1).split("*", 1)[0].lower()
        gap = value[end : match.start()]
        if pending and not gap.strip() and charset == pending_charset:
            pending += data
        else:
            if pending:
                pieces.append(_decode_bytes(pending, pending_charset))
            if not (pending and not gap.strip()):
                pieces.append(gap)
            pending_charset, pending = charset, data
        end = match.end()
    if pending:
        pieces.append(_decode_bytes(pending, pending_charset))
    pieces.append(value[end:])
    return "".join(pieces)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    """The bytes of one encoded word, or None when the word is broken."""
    try:
        if encoding in "bB":
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (binascii.Error, ValueError):
        return None


# One mailbox in its plain forms: "Name <a@b>", "<a@b>", "a@b" (no quotes,
# comments, groups or routes: those go to the stdlib parser).
_SIMPLE_MAILBOX = re.compile(
    r"\s*(?:(?P<name>[^\"()<>@,;:\\\[\]]*?)\s*<(?P<angle>[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+)>"
    r"|(?P<bare>[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+))\s*"
)


def _split_addresses(value: str) -> list[tuple[str, str]]:
    """``getaddresses([value])``, with a fast path for plain comma-separated mailboxes."""
    pairs = []
    for item in value.split(","):
        m = _SIMPLE_MAILBOX.fullmatch(item)
        if m is None:
            return getaddresses([value])
        if m.group("bare"):
            pairs.append(("", m.group("bare")))
        else:
            pairs.append((" ".join(m.group("name").split()), m.group("angle")))
    return pairs


def _addresses(value: str) -> list[Address]:
    """Split an address header before decoding names, so encoded commas cannot split it."""
    found = []
    for name, email in _split_addresses(value):
        email = email.strip().lower()
        if email and "@" in email:
            found.append(Address(_decode_header(name).strip(), email))
    return found


def _ids(value: str) -> list[str]:
    """Message ids in a header, each as ``<...>`` with whitespace removed."""
    decoded = _decode_header(value)
    ids = [f"<{_SPACE.sub('', inner)}>" for inner in _MSG_ID.findall(decoded)]
    if not ids:
        ids = [f"<{token.strip('<>')}>" for token in _SPACE.split(decoded) if "@" in token]
    return list(dict.fromkeys(i for i in ids if i != "<>"))


def _first_id(value: str) -> str | None:
    ids = _ids(value)
    if ids:
        return ids[0]
    bare = _SPACE.sub("", _decode_header(value)).strip("<>")
    return f"<{bare}>" if bare else None


def _sent_at(
    value: str | None, internaldate: datetime | None, zone: tzinfo, defects: list[str]
) -> datetime | None:
    """The Date header as an aware datetime, or ``internaldate`` when it is missing or absurd."""
    arrived = _aware(internaldate, zone)
    parsed = _parse_date(value, zone) if value else None
    if parsed is not None and not _absurd(parsed, arrived):
        return parsed
    if value is None:
        reason = "missing Date"
    elif parsed is None:
        reason = "unparseable Date"
    else:
        reason = "absurd Date"
    defects.append(f"{reason}, used internaldate" if arrived else reason)
    return arrived


def _aware(moment: datetime | None, zone: tzinfo) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


def _parse_date(value: str, zone: tzinfo) -> datetime | None:
    text = _SPACE.sub(" ", value).strip()
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        utc = _UTC_UNKNOWN_ZONE.search(text) is not None
        parsed = parsed.replace(tzinfo=timezone.utc if utc else zone)
    return parsed


def _absurd(value: datetime, arrived: datetime | None) -> bool:
    if value.year < _EARLIEST_YEAR:
        return True
    return arrived is not None and value > arrived + _FUTURE_SLACK


def _salvage_headers(result: ParsedMessage, raw: bytes) -> None:
    """After a failed parse, read at least Message-ID and Subject with the stdlib header parser."""
    try:
        headers = _first_headers(BytesHeaderParser().parsebytes(raw))
        result.message_id = _first_id(headers.get("message-id", ""))
        result.subject = _decode_header(headers.get("subject", "")).strip()
    except Exception:  # noqa: BLE001 - best effort only
        return


# ---------------------------------------------------------------- charsets


def _charset_name(charset: str) -> str:
    name = charset.strip().strip("\"'").lower()
    if name in _KOREAN_CHARSETS:
        return "cp949"
    return _CHARSET_ALIASES.get(name, name)


def _codec(name: str) -> str | None:
    """The Python codec for a normalised charset name, or None when it is unknown."""
    if name in _GUESS_CHARSETS:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def _decode_bytes(data: bytes, charset: str, defects: list[str] | None = None) -> str:
    """Decode with the declared charset (Korean names as CP949), guessing when it is unknown."""
    name = _charset_name(charset)
    codec = _codec(name)
    if codec is None:
        if name not in _GUESS_CHARSETS and defects is not None:
            defects.append(f"bad charset {charset[:40]!r}")
        return _guess_decode(data)
    try:
        return data.decode(codec, "replace")
    except (LookupError, UnicodeError, ValueError):
        return _guess_decode(data)


def _guess_decode(data: bytes) -> str:
    """Decode 8-bit text of unknown charset: UTF-8, else CP949, else UTF-8 with replacements."""
    for codec in ("utf-8", "cp949"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


# ---------------------------------------------------------------- body


def _read_body(result: ParsedMessage, message: Message) -> None:
    """Fill text, html_only and the reply split from the message's body parts."""
    plain, html_parts = _text_parts(message, result.defects)
    text = "\n\n".join(plain).strip()
    if not text and html_parts:
        text = "\n\n".join(_html_to_text(part, result.defects) for part in html_parts).strip()
        result.html_only = bool(text)
        if text:
            result.defects.append("html converted")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        result.defects.append(f"truncated body to {MAX_TEXT_CHARS} chars")
    result.text = text
    result.new_text, result.quoted_text, result.signature = split_reply(text)


def _text_parts(message: Message, defects: list[str]) -> tuple[list[str], list[str]]:
    """Decoded text/plain and text/html bodies, skipping attachments and attached messages."""
    plain: list[str] = []
    html_parts: list[str] = []
    stack = [message]
    while stack:
        part = stack.pop()
        if part is not message and _is_attachment(part):
            continue
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed(children))
            continue
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            body = _part_text(part, defects)
            if body.strip():
                (plain if kind == "text/plain" else html_parts).append(body)
    return plain, html_parts


def _is_attachment(part: Message) -> bool:
    if part.get_content_maintype() == "message":
        return True
    disposition = str(part.get("content-disposition", "")).split(";", 1)[0].strip().lower()
    return disposition == "attachment" or bool(part.get_filename())


def _part_text(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    payload = payload[: MAX_TEXT_CHARS * _MAX_BYTES_PER_CHAR]
    charset = part.get_param("charset")
    return _decode_bytes(payload, str(charset) if isinstance(charset, str) else "", defects)


def _html_to_text(markup: str, defects: list[str]) -> str:
    """Readable text from HTML: inscriptis keeps line breaks and lays out table rows."""
    if len(markup) > _MAX_HTML_CHARS:
        markup = markup[:_MAX_HTML_CHARS]
        defects.append(f"truncated html to {_MAX_HTML_CHARS} chars")
    try:
        text = get_text(markup, _HTML_CONFIG)
    except Exception:  # noqa: BLE001 - lxml rejects some documents; fall back to tag stripping
        defects.append("html fallback")
        text = html.unescape(_TAG.sub(" ", markup))
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_RUN.sub("\n\n", lines)
