"""Split a plain-text mail body into the new text, the quoted history and the signature.

The scan is line by line with short, anchored patterns (no pattern is run over
more than a few joined lines), so time grows linearly with the body size.
"""
from __future__ import annotations

import re
from functools import lru_cache

_MAX_HEADER_LINES = 3
_MAX_SEPARATOR_CHARS = 120
_MAX_ATTRIBUTION_CHARS = 300
_WRAP_WIDTH = 60
_MAX_SIGNATURE_LINES = 20
_OUTLOOK_WINDOW = 9
_LANGUAGE_SAMPLE = 20_000

_SEPARATOR_PHRASES = frozenset(
    (
        "original message|original|message d'origine|ursprüngliche nachricht|"
        "oprindelig besked|opprinnelig melding|ursprungligt meddelande|"
        "alkuperäinen viesti|oorspronkelijk bericht|messaggio originale|"
        "mensaje original|mensagem original|исходное сообщение|"
        "forwarded message|message transféré|weitergeleitete nachricht|"
        "원본 메시지|원본 메일|원본 메세지|전달된 메시지|전달된 메일|"
        "전달 메시지|元のメッセージ|原始邮件|转发的邮件"
    ).split("|")
)
_SEPARATOR_CHARS = "-=_ "
_FORWARD_LINE = re.compile(
    r"(begin forwarded message|forwarded message|전달된 메시지|전달된 메일)\s*:?", re.I
)
_RULE = re.compile(r"[-_=*\s]{4,}")

_FROM_FIELDS = frozenset(
    (
        "from|보낸 사람|보낸사람|de|von|van|da|fra|från|od|от|lähettäjä|feladó|"
        "差出人|发件人|寄件者"
    ).split("|")
)
_OTHER_FIELDS = frozenset(
    (
        "sent|date|to|cc|bcc|subject|reply-to|보낸 날짜|보낸날짜|날짜|받는 사람|"
        "받는사람|참조|숨은 참조|제목|envoyé|envoyé le|date de|à|a|objet|sujet|copie à|"
        "message du|"
        "gesendet|an|datum|betreff|kopie|verzonden|aan|onderwerp|inviato|oggetto|data|"
        "dato|sendt|til|emne|kopi|skickat|ämne|lähetetty|vastaanottaja|aihe|"
        "enviado|enviada|para|asunto|assunto|wysłano|temat|do|отправлено|кому|тема|"
        "送信日時|宛先|件名|发送时间|收件人|主题"
    ).split("|")
)
_SUBJECT_FIELDS = frozenset(
    "subject|제목|objet|sujet|betreff|onderwerp|oggetto|emne|ämne|aihe|asunto|assunto|"
    "temat|тема|件名|主题".split("|")
)
_FIELD = re.compile(r"[*\s]*([^\W\d][\w .'-]{0,18}?)\s*\*?\s*[:：]")

_ATTRIBUTION_END = re.compile(
    r"(wrote|writes|a écrit|schrieb|escreveu|escribió|ha scritto|schreef|"
    r"napisał\(a\)|napisał|napisała|kirjoitti|skrev|написал\(а\)|написала|написал|"
    r"írta|님이 작성|写道|寫道|が書きました)\s*[:：]?$",
    re.I,
)
_ADDRESS_END = re.compile(r"[<(\[]\s*[^\s<>()\[\]]+@[^\s<>()\[\]]+\s*[>)\]]+\s*[:：]$")
_DIGIT_OR_AT = re.compile(r"[\d@]")
_DIGIT = re.compile(r"\d")
_LEAD = re.compile(r"(on|le|am|em|el|il|op|w dniu|dnia|in data|den|på|\d)\b", re.I)
_QUOTED_COLON = re.compile(r">\s*[:：]")
_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)

_MOBILE_SIGNATURE = re.compile(
    r"(sent from my(\s+[\w.'-]+){1,5}|sent from \w+(?=\s*<)|"
    r"sent from (mail|outlook|yahoo mail|gmail|samsung[\w ]{0,20}|android|blackberry|"
    r"protonmail)( for \w+)?( \d+)?|get outlook for \w+|"
    r"envoyé (de|à partir de) (mon|outlook)[\w\s]{0,30}|gesendet von[\w\s]{0,30}|"
    r"enviado desde mi[\w\s]{0,30}|inviato da[\w\s]{0,30}|"
    r".{0,30}(iphone|ipad|galaxy|갤럭시|android|안드로이드|모바일|outlook|스마트폰|휴대폰)"
    r"[\w ]{0,20}에서 (보냄|보냈습니다|발송)\.?)"
    r"(\s*<[^<>\s]*>)?\s*",
    re.I,
)
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")

