"""Tests for parsers.message: raw bytes to ParsedMessage."""
from __future__ import annotations

import base64
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import parsers.message as message_module
from parsers.message import MAX_TEXT_CHARS, parse_message
from parsers.types import Address

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "mime"
needs_corpus = pytest.mark.skipif(
    not CORPORA.is_dir(), reason=f"shared MIME corpus not found at {CORPORA}"
)
KST = timezone(timedelta(hours=9))
ARRIVED = datetime(2026, 12, 1, 9, 15, tzinfo=KST)
# 똠, 똑 and 믜 exist in CP949 but not in EUC-KR (KS X 1001).
KOREAN = "똠방각하, 똑똑한 믜 납기 12월 16일"


def build(headers: dict[str, str], body: bytes | str = "본문", **extra: str) -> bytes:
    """A single-part message; ``headers`` are written as given (str encoded as UTF-8)."""
    lines = {"Message-ID": "<m1@vendor.com>", "Date": "Tue, 1 Dec 2026 09:12:30 +0900", **headers, **extra}
    head = "".join(f"{name}: {value}\r\n" for name, value in lines.items() if value is not None)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head.encode("utf-8") + b"\r\n" + data


def korean_part(charset: str, cte: str = "8bit") -> bytes:
    data = KOREAN.encode("cp949")
    if cte == "base64":
        data = base64.encodebytes(data)
    return build(
        {"Content-Type": f'text/plain; charset="{charset}"', "Content-Transfer-Encoding": cte}, data
    )


@pytest.mark.parametrize(
    "charset",
    ["ks_c_5601-1987", "ks_c_5601", "euc-kr", "euc_kr", "EUC-KR", "ksc5601", "x-windows-949", "korean", "cp949"],
)
@pytest.mark.parametrize("cte", ["8bit", "base64"])
def test_korean_charsets_decode_as_cp949(charset: str, cte: str) -> None:
    parsed = parse_message(korean_part(charset, cte))
    assert parsed.error is None
    assert parsed.text == KOREAN
    assert parsed.new_text == KOREAN


def test_encoded_word_subject_in_ks_c_5601() -> None:
    word = base64.b64encode("RE: 똠방각하 납기".encode("cp949")).decode()
    parsed = parse_message(build({"Subject": f"=?ks_c_5601-1987?B?{word}?="}))
    assert parsed.subject == "RE: 똠방각하 납기"


