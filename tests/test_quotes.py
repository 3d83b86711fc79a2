"""Tests for parsers.quotes: reply/quote/signature splitting and language guessing."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from parsers.quotes import answered_message, detect_language, forwarded_message, split_reply

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "mime"
CRISP = CORPORA / "crisp-email-reply-parser"
ZAPIER = CORPORA / "zapier-email-reply-parser"
needs_corpus = pytest.mark.skipif(
    not CORPORA.is_dir(), reason=f"shared MIME corpus not found at {CORPORA}"
)

COMMON_FIRST_FRAGMENT = (
    "Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, "
    "pharetra sodales ante sem sit amet metus.\n"
    "Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, "
    "convallis consectetur ex libero eget ante.\n"
    "Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum "
    "venenatis ex a rutrum.\n"
    "Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum "
    "convallis lectus urna,\n"
    "et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh."
)


def corpus_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def split_file(path: Path) -> tuple[str, str, str]:
    return split_reply(corpus_text(path))


# Crisp fixtures whose upstream test expects the first fragment to be the Lorem
# paragraph, with the line that starts the quoted history.
COMMON_CASES = {
    "email_7.txt": "Il giovedì 8 dicembre 2016",
    "email_8.txt": "Op 12 december 2016 19:05 schreef",
    "email_9.txt": "Message du : 12/12/2016 13:20",
    "email_10.txt": "De : Company Questions",
    "email_11.txt": "De : Company Questions",
    "email_12.txt": "Van: Company Questions",
    "email_13.txt": "Da: Company Questions",
    "email_14.txt": "W dniu 2017-01-09",
    "email_15.txt": "Sent from my Wiko",
    "email_16.txt": "Dnia 27 grudnia 2016",
    "email_17.txt": "W dniu 2017-01-09",
    "email_18.txt": "From: John Jung",
    "email_22.txt": "30.09.2017, 18.30",
    "email_23.txt": "2017-11-24 16:32 GMT+01:00",
    "email_24.txt": "On Wed, 14 Nov 2018 08:14:43",
    "email_25.txt": "11:00 AM, November 17, 2021",
    "email_26.txt": "Wednesday, 17 November 2021",
    "email_portuguese.txt": "Em 10 de julho de 2017",
    "email_german.txt": "Am 13.12.2017 21:11 schrieb",
    "email_german_2.txt": "Von: John Doe",
    "email_german_3.txt": "Gesendet von Outlook",
    "email_german_outlook.txt": "-----Ursprüngliche Nachricht-----",
    "email_norwegian_gmail.txt": "tir. 18. apr. 2017 kl. 13:09 skrev",
    "email_finnish.txt": "pe 20. lokakuuta 2017 klo 17.50",
    "email_italian.txt": "In data 11 ottobre 2017",
    "email_russian.txt": "John Doe <doe@example.com>:",
    "email_outlook_split_line_from.txt": "From: Human Resources",
    "email_gmail_split_line_from.txt": "On Mon, Aug 26, 2019 at 4:37 PM",
    "email_ios_outlook.txt": "From: The Hiring Engine",
    "email_ios_outlook_fr.txt": "From: The Hiring Engine",
    "email_msn.txt": "From: The Hiring Engine Automation",
    "email_fr_multiline.txt": "Le lun. 15 nov. 2021 à 19:42",
    "email_french_2.txt": "Le 29 avr. 2025 à 11:11",
    "email_en_multiline_2.txt": "On Tue, 16 Nov 2021, 12:34 pm",
    "email_original_message.txt": "-----original message-----",
    "email_original_message_2.txt": "----- Original Message -----",
    "email_danish_dash_separator.txt": "-------- Oprindelig besked --------",
    "email_french_dash_separator.txt": "-------- Message d'origine --------",
    "email_tricky_5_mixed_languages.txt": "Le 15 janv. 2024",
    "email_tricky_10_special_chars_in_name.txt": "O'Brien, Patrick",
    "email_tricky_12_no_space_after_header.txt": "On Dec 15, 2024, at 3:00 PM",
    "email_tricky_14_long_quote_header.txt": "John William Smith Junior",
    "email_tricky_15_original_message_variations.txt": "-----Original Message-----",
}


@needs_corpus
@pytest.mark.parametrize("name,header", sorted(COMMON_CASES.items()))
def test_crisp_first_fragment_is_the_new_text(name: str, header: str) -> None:
    new_text, quoted, signature = split_file(CRISP / name)
    assert new_text == COMMON_FIRST_FRAGMENT
    assert header not in new_text
    assert header in quoted or header in signature


# (folder, file, expected start of new_text, text that must not be in new_text)
FIRST_FRAGMENT_CASES = [
    (CRISP, "email_1.txt", "Hi folks", "riak-users mailing list"),
    (CRISP, "email_3.txt", "Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona", "Russell Brown wrote"),
    (CRISP, "email_4.txt", "Awesome! I haven't had another problem with it.", "Loader"),
    (CRISP, "email_6.txt", "I get proper rendering as well.", "Corey Donohoe"),
    (CRISP, "email_19.txt", "On Thursday, I get proper rendering.", "wrote:"),
    (CRISP, "email_thread.txt", "This is new email reply in thread from bellow.", "John Doe <john@doe123.com>"),
    (CRISP, "email_zoho.txt", "What is the best way to clear a Riak bucket of all key, values after\nrunning a test?", "Java sucks"),
    (CRISP, "email_one_is_not_on.txt", "Thank, this is really helpful.\n\nOne outstanding question I had:", "Dave Tapley wrote"),
    (CRISP, "email_reply_header.txt", "This is the latest reply.", "mrmister@example.com"),
    (CRISP, "email_with_regards.txt", "Hi, \n\nI still have the same problem....\n\nCan you help?", ""),
    (CRISP, "email_customer_quote_header_2.txt", "Thank you very much.", "From: somedude"),
    (CRISP, "email_customer_quote_header_3.txt", "bonjour,\nje n'ai pas eu de retour", "De : Someone Somewhere"),
    (CRISP, "email_custom_quote_header.txt", "Thank you!", "keltezéssel"),
    (CRISP, "email_unquoted_reply.txt", "This is my reply.", "This is my quote."),
    (CRISP, "email_bullets.txt", "test 2 this should list second", "examples@email.goalengine.com"),
    (CRISP, "email_2_1.txt", "Outlook with a reply", "Google Apps Sync Team"),
    (CRISP, "email_tricky_9_nested_quotes.txt", "I agree with the points below.", "Jane Doe"),
    (CRISP, "email_tricky_17_forward_header.txt", "See the forwarded message below.", "Forwarded message"),
    (CRISP, "email_tricky_20_html_entities.txt", "The data should be &gt; 100 and &lt; 200.", "Johnny"),
    (ZAPIER, "email_1_1.txt", "Hi folks", "riak-users mailing list"),
    (ZAPIER, "email_1_3.txt", "Oh thanks.", "Russell Brown wrote"),
    (ZAPIER, "email_1_4.txt", "Awesome! I haven't had another problem with it.", "Loader"),
    (ZAPIER, "email_1_6.txt", "I get proper rendering as well.", "Corey Donohoe"),
    (ZAPIER, "email_1_7.txt", ":+1:", "Steps 0-2"),
    (ZAPIER, "email_2_1.txt", "Outlook with a reply", "Google Apps Sync Team"),
    (ZAPIER, "email_2_2.txt", "Outlook with a reply directly above line", "CRM Comments"),
    (ZAPIER, "email_2_3.txt", "Outlook with a reply above headers using unusual format", "Kim via Site"),
    (ZAPIER, "email_gmail.txt", "This is a test for inbox replying to a github message.", "Steven Scott"),
    (ZAPIER, "email_headers_no_delimiter.txt", "And another reply!", "Dan Watson"),
    (ZAPIER, "email_one_is_not_on.txt", "Thank, this is really helpful.", "On Oct 1, 2012, at 11:55 PM, Dave Tapley wrote:"),
    (ZAPIER, "email_partial_quote_header.txt", "On your remote host you can run:", "George Plymale"),
    (ZAPIER, "greedy_on.txt", "On your remote host you can run:", "On 9 Jan 2014"),
]


@needs_corpus
@pytest.mark.parametrize("folder,name,start,absent", FIRST_FRAGMENT_CASES)
def test_first_visible_fragment(folder: Path, name: str, start: str, absent: str) -> None:
    new_text, quoted, signature = split_file(folder / name)
    assert new_text.startswith(start)
    if absent:
        assert absent not in new_text
        assert absent in quoted + signature


@needs_corpus
@pytest.mark.parametrize("folder", [CRISP, ZAPIER], ids=["crisp", "zapier"])
def test_bottom_post_keeps_the_reply_below_the_quote(folder: Path) -> None:
    name = "email_2.txt" if folder == CRISP else "email_1_2.txt"
    new_text, quoted, signature = split_file(folder / name)
    assert new_text.startswith("Hi,")
    assert "You can list the keys for the bucket" in new_text
    assert "Abhishek Kona wrote:" not in new_text
    assert "> Hi folks" in quoted
    assert "riak-users mailing list" in signature


@needs_corpus
def test_sent_from_app_line_is_signature() -> None:
    new_text, quoted, signature = split_file(CRISP / "email_sent_from.txt")
    assert new_text == (
        "Hi it can happen to any texts you type, as long as you type in between words or paragraphs."
    )
    assert signature.startswith("Sent from TypeApp")
    assert "Valerian - Crisp" in quoted


@needs_corpus
@pytest.mark.parametrize(
    "folder,name,signature",
    [
        (CRISP, "email_iphone.txt", "Sent from my iPhone"),
        (CRISP, "email_blackberry.txt", "Sent from my BlackBerry"),
        (CRISP, "email_multi_word_sent_from_my_mobile_device.txt", "Sent from my Verizon Wireless BlackBerry"),
        (ZAPIER, "email_iPhone.txt", "Sent from my iPhone"),
        (ZAPIER, "email_BlackBerry.txt", "Sent from my BlackBerry"),
    ],
)
def test_mobile_signatures(folder: Path, name: str, signature: str) -> None:
    assert split_file(folder / name) == ("Here is another email", "", signature)


@needs_corpus
@pytest.mark.parametrize(
    "folder,name,body",
    [
        (CRISP, "correct_sig.txt", "this is an email with a correct -- signature."),
        (CRISP, "sig_no_empty_line.txt", "this is an email with a signature with no empty line above."),
        (ZAPIER, "correct_sig.txt", "this is an email with a correct -- signature."),
    ],
)
def test_dash_dash_signature(folder: Path, name: str, body: str) -> None:
    new_text, quoted, signature = split_file(folder / name)
    assert (new_text, quoted) == (body, "")
    assert signature.replace("-- ", "--") == "--\nrick"


@needs_corpus
def test_double_signature_starts_at_dashes() -> None:
    new_text, _, signature = split_file(CRISP / "email_tricky_11_double_signature.txt")
    assert new_text == "Thanks for your help!\n\nBest regards,\nJohn"
    assert signature.startswith("--\nJohn Doe") and signature.endswith("Sent from my iPhone")


@needs_corpus
def test_emoji_and_em_dash_are_not_a_signature() -> None:
    new_text, quoted, signature = split_file(CRISP / "email_emoji.txt")
    assert new_text == "🎉\n\n—\nJohn Doe\nCEO at Pandaland\n\n@pandaland"
    assert (quoted, signature) == ("", "")


FALSE_POSITIVES = [
    (CRISP, "email_tricky_1_on_false_positive.txt"),
    (CRISP, "email_tricky_2_url_with_wrote.txt"),
    (CRISP, "email_tricky_3_code_block.txt"),
    (CRISP, "email_tricky_4_from_in_body.txt"),
    (CRISP, "email_tricky_6_regards_in_sentence.txt"),
    (CRISP, "email_tricky_7_multiple_dashes.txt"),
    (CRISP, "email_tricky_8_sent_from_in_content.txt"),
    (CRISP, "email_tricky_13_timestamp_variations.txt"),
    (CRISP, "email_not_a_signature.txt"),
    (CRISP, "email_not_a_signature_2.txt"),
    (CRISP, "email_sent_from_my_not_signature.txt"),
    (CRISP, "email_5.txt"),
    (ZAPIER, "email_1_5.txt"),
    (ZAPIER, "email_sent_from_my_not_signature.txt"),
    (ZAPIER, "email_sig_delimiter_in_middle_of_line.txt"),
]


@needs_corpus
@pytest.mark.parametrize("folder,name", FALSE_POSITIVES)
def test_look_alikes_are_left_in_new_text(folder: Path, name: str) -> None:
    text = corpus_text(folder / name)
    assert split_reply(text) == (text.replace("\r\n", "\n").strip(), "", "")


@needs_corpus
def test_inline_reply_keeps_answers_between_quotes() -> None:
    new_text, quoted, _ = split_file(CRISP / "email_tricky_18_inline_reply.txt")
    for answer in ("I think option A is great.", "Option B has some drawbacks.", "Option C is not suitable"):
        assert answer in new_text
    assert ">" not in new_text and "Jane Doe" not in new_text
    assert "What about option B?" in quoted


@needs_corpus
def test_quote_without_header() -> None:
    new_text, quoted, _ = split_file(CRISP / "email_tricky_19_quote_without_header.txt")
    assert new_text.startswith("I wanted to respond to your points:")
    assert "My response to the quoted text above." in new_text
    assert new_text.endswith("And my final thoughts.")
    assert "> This is a quoted section" in quoted and ">" not in new_text


@needs_corpus
def test_wrapped_quote_lines_stay_quoted() -> None:
    new_text, quoted, signature = split_file(CRISP / "email_7.txt")
    assert "ignissim odio?" in quoted and "rhoncus tortor in." in quoted
    assert signature.startswith("--") and "MyCompany - 123456 ROMA" in signature


@needs_corpus
@pytest.mark.parametrize(
    "path",
    [CRISP / "email_21.txt", ZAPIER / "pathological.txt"],
    ids=["crisp-email_21", "zapier-pathological"],
)
def test_pathological_corpus_files_are_fast(path: Path) -> None:
    text = corpus_text(path)
    assert elapsed(text) < 0.1


@pytest.mark.parametrize(
    "text",
    [
        "-" * 200_000,
        "> " + "a" * 200_000,
        "On " + "1 " * 100_000 + "wrote:",
        ("From: x\n" * 50_000),
        ("-- \n" * 50_000),
        ("On Tue, Dec 1, 2026 at 9:12 AM\n" * 30_000),
        ("=" * 60 + "\n> " + "x" * 70 + "\n") * 5_000,
    ],
    ids=["dashes", "long-quote", "long-on", "from-lines", "sig-lines", "on-lines", "rules"],
)
def test_adversarial_bodies_are_fast(text: str) -> None:
    assert elapsed(text) < 0.5


def elapsed(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        split_reply(text)
        best = min(best, time.perf_counter() - start)
    return best


KOREAN_REPLY = "네 확인했습니다. PO-2026-0412 건은 12월 16일 출하 예정입니다.\n\n감사합니다.\n박민수 드림"


@pytest.mark.parametrize(
    "history",
    [
        "2026년 12월 1일 (화) 오전 9:12, 김민수 <minsu@customer.co.kr>님이 작성:\n> 납기 확인 부탁드립니다.",
        "2026년 12월 1일 (화) 오전 9:12, 김민수 <\nminsu@customer.co.kr>님이 작성:\n\n> 납기 확인 부탁드립니다.",
        "2026년 12월 1일 (화) 오전 9:12,\n김민수 <minsu@customer.co.kr>\n님이 작성:\n> 납기 확인 부탁드립니다.",
        "-----Original Message-----\nFrom: 김민수 <minsu@customer.co.kr>\n"
        "Sent: Tuesday, December 1, 2026 9:12 AM\nTo: park@vendor.com\nSubject: 납기 문의\n\n납기 확인 부탁드립니다.",
        "From: 김민수 <minsu@customer.co.kr>\nSent: Tuesday, December 1, 2026 9:12 AM\n"
        "To: park@vendor.com\nCc: sales@vendor.com\nSubject: 납기 문의\n\n납기 확인 부탁드립니다.",
        "보낸 사람: 김민수 <minsu@customer.co.kr>\n보낸 날짜: 2026년 12월 1일 화요일 오전 9:12\n"
        "받는 사람: 박민수 <park@vendor.com>\n제목: 납기 문의\n\n납기 확인 부탁드립니다.",
        "________________________________\n보낸 사람: 김민수 <minsu@customer.co.kr>\n"
        "보낸 날짜: 2026년 12월 1일 화요일 오전 9:12\n받는 사람: 박민수\n참조: 영업팀\n제목: RE: 납기 문의\n\n본문",
        "-----원본 메시지-----\n보낸 사람: 김민수\n받는 사람: 박민수\n날짜: 2026-12-01 09:12\n제목: 납기 문의\n\n본문",
        "----- 원본 메일 -----\n보낸사람: 김민수 <minsu@customer.co.kr>\n받는사람: park@vendor.com\n제목: 납기 문의",
        "---------- Forwarded message ---------\nFrom: 김민수 <minsu@customer.co.kr>\nDate: Tue, Dec 1, 2026 at 9:12 AM\n"
        "Subject: 납기 문의\nTo: <park@vendor.com>\n\n본문",
        "----- 전달된 메시지 -----\n보낸 사람: 김민수\n제목: 납기 문의\n\n본문",
        "Begin forwarded message:\n\nFrom: 김민수 <minsu@customer.co.kr>\nSubject: 납기 문의\n\n본문",
        "On Tue, Dec 1, 2026 at 9:12 AM Minsu Kim <minsu@customer.co.kr> wrote:\n\n> Please confirm the ETA.",
        "On Tue, Dec 1, 2026 at 9:12 AM Minsu Kim <\nminsu@customer.co.kr> wrote:\n> Please confirm the ETA.",
        "On Tue, Dec 1, 2026 at 9:12 AM,\nMinsu Kim <minsu@customer.co.kr>\nwrote:\n> Please confirm the ETA.",
        "Minsu Kim wrote:\n> Please confirm the ETA.",
        "> 납기 확인 부탁드립니다.\n> 고객사에서 급하게 요청하고 있습니다.",
    ],
    ids=[
        "gmail-ko", "gmail-ko-2-lines", "gmail-ko-3-lines", "outlook-original", "outlook-block",
        "outlook-ko-block", "outlook-ko-rule", "원본-메시지", "원본-메일", "gmail-forward",
        "전달된-메시지", "apple-forward", "gmail-en", "gmail-en-2-lines", "gmail-en-3-lines",
        "name-wrote", "bare-quote",
    ],
)
def test_korean_and_english_reply_headers(history: str) -> None:
    new_text, quoted, signature = split_reply(f"{KOREAN_REPLY}\n\n{history}\n")
    assert new_text == KOREAN_REPLY
    assert quoted == history.strip()
    assert signature == ""


@pytest.mark.parametrize(
    "line", ["iPhone에서 보냄", "나의 iPhone에서 보냄", "Samsung Galaxy smartphone에서 보냈습니다.", "Sent from my iPhone"]
)
def test_korean_mobile_signature(line: str) -> None:
    assert split_reply(f"{KOREAN_REPLY}\n\n{line}") == (KOREAN_REPLY, "", line)


@pytest.mark.parametrize(
    "text",
    [
        "보낸 사람: 김과장님께 전달 부탁드립니다.\n출하는 12월 16일입니다.",
        "From: 부산 창고\nTo: 고객사 본사\nDate: 12월 16일\n\n위와 같이 출하합니다.",
        "부산 창고에서 보냈습니다.\n도착은 12월 17일 예정입니다.",
        "On 12/16 we shipped 40 units.\nOn 12/18 the rest will follow.",
        "2026년 12월 16일 출하 예정입니다.\n재고 확인 부탁드립니다:",
    ],
    ids=["one-field", "shipping-route", "sent-from-warehouse", "on-date", "date-colon"],
)
def test_business_text_is_not_cut(text: str) -> None:
    assert split_reply(text) == (text, "", "")


def test_crlf_and_cr_line_endings() -> None:
    text = "Thanks.\r\n\r\nOn Tue, Dec 1, 2026 at 9:12 AM Kim <k@x.com> wrote:\r\n> hi\r\n"
    assert split_reply(text) == ("Thanks.", "On Tue, Dec 1, 2026 at 9:12 AM Kim <k@x.com> wrote:\n> hi", "")


def test_empty_text() -> None:
    assert split_reply("") == ("", "", "")


@pytest.mark.parametrize(
    "text,language",
    [
        ("안녕하세요, 납기 확인 부탁드립니다.", "ko"),
        ("PO-2026-0412 ETA 12/16, 출하 지연 예정입니다.", "ko"),
        ("Please confirm the ETA for PO 4512.", "en"),
        ("Please confirm the ETA.\n\nBest regards,\nMinsu Kim (김민수)\nSales Manager, Vendor Co.", "en"),
        ("", "en"),
        ("12/16 3,000 EA", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# --- business signature blocks ------------------------------------------------------

STORY = Path(__file__).parent / "data" / "story"


@needs_corpus
def test_em_dash_is_not_a_delimiter_but_the_contact_block_is_a_signature() -> None:
    new_text, quoted, signature = split_file(CRISP / "email_tricky_16_unicode_signatures.txt")
    assert new_text == "Thanks for the update!\n\nCheers 🎉\nSarah"
    assert signature.startswith("—————\nSarah Johnson\nProduct Manager") and signature.endswith("+1 555-0123")
    assert quoted == ""


@pytest.mark.parametrize(
    "body,signature",
    [
        (
            "구축 업체 일정이 잡혀 있어서 11월 27일까지 납품 부탁드립니다.",
            "박정훈 팀장\n미래금융 IT인프라팀\n서울 영등포구 여의대로 24, 12층\nT. 02-3770-1200",
        ),
        (
            "가능한 납기 회신 부탁드립니다.\n\n감사합니다.",
            "김민수 과장\n한빛아이티 | 영업1팀\nM. 010-2345-6789 | T. 02-555-1234 | F. 02-555-1235\n"
            "서울시 강남구 테헤란로 123, 8층 (06236)",
        ),
        ("팀장님께서 오전 중으로 공유 부탁하셨습니다.", "이수진 대리 | 미래금융 IT인프라팀 | 02-3770-1234"),
        ("SO 7712345로 생성됐고요, 입고 예정일은 12/4(금)입니다.", "이성호 | Partner Sales PM\nLenovo Korea ISG\nM. 010-8765-4321"),
        ("변동 시 별도 안내드리겠습니다.\n\n김민수 드림", "한빛아이티 | 영업1팀\nminsu.kim@hanbit.co.kr"),
        ("자세한 건 직접 전화 달라고 하셨습니다.", "이지은 대리 | 한빛아이티 영업지원팀 | 내선 204"),
        (
            "We need them by Friday Jan 8.\n\nThanks,\nDana",
            "Dana Whitfield\nIT Director, Globex Korea\n+82-2-6250-7000",
        ),
        (
            "Could you let me know the ETA?\nBest regards,",
            "Minsu Kim | Sales Manager\nHanbit IT Co., Ltd.\nM +82-10-2345-6789 | T +82-2-555-1234",
        ),
        (
            "Delivery is confirmed for Thursday.\n\nRachel",
            "Rachel Morgan\nOrder Management Specialist | Dell Technologies\nwww.dell.com | rachel.morgan@dell.com",
        ),
    ],
    ids=["ko-address-phone", "ko-after-thanks", "ko-one-line", "ko-pipe-name", "ko-드림-email", "ko-extension",
         "en-after-sign-off", "en-no-blank-line", "en-web-email"],
)
def test_business_signature_block_is_split_off(body: str, signature: str) -> None:
    assert split_reply(f"{body}\n\n{signature}\n") == (body, "", signature)


def test_signature_without_blank_line_after_sign_off() -> None:
    text = "Please confirm the ETA.\nBest regards,\nMinsu Kim | Sales Manager\nHanbit IT Co., Ltd.\nT +82-2-555-1234"
    assert split_reply(text) == (
        "Please confirm the ETA.\nBest regards,",
        "",
        "Minsu Kim | Sales Manager\nHanbit IT Co., Ltd.\nT +82-2-555-1234",
    )


def test_signature_above_the_quoted_history() -> None:
    text = ("12월 9일(수) 입고 확정입니다.\n\n최윤아 차장 / Dell Technologies Korea\nInside Sales | 02-2194-6000\n\n"
            "2026년 12월 1일 (화) 오전 9:12, 김민수 <minsu@hanbit.co.kr>님이 작성:\n> 납기 확인 부탁드립니다.")
    new_text, quoted, signature = split_reply(text)
    assert new_text == "12월 9일(수) 입고 확정입니다."
    assert signature == "최윤아 차장 / Dell Technologies Korea\nInside Sales | 02-2194-6000"
    assert quoted.endswith("> 납기 확인 부탁드립니다.")


@pytest.mark.parametrize(
    "text, body",
    [
        ("SO 7000020 shipped today, tracking 6098184641.\n\nMark Evans | HPE Channel Ops\nT. 02-8616-2556\n\n"
         "This e-mail and any attachments are confidential and intended solely for the addressee. If you have received "
         "it in error, please notify the sender and delete it.", "SO 7000020 shipped today, tracking 6098184641."),
        ("주문하신 상품이 금일 출고되었습니다.\n\n이성호 | Lenovo Korea ISG\nT. 02-2053-4674\n\n본 메일은 업무상 기밀 정보를 "
         "포함하고 있으며 지정된 수신인 외에는 열람, 복사, 배포를 금합니다.", "주문하신 상품이 금일 출고되었습니다."),
        ("Delivered today.\n\nCONFIDENTIALITY NOTICE: The information in this message is privileged.\nIf you are not "
         "the intended recipient, delete it.", "Delivered today."),
        ("12/16 입고 예정입니다.\n\n이 메일은 수신인 외 열람을 금합니다.", "12/16 입고 예정입니다."),
    ],
    ids=["en-after-signature", "ko-after-signature", "en-notice-without-signature", "ko-without-signature"],
)
def test_a_closing_legal_disclaimer_goes_to_the_signature(text: str, body: str) -> None:
    new_text, quoted, signature = split_reply(text)
    assert (new_text, quoted) == (body, "")
    assert signature.endswith(text.splitlines()[-1])


@pytest.mark.parametrize(
    "text",
    [
        "This e-mail is confidential, so please do not forward the quote to other vendors.",
        "납기 확인 부탁드립니다.\n\n급하면 010-1234-5678로 전화 주세요.",
        "납기 확인 부탁드립니다.\n급하면 010-1234-5678로 연락 바랍니다",
        "If it is urgent, call me at 010-1234-5678 or write to minsu@hanbit.co.kr.",
        "발주서 송부드립니다.\n\n- 발주번호: PO-2026-0412\n- 납품 장소: 서울 영등포구 여의대로 24, 12층 전산실",
        "도착 예정: 내일 오전\n\n문의: 물류팀 02-3456-7800",
        "송장번호: 6543-2198-7701\n도착 예정: 12/16 오전",
        "11월 20일까지 납품 가능한 조건으로 부탁드립니다.\n감사합니다.\n\n엄지현 사원 / 케이팜 구매팀",
        "Thanks,\nDana",
        "받으실 분 연락처 알려주세요.\n\n현장 담당자:\n박정훈 팀장\n010-1234-5678",
        "Please ship to our site contact:\nMark Ellis\n+65 6123 4567",
        "박정훈 팀장\nT. 02-3770-1200",
        "Status update.\n\nDana Whitfield\n" + "\n".join(f"Line {i}" for i in range(8)) + "\n+82-2-6250-7000",
        "출고 일정 공유드립니다.\n\n김민수 과장\n12/16 출고 예정입니다.\nT. 02-555-1234",
    ],
    ids=["disclaimer-words-as-the-only-text", "ko-phone-in-sentence", "ko-phone-in-sentence-no-period", "en-phone-in-sentence", "bullets-with-address",
         "contact-line-without-name", "tracking-numbers", "no-contact-line", "sign-off-only", "contact-after-colon",
         "en-contact-after-colon", "nothing-before", "too-long", "sentence-inside-block"],
)
def test_content_is_never_cut_as_a_signature(text: str) -> None:
    assert split_reply(text) == (text, "", "")


@pytest.mark.parametrize("name", ["ko/01_INBOX_po.eml", "ko/16_INBOX_dell_shipped.eml", "en/01_INBOX_po.eml",
                                  "en/12_INBOX_dell_confirmed.eml"])
def test_story_mail_signatures(name: str) -> None:
    from parsers.message import parse_message

    msg = parse_message((STORY / name).read_bytes())
    assert msg.signature and msg.signature.splitlines()[0] in {
        "박정훈 팀장", "최윤아 차장 / Dell Technologies Korea", "Dana Whitfield", "Rachel Morgan"}
    assert msg.signature not in msg.new_text
    assert msg.new_text.splitlines()[-1].strip() not in ("", "Dana Whitfield")


@pytest.mark.parametrize(
    "quoted, author, first",
    [
        ("---------- Forwarded message ---------\n보낸사람: 윤태호 <th.yoon@customer.com>\n"
         "Date: 2026년 11월 30일 (월) 오후 6:20\nSubject: 반입 일정\nTo: 최영민 <ym@customer.com>\n\n"
         "차장님, 장비 반입은 12월 22일(화)까지 완료되어야 합니다.", "th.yoon@customer.com", "차장님, 장비 반입은"),
        ("________________________________\nFrom: APJ Orders <APJ@Dell.com>\nSent: Thursday, November 19, 2026 6:12 PM\n"
         "To: Rachel <r@dell.com>\nSubject: change\n\nHello,\nThe date moves.\n\nRegards,\nAPJ Orders\n"
         "T. +65 6123 4567\n\n> an older quote", "apj@dell.com", "Hello,"),
    ],
    ids=["gmail-korean", "outlook-rule"],
)
def test_forwarded_message(quoted: str, author: str, first: str) -> None:
    found = forwarded_message(quoted)
    assert found is not None and found[0] == author and found[1].startswith(first)
    assert "> an older quote" not in found[1] and "6123" not in found[1]


def test_quoted_text_without_a_header_is_no_forwarded_message() -> None:
    assert forwarded_message("> 입고 예정입니다.") is None


def test_answered_message_keeps_the_answers_written_into_it() -> None:
    quoted = ("From: Minsu Kim <minsu.kim@hanbit-it.co.kr>\nSent: Thursday, December 17, 2026 9:05 AM\n"
              "To: Kevin <k@lenovo.com>\nSubject: questions\n\n1. Can you confirm the delivery date?\n"
              ">> KT: Confirmed - Tuesday, Dec 22.\n\nThanks,\nMinsu")
    text = answered_message(quoted)
    assert "1. Can you confirm the delivery date?\nKT: Confirmed - Tuesday, Dec 22." in text
    assert answered_message("> 입고 예정입니다.") is None