# The first line of a legal disclaimer closing a mail ("This e-mail and any attachments are
# confidential ...", "본 메일은 ... 기밀 ..."): it and all that follows belong to the signature.
_DISCLAIMER = re.compile(
    r"[*\s\[(]*(?:"
    r"(?:confidentiality|legal|privacy)\s+(?:notice|note|statement|disclaimer)|disclaimer\s*[:：]|"
    r"privileged\s+(?:and|&)\s+confidential|"
    r"this\s+(?:e-?mail|message|communication|transmission)\b.{0,80}?\b(?:confidential|privileged|intended\s+(?:solely|only))|"
    r"the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication)|"
    r"if\s+you\s+(?:are\s+not\s+the\s+intended\s+recipient|have\s+received\s+this\b)|"
    r"(?:본|이)\s*(?:메일|이메일|e-?mail|전자\s*우편)\S{0,3}\s.{0,60}?(?:기밀|비밀|수신인|수신자|법적|무단)"
    r")",
    re.I,
)
_MAX_DISCLAIMER_LINES = 25


def split_reply(text: str) -> tuple[str, str, str]:
    """Split a mail body into ``(new_text, quoted_text, signature)``.

    The quoted history starts at the first reply or forward header ("On ...
    wrote:", Gmail's Korean "...님이 작성:", Outlook's "-----Original Message-----"
    or its From/Sent/To/Subject block in English, Korean and other languages,
    "----- 전달된 메시지 -----", "Begin forwarded message:") or at the first
    ``>``-quoted block. Text written between quoted blocks (inline or bottom
    replies) stays in ``new_text``. The signature starts at a ``--`` line, a
    mobile sign-off ("Sent from my iPhone", "iPhone에서 보냄") or a line of
    underscores, when only a few lines follow it; else at a business signature
    block closing the text (a name line, then title, company, address and at
    least one phone/fax/e-mail/web/address line; see ``_trailing_signature``).
    A legal disclaimer closing the text ("This e-mail ... is confidential", "본 메일은
    ... 기밀") goes to the signature too. All three are stripped of surrounding blank space.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    new_lines, quoted_lines = _separate_quotes(lines)
    disclaimer = _disclaimer_start(new_lines)
    new_lines, disclaimer_lines = new_lines[:disclaimer], new_lines[disclaimer:]
    sig_start = _signature_start(new_lines)
    if sig_start is None:
        sig_start = _trailing_signature(new_lines)
    signature = (new_lines[sig_start:] if sig_start is not None else []) + disclaimer_lines
    body = new_lines[:sig_start] if sig_start is not None else new_lines
    return _join(body), _join(quoted_lines), _join(signature)


def _disclaimer_start(lines: list[str]) -> int:
    """Index of the line opening a legal disclaimer at the end of ``lines`` (``len(lines)`` if none).
    Some text must come before it, and at most ``_MAX_DISCLAIMER_LINES`` lines after."""
    first_text = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    for i in range(max(first_text + 1, len(lines) - _MAX_DISCLAIMER_LINES), len(lines)):
        if _DISCLAIMER.match(lines[i]):
            return i
    return len(lines)


def forwarded_message(quoted: str) -> tuple[str, str] | None:
    """``(author address, new text)`` of the message that opens ``quoted`` with a
    header block ("---------- Forwarded message ---------" / "From: ... Subject:"),
    or None when it opens with no header naming its sender.  The new text is that
    message's own, without its quoted history and signature."""
    lines = quoted.replace("\r\n", "\n").split("\n")
    author = None
    i = _skip_blank(lines, 0)
    while i < len(lines):
        if _RULE.fullmatch(lines[i].strip()):
            i = _skip_blank(lines, i + 1)
            continue
        length = _header_length(lines, i)
        if not length:
            break
        author = next(filter(None, map(_sender_address, lines[i: i + length])), author)
        i = _skip_blank(lines, i + length)
    if author is None:
        return None
    return author, split_reply("\n".join(lines[i:]))[0]


def answered_message(quoted: str) -> str | None:
    """The new text of the message that opens ``quoted`` (as ``forwarded_message``)
    with the answers written into it kept: quote markers are taken off every line
    first ("1. Can you confirm the date?" / ">> KT: Confirmed - Dec 22")."""
    found = forwarded_message(_QUOTE_MARKS.sub("", quoted))
    return found[1] if found else None


def _sender_address(line: str) -> str | None:
    """The address on a From/보낸사람 header line, or None."""
    stripped = line.strip()
    if _field_name(stripped) not in _FROM_FIELDS:
        return None
    found = _EMAIL.search(stripped)
    return found.group(0).lower() if found else None