def test_encoded_words_split_mid_character_are_joined() -> None:
    data = "납기 지연 안내".encode("utf-8")
    first, second = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    parsed = parse_message(build({"Subject": f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?="}))
    assert parsed.subject == "납기 지연 안내"


def test_q_encoding_and_plain_text_around_words() -> None:
    parsed = parse_message(build({"Subject": "RE: =?utf-8?Q?PO_4512_=EB=82=A9=EA=B8=B0?= (urgent)"}))
    assert parsed.subject == "RE: PO 4512 납기 (urgent)"


def test_broken_encoded_word_is_left_readable() -> None:
    parsed = parse_message(build({"Subject": "=?utf-8?B?@@@?= hello =?bogus-charset?Q?abc?="}))
    assert parsed.error is None
    assert "hello" in parsed.subject and "abc" in parsed.subject


def test_raw_utf8_and_cp949_headers() -> None:
    raw = (
        "From: 박민수 <Park@Vendor.com>\r\nTo: 김민수 <kim@customer.co.kr>\r\n".encode("utf-8")
        + "Subject: 똠방각하 납기\r\n".encode("cp949")
        + b"Message-ID: <m2@vendor.com>\r\n\r\nbody"
    )
    parsed = parse_message(raw)
    assert parsed.from_ == Address("박민수", "park@vendor.com")
    assert parsed.to == [Address("김민수", "kim@customer.co.kr")]
    assert parsed.subject == "똠방각하 납기"


def test_addresses_with_quotes_commas_and_encoded_names() -> None:
    name = base64.b64encode("김, 민수".encode("utf-8")).decode()
    parsed = parse_message(
        build(
            {
                "From": '"Park, Minsu (Sales)" <Minsu.Park@Vendor.COM>',
                "To": f'=?UTF-8?B?{name}?= <kim@customer.co.kr>, "=?utf-8?Q?Lee?=" <LEE@x.kr>, plain@x.kr',
                "Cc": "Undisclosed recipients:;",
                "Reply-To": "Sales <sales@vendor.com>",
            }
        )
    )
    assert parsed.from_ == Address("Park, Minsu (Sales)", "minsu.park@vendor.com")
    assert parsed.to == [
        Address("김, 민수", "kim@customer.co.kr"),
        Address("Lee", "lee@x.kr"),
        Address("", "plain@x.kr"),
    ]
    assert parsed.cc == []
    assert parsed.reply_to == [Address("Sales", "sales@vendor.com")]
    assert parsed.from_.domain == "vendor.com"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("<abc@vendor.com>", "<abc@vendor.com>"),
        ("  < abc@vendor.com >  ", "<abc@vendor.com>"),
        ("<abc@\r\n vendor.com>", "<abc@vendor.com>"),
        ("abc@vendor.com", "<abc@vendor.com>"),
        ("", None),
        (None, None),
    ],
)
def test_message_id_normalised(value: str | None, expected: str | None) -> None:
    assert parse_message(build({"Message-ID": value})).message_id == expected


def test_in_reply_to_and_references() -> None:
    parsed = parse_message(
        build(
            {
                "In-Reply-To": " <b@x.com> (Kim's message)",
                "References": "<a@x.com>\r\n\t<b@x.com> <c@\r\n x.com>  <a@x.com>",
            }
        )
    )
    assert parsed.in_reply_to == "<b@x.com>"
    assert parsed.references == ["<a@x.com>", "<b@x.com>", "<c@x.com>"]


def test_date_keeps_the_senders_offset() -> None:
    parsed = parse_message(build({"Date": "Mon, 30 Nov 2026 19:12:30 -0500 (EST)"}))
    assert parsed.sent_at == datetime(2026, 11, 30, 19, 12, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert parsed.sent_at.utcoffset() == timedelta(hours=-5)
    assert parsed.defects == []


def test_naive_date_uses_default_timezone() -> None:
    raw = build({"Date": "Tue, 1 Dec 2026 09:12:30"})
    assert parse_message(raw).sent_at == datetime(2026, 12, 1, 9, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    other = parse_message(raw, default_tz="America/New_York").sent_at
    assert other == datetime(2026, 12, 1, 9, 12, 30, tzinfo=ZoneInfo("America/New_York"))


def test_minus_zero_zone_is_utc() -> None:
    parsed = parse_message(build({"Date": "Tue, 1 Dec 2026 00:12:30 -0000"}))
    assert parsed.sent_at == datetime(2026, 12, 1, 0, 12, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "date,reason",
    [
        (None, "missing Date"),
        ("yesterday-ish", "unparseable Date"),
        ("Thu, 1 Jan 1970 00:00:00 +0000", "absurd Date"),
        ("Fri, 4 Dec 2026 09:12:30 +0900", "absurd Date"),
        ("Tue, 1 Dec 2099 09:12:30 +0900", "absurd Date"),
    ],
)
def test_bad_dates_fall_back_to_internaldate(date: str | None, reason: str) -> None:
    parsed = parse_message(build({"Date": date}), internaldate=ARRIVED)
    assert parsed.sent_at == ARRIVED
    assert f"{reason}, used internaldate" in parsed.defects


def test_date_within_two_days_of_arrival_is_kept() -> None:
    parsed = parse_message(build({"Date": "Thu, 3 Dec 2026 09:00:00 +0900"}), internaldate=ARRIVED)
    assert parsed.sent_at == datetime(2026, 12, 3, 9, tzinfo=KST)


def test_naive_internaldate_gets_default_timezone() -> None:
    parsed = parse_message(build({"Date": None}), internaldate=datetime(2026, 12, 1, 9, 15))
    assert parsed.sent_at == datetime(2026, 12, 1, 9, 15, tzinfo=ZoneInfo("Asia/Seoul"))


def test_missing_date_without_internaldate() -> None:
    parsed = parse_message(build({"Date": None}))
    assert parsed.sent_at is None
    assert parsed.defects == ["missing Date"]


def test_unknown_default_timezone_falls_back_to_utc() -> None:
    parsed = parse_message(build({"Date": "Tue, 1 Dec 2026 09:12:30"}), default_tz="Mars/Olympus")
    assert parsed.error is None
    assert parsed.sent_at == datetime(2026, 12, 1, 9, 12, 30, tzinfo=timezone.utc)
    assert any("unknown timezone" in d for d in parsed.defects)


HTML = (
    "<html><body><p>안녕하세요,<br>납기 안내드립니다.</p>"
    "<table><tr><th>PO</th><th>ETA</th></tr>"
    "<tr><td>PO-4512</td><td>2026-12-16</td></tr>"
    "<tr><td>PO-4513</td><td>2026-12-20</td></tr></table>"
    "<p>감사합니다 &amp; 좋은 하루</p></body></html>"
)


def test_html_only_message_is_converted() -> None:
    parsed = parse_message(build({"Content-Type": "text/html; charset=utf-8"}, HTML))
    assert parsed.html_only is True
    assert "html converted" in parsed.defects
    lines = [line.strip() for line in parsed.text.splitlines()]
    assert "안녕하세요," in lines and "납기 안내드립니다." in lines
    assert any(line.startswith("PO-4512") and line.endswith("2026-12-16") and "|" in line for line in lines)
    assert any(line.startswith("PO-4513") and line.endswith("2026-12-20") for line in lines)
    assert "감사합니다 & 좋은 하루" in lines
    assert "<" not in parsed.text


def test_html_reply_is_split_and_lines_are_trimmed() -> None:
    markup = (
        "<div>Thanks, ETA is 12/16.</div><div class='gmail_quote'>"
        "<div>On Tue, Dec 1, 2026 at 9:12 AM Kim &lt;k@x.com&gt; wrote:</div>"
        "<blockquote><table><tr><td>PO-4512</td><td>when?</td></tr></table></blockquote></div>"
    )
    parsed = parse_message(build({"Content-Type": "text/html; charset=utf-8"}, markup))
    assert parsed.new_text == "Thanks, ETA is 12/16."
    assert parsed.quoted_text.startswith("On Tue, Dec 1, 2026 at 9:12 AM Kim <k@x.com> wrote:")
    assert "when?" in parsed.quoted_text
    assert all(line == line.rstrip() for line in parsed.text.splitlines())


def multipart(*parts: tuple[str, bytes], subtype: str = "mixed") -> bytes:
    boundary = "==b=="
    head = build({"Content-Type": f'multipart/{subtype}; boundary="{boundary}"'}, b"")
    body = b"".join(
        f"--{boundary}\r\n{headers}\r\n\r\n".encode() + payload + b"\r\n" for headers, payload in parts
    )
    return head + body + f"--{boundary}--\r\n".encode()


def test_alternative_prefers_plain_text() -> None:
    raw = multipart(
        ("Content-Type: text/plain; charset=ks_c_5601-1987", KOREAN.encode("cp949")),
        ("Content-Type: text/html; charset=utf-8", b"<p>HTML version</p>"),
        subtype="alternative",
    )
    parsed = parse_message(raw)
    assert parsed.text == KOREAN
    assert parsed.html_only is False


def test_attachments_are_never_read() -> None:
    raw = multipart(
        ("Content-Type: text/plain; charset=utf-8", "납기 회신드립니다.".encode()),
        ('Content-Type: text/plain; name="po.txt"\r\nContent-Disposition: attachment; filename="po.txt"', b"ATTACHED-SECRET"),
        ("Content-Type: text/csv\r\nContent-Disposition: attachment", b"CSV-SECRET"),
        ("Content-Type: message/rfc822", b"Subject: inner\r\n\r\nINNER-SECRET"),
        ("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64", base64.encodebytes(b"%PDF-SECRET")),
    )
    parsed = parse_message(raw)
    assert parsed.text == "납기 회신드립니다."
    assert "SECRET" not in parsed.text


def test_unknown_charset_is_replaced_not_fatal() -> None:
    raw = build(
        {"Content-Type": "text/plain; charset=x-bogus-42", "Content-Transfer-Encoding": "8bit"},
        "ok ".encode() + b"\xff\xfe" + " 끝".encode(),
    )
    parsed = parse_message(raw)
    assert parsed.error is None
    assert parsed.text.startswith("ok ") and parsed.text.endswith("끝")
    assert "bad charset 'x-bogus-42'" in parsed.defects


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_8bit_text_without_charset_is_guessed(encoding: str) -> None:
    raw = build({"Content-Transfer-Encoding": "8bit"}, KOREAN.encode(encoding))
    assert parse_message(raw).text == KOREAN


def test_line_endings_are_normalised_and_reply_split() -> None:
    body = (
        "네, 12월 16일 출하 예정입니다.\r\n\r\n감사합니다.\r\n\r\n"
        "-----Original Message-----\r\nFrom: 김민수 <kim@customer.co.kr>\r\n"
        "Sent: Tuesday, December 1, 2026 9:00 AM\r\nTo: park@vendor.com\r\nSubject: 납기 문의\r\n\r\n"
        "납기 확인 부탁드립니다.\r\n"
    )
    parsed = parse_message(build({"Content-Type": "text/plain; charset=utf-8"}, body))
    assert "\r" not in parsed.text
    assert parsed.new_text == "네, 12월 16일 출하 예정입니다.\n\n감사합니다."
    assert parsed.quoted_text.startswith("-----Original Message-----\nFrom: 김민수")


def test_huge_body_is_truncated() -> None:
    parsed = parse_message(build({"Content-Type": "text/plain; charset=utf-8"}, "가나다라 " * 60_000))
    assert len(parsed.text) == MAX_TEXT_CHARS
    assert f"truncated body to {MAX_TEXT_CHARS} chars" in parsed.defects


def test_failure_inside_the_parse_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(_: bytes) -> None:
        raise RecursionError("too deep")

    monkeypatch.setattr(message_module, "_mime_parse", explode)
    parsed = parse_message(build({"Subject": "=?utf-8?B?64Kp6riw?="}))
    assert parsed.error == "unparseable: RecursionError: too deep"
    assert parsed.message_id == "<m1@vendor.com>"
    assert parsed.subject == "납기"


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00" * 100, b"\xff\xfe" * 500, b"Subject: only headers", b"no headers at all\n\njust text", "str 입력"],
    ids=["empty", "nul", "binary", "headers-only", "no-headers", "str"],
)
def test_garbage_never_raises(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str)


@needs_corpus
def test_mikel_ks_c_5601_file() -> None:
    raw = (CORPORA / "mikel-mail" / "multi_charset" / "ks_c_5601-1987.eml").read_bytes()
    parsed = parse_message(raw)
    assert parsed.text == "스티해"
    assert parsed.message_id == "<from@example.com>"
    assert parsed.sent_at == datetime(2014, 5, 28, 17, 18, 19, tzinfo=KST)


@needs_corpus
@pytest.mark.parametrize(
    "name,subject,text",
    [
        ("japanese.eml", "まみむめも", "かきくえこ"),
        ("japanese_iso_2022.eml", "まみむめも", "すみません。"),
        ("japanese_shift_jis.eml", "test", "あいうえお"),
        ("quoted-printable.eml", "", "Valid: 是 Invalid: \ufffd"),
    ],
)
def test_mikel_multi_charset_files(name: str, subject: str, text: str) -> None:
    parsed = parse_message((CORPORA / "mikel-mail" / "multi_charset" / name).read_bytes())
    assert parsed.error is None
    assert parsed.subject == subject
    assert parsed.text.startswith(text)


@needs_corpus
def test_rfc6532_utf8_headers() -> None:
    parsed = parse_message((CORPORA / "mikel-mail" / "rfc6532" / "utf8_headers.eml").read_bytes())
    assert parsed.subject == "Säying Hello"
    assert parsed.from_ == Address("Jöhn Doe", "jdöe@mächine.example")


@needs_corpus
def test_encoded_display_name_with_comma() -> None:
    parsed = parse_message((CORPORA / "mail-parser" / "mail_test_18").read_bytes())
    assert parsed.from_ == Address("LastßlName, FirstName", "comma.name@example.com")


def corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(
        path
        for path in CORPORA.rglob("*")
        if path.is_file() and not path.name.startswith(("LICENSE", "README"))
    )


@needs_corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPORA)))
def test_every_corpus_file_parses(path: Path) -> None:
    parsed = parse_message(path.read_bytes(), internaldate=ARRIVED)
    assert isinstance(parsed.text, str) and len(parsed.text) <= MAX_TEXT_CHARS
    assert parsed.sent_at is None or parsed.sent_at.tzinfo is not None