def detect_language(text: str) -> str:
    """Return ``"ko"`` when Hangul is at least a fifth of the letters in ``text``, else "en"."""
    sample = text[:_LANGUAGE_SAMPLE]
    hangul = len(_HANGUL.findall(sample))
    letters = sum(1 for ch in sample if ch.isalpha())
    return "ko" if letters and hangul / letters >= 0.2 else "en"


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _separate_quotes(lines: list[str]) -> tuple[list[str], list[str]]:
    """Walk the lines once, sending history to the second list and the rest to the first."""
    new_lines: list[str] = []
    quoted: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        header = _header_length(lines, i)
        if header:
            start = _rule_before(lines, i, new_lines)
            quoted.extend(new_lines[start:])
            del new_lines[start:]
            body = _skip_blank(lines, i + header)
            if body < n and _is_quoted(lines[body]):
                quoted.extend(lines[i:body])
                i = body
                continue
            quoted.extend(lines[i:])
            break
        if _is_quoted(lines[i]):
            i = _take_quoted_block(lines, i, quoted)
            continue
        new_lines.append(lines[i])
        i += 1
    return new_lines, quoted


def _take_quoted_block(lines: list[str], i: int, quoted: list[str]) -> int:
    """Move a run of ``>`` lines (with wrapped continuation lines) to ``quoted``."""
    n = len(lines)
    while i < n:
        line = lines[i]
        if _is_quoted(line) or (quoted and _continues_wrapped(quoted[-1], line)):
            quoted.append(line)
            i += 1
        else:
            break
    return i


def _continues_wrapped(previous: str, line: str) -> bool:
    """True when ``line`` is the tail of a long quoted line that a mailer wrapped."""
    return bool(line.strip()) and _is_quoted(previous) and _width(previous) >= _WRAP_WIDTH


def _width(line: str) -> int:
    return len(line) + sum(1 for ch in line if ch >= "\u1100")


def _is_quoted(line: str) -> bool:
    return line.lstrip(" \t").startswith(">")


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _rule_before(lines: list[str], i: int, new_lines: list[str]) -> int:
    """Index in ``new_lines`` where the header really starts: a rule line just above it counts."""
    start = len(new_lines)
    j = start - 1
    while j >= 0 and start - j <= 3 and not new_lines[j].strip():
        j -= 1
    if j >= 0 and start - j <= 3 and _RULE.fullmatch(new_lines[j]):
        return j
    return start


def _header_length(lines: list[str], i: int) -> int:
    """Number of lines of the quote or forward header starting at line ``i`` (0 if none)."""
    line = lines[i].strip()
    if not line or line.startswith(">") or len(line) > _MAX_ATTRIBUTION_CHARS:
        return 0
    if _is_separator(line) or _FORWARD_LINE.fullmatch(line):
        return 1
    if _field_name(line) is not None:
        return _outlook_block_length(lines, i)
    return _attribution_length(lines, i)


def _is_separator(line: str) -> bool:
    """True for "-----Original Message-----", "----- 전달된 메시지 -----" and the like."""
    if len(line) > _MAX_SEPARATOR_CHARS or not line.startswith("--"):
        return False
    return line.strip(_SEPARATOR_CHARS).lower() in _SEPARATOR_PHRASES


@lru_cache(maxsize=4096)
def _field_name(line: str) -> str | None:
    match = _FIELD.match(line)
    if not match:
        return None
    name = match.group(1).strip().lower()
    return name if name in _FROM_FIELDS or name in _OTHER_FIELDS else None


def _outlook_block_length(lines: list[str], i: int) -> int:
    """Length of a From/Sent/To/Subject block at ``i``: sender, subject and one more field."""
    names: list[str] = []
    end = i
    gap = 0
    for j in range(i, min(len(lines), i + _OUTLOOK_WINDOW)):
        line = lines[j].strip()
        name = _field_name(line) if line else None
        if name is None:
            gap += 1
            if gap > 1 or not line:
                break
            continue
        gap = 0
        names.append(name)
        end = j + 1
    distinct = set(names)
    if distinct & _FROM_FIELDS and distinct & _SUBJECT_FIELDS and len(distinct) >= 3:
        return end - i
    return 0


def _attribution_length(lines: list[str], i: int, undated: bool = True) -> int:
    """Length of an "On <date>, <name> wrote:" line, which mailers may wrap onto 2-3 lines.

    A wrapped header must have a digit (its date) on its first line, and is not
    taken when a dated header could start on the next line instead. ``undated``
    allows "Name wrote:" without date or address when a ``>`` block follows.
    """
    parts: list[str] = []
    for j in range(i, min(len(lines), i + _MAX_HEADER_LINES)):
        part = lines[j].strip()
        if not part or (parts and part.startswith(">") and not _QUOTED_COLON.fullmatch(part)):
            break
        parts.append(part)
        joined = " ".join(parts).strip("- ")
        if len(joined) > _MAX_ATTRIBUTION_CHARS:
            break
        if j > i and not _DIGIT.search(parts[0]):
            break
        if _may_end_attribution(joined) and _is_attribution(joined, lines, j + 1, undated):
            return j - i + 1 if j == i or not _header_starts_at(lines, i + 1) else 0
    return 0


def _may_end_attribution(joined: str) -> bool:
    return joined[-1:] in (":", "：") or joined[-5:].lower() == "wrote"


def _header_starts_at(lines: list[str], i: int) -> bool:
    """True when line ``i`` on its own opens a dated "On ... wrote:" header."""
    return bool(_LEAD.match(lines[i].strip())) and _attribution_length(lines, i, False) > 0


def _is_attribution(joined: str, lines: list[str], after: int, undated: bool) -> bool:
    tail = joined[-80:]
    if _ADDRESS_END.search(tail):
        return bool(_DIGIT.search(joined))
    if not _ATTRIBUTION_END.search(tail):
        return False
    if _DIGIT_OR_AT.search(joined):
        return True
    if not undated:
        return False
    following = _skip_blank(lines, after)
    return following < len(lines) and _is_quoted(lines[following])


def _signature_start(lines: list[str]) -> int | None:
    """Index of the first signature line in ``lines``, or None when there is none."""
    remaining = sum(1 for line in lines if line.strip())
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped:
            remaining -= 1
        if remaining <= _MAX_SIGNATURE_LINES and _starts_signature(line, stripped):
            return i
    return None


def _starts_signature(line: str, stripped: str) -> bool:
    if line.rstrip("\t") in ("--", "-- "):
        return True
    if len(stripped) >= 2 and set(stripped) == {"_"}:
        return True
    return (
        0 < len(stripped) <= _MAX_SEPARATOR_CHARS
        and _MOBILE_SIGNATURE.fullmatch(stripped) is not None
    )


# --- business signature blocks ---------------------------------------------------
# "박정훈 팀장 / 미래금융 IT인프라팀 / 서울 영등포구 여의대로 24, 12층 / T. 02-3770-1200",
# "Dana Whitfield / IT Director, Globex Korea / +82-2-6250-7000".