@needs_corpus
@pytest.mark.parametrize(
    "name", ["flanker/dkim/email.01", "flanker/long-header.eml", "flanker/torture.eml", "flanker/enclosed-endless.eml"]
)
def test_hard_corpus_files_in_reasonable_time(name: str) -> None:
    raw = (CORPORA / name).read_bytes()
    start = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - start < 2.0
    assert parsed.error is None


def test_typical_message_is_fast() -> None:
    body = ("안녕하세요, PO-2026-0412 건 12월 16일 출하 예정입니다.\n" * 20).encode()
    raw = build(
        {
            "From": "=?UTF-8?B?67CV66+87IiY?= <park@vendor.com>",
            "To": '"Kim, Minsu" <kim@customer.co.kr>',
            "Subject": "=?UTF-8?B?UkU6IOuCqeq4sCDrrLjsnZg=?=",
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Transfer-Encoding": "base64",
        },
        base64.encodebytes(body),
    )
    assert 1500 < len(raw) < 3000
    times = []
    for _ in range(60):
        start = time.perf_counter()
        parse_message(raw)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.005


def test_deep_nesting_is_reported_not_raised() -> None:
    """mail-parser's guard turns the stdlib parser's RecursionError into an error."""
    depth = 3000
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    raw = ("Message-ID: <deep@x>\nSubject: deep\n" + head + "Content-Type: text/plain\n\nhi\n").encode()
    parsed = parse_message(raw)
    assert parsed.error is None or parsed.error.startswith("unparseable")