_MAX_BLOCK_LINES = 8
_MAX_BLOCK_LINE_CHARS = 90
_MAX_BLOCK_LINE_WORDS = 10
_KO_TITLES = (
    "팀장|과장|차장|부장|대리|사원|주임|책임|선임|수석|이사|상무|전무|사장|대표이사|대표|매니저|실장|소장|"
    "본부장|센터장|지점장|프로|연구원|위원|계장|주무관|PM|AM"
)
_KO_NAME = re.compile(rf"[가-힣]{{2,4}}(?:\s*(?:{_KO_TITLES}))?(?:\s*(?:{_KO_TITLES}))?")
_EN_NAME = re.compile(r"(?:[A-Z][a-z'’.-]+|[A-Z]\.)(?:\s+(?:[A-Z][A-Za-z'’.-]*|\([^()]{1,20}\))){0,3}")
_NAME_SPLIT = re.compile(r"\s*(?:[|/·,]|\s{2,}|\t)\s*")
_SIGN_OFF = re.compile(
    r"(?:(?:many\s+|best\s+)?thanks(?:\s+(?:and|&)\s+(?:best\s+)?regards)?|thank\s+you|thx|cheers|"
    r"(?:best|kind|warm|warmest)(?:\s+(?:regards|wishes))?|regards|sincerely(?:\s+yours)?|yours(?:\s+truly)?|br|"
    r"감사합니다|고맙습니다|수고하세요|수고하십시오|잘\s*부탁드립니다|[가-힣\s]{2,12}(?:드림|올림))"
    r"[\s,.!~^]*",
    re.I,
)
# A phone number: international ("+82-2-6250-7000", "+65 6123 4567") or domestic with
# a leading 0 ("02-3770-1200", "010-1234-5678", "(02) 555-1234"); separators required,
# so order numbers and dates are not phones.
_PHONE = re.compile(
    r"(?<![\w-])(?:\+\d{1,3}[\s.-]?(?:\(0?\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]\d{3,4}){1,2}"
    r"|\(?0\d{1,2}\)?[\s.-]?\d{3,4}[\s.-]\d{4})(?![\w-])"
)
_CONTACT_LABEL = re.compile(
    r"(?:^|[|/·,]\s*)(?:t|m|f|p|e|hp|h\.p|tel|phone|mobile|mob|cell|fax|direct|office|email|e-mail|web|"
    r"내선|전화|휴대폰|핸드폰|팩스|직통|이메일|주소)\s*[.:)]?\s*[+(\d]",
    re.I,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\bwww\.|https?://|\b[\w-]+\.(?:com|net|org|co\.kr|kr|io)\b", re.I)
_KO_ADDRESS = re.compile(r"[가-힣]+(?:구|군|시)\s+[가-힣\d]+(?:로|길|동)\s*\d+")
_SIGNATURE_RULE = re.compile(r"[-_=—–~*]{2,}")
_BULLET = re.compile(r"[-*•·■□▶▷◆◇※>]\s|\d{1,2}[.)]\s")
# A sentence, not a signature line: Korean verb endings, or a question/exclamation.
_KO_SENTENCE_END = re.compile(r"(?:다|요|까|죠|네|세요|음|함|됨|니다)[\s.!?~^)]*$")
_EN_SENTENCE = re.compile(r"[a-z][\w,']*(?:\s+\S+){3,}[.!?]$")
_ABBREVIATION_END = re.compile(r"\b(?:ltd|inc|co|corp|llc|gmbh|pte|pty|plc|jr|sr)\.$", re.I)


def _is_contact(line: str) -> bool:
    return bool(
        _PHONE.search(line) or _CONTACT_LABEL.search(line) or _EMAIL.search(line)
        or _URL.search(line) or _KO_ADDRESS.search(line)
    )


def _is_sign_off(line: str) -> bool:
    return _SIGN_OFF.fullmatch(line) is not None


def _is_signature_line(line: str) -> bool:
    """A line a signature block may hold: short, no bullet, not a sentence."""
    if len(line) > _MAX_BLOCK_LINE_CHARS or len(line.split()) > _MAX_BLOCK_LINE_WORDS:
        return False
    if _BULLET.match(line) or line.endswith(("?", "!", "？", ":", "：")):
        return False
    if _KO_SENTENCE_END.search(line) and not _is_sign_off(line):
        return False
    if line.endswith(".") and not _ABBREVIATION_END.search(line) and (
        _HANGUL.search(line[-3:]) or _EN_SENTENCE.search(line)
    ):
        return False
    return True


def _is_name_line(line: str) -> bool:
    """"박정훈 팀장", "이성호 | Partner Sales PM", "Dana Whitfield", "Minsu Kim | Sales Manager"."""
    if _is_sign_off(line):
        return False
    first = _NAME_SPLIT.split(line, maxsplit=1)[0]
    return bool(_KO_NAME.fullmatch(first) or _EN_NAME.fullmatch(first))


def _trailing_signature(lines: list[str]) -> int | None:
    """Start of a business signature block closing ``lines``, or None.

    The block is the run of signature-like lines at the very end (no blank line
    inside, at most ``_MAX_BLOCK_LINES``), starting at a name line (or right after a
    sign-off such as "감사합니다." / "김민수 드림" / "Thanks,", which stays in the new
    text), and holding at least one contact line (phone, fax, e-mail, web address,
    street address).  Some text must come before it.  A last paragraph that is a
    sentence ("급하면 010-1234-5678로 전화 주세요.") is never taken.
    """
    end = len(lines) - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0:
        return None
    run = end
    while run >= 0 and end - run < _MAX_BLOCK_LINES:
        line = lines[run].strip()
        if not line or not _is_signature_line(line):
            break
        run -= 1
    run += 1
    if run > end:
        return None
    if run > 0 and lines[run - 1].rstrip().endswith((":", "：")):
        return None  # "담당자 연락처:" / "Contact:" introduces the lines as content
    start = None
    before = run - 1
    while before >= 0 and run - before <= 2 and not lines[before].strip():
        before -= 1
    after_sign_off = before >= 0 and _is_sign_off(lines[before].strip())
    for i in range(run, end + 1):
        line = lines[i].strip()
        if _is_sign_off(line):
            after_sign_off, start = True, None
            continue
        if start is None and (after_sign_off or _is_name_line(line)):
            start = i
            after_sign_off = False
    if start is None or not any(_is_contact(lines[i].strip()) for i in range(start, end + 1)):
        return None
    if start > run and _SIGNATURE_RULE.fullmatch(lines[start - 1].strip()):
        start -= 1  # a rule line ("—————", "-----") opening the block goes with it
    if not any(line.strip() for line in lines[:start]):
        return None
    return start
