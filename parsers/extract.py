"""One message in, what it says about orders out.

Works on ``msg.new_text`` (plus the subject for references and, when the subject
opens a thread, for the event).  Quoted history only yields ``quoted_refs``: it
never gives an eta, a need-by date or the event.  Two exceptions, read for what the
cover note leaves open: the message a forward passes on (as its author's) and a
quoted mail the sender wrote answers into ("answers below", as the sender's).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import islice
from typing import Iterable, Iterator

from spacy.tokens import Doc

from parsers.events import PRECEDENCE, SentenceCues, analyse_sentence, decide_event, find_reason
from parsers.nlp import get_nlp
from parsers.quotes import answered_message, detect_language, forwarded_message
from parsers.refs import dedupe, find_refs
from parsers.types import Address, DateMention, Extraction, ExtractSettings, ParsedMessage

MAX_CHARS = 20_000  # new text beyond this is not read (a mail body, not an attachment dump)

_FORWARD_SUBJECT = re.compile(r"^\s*(?:fw|fwd|전달)\s*[:：]", re.IGNORECASE)
# A cover note saying the answers are written into the quoted mail.
_INLINE_NOTE = re.compile(
    r"\b(?:answers?|repl(?:y|ies)|comments?|responses?)\s+(?:are\s+)?(?:below|inline|in[- ]line|in\s+(?:red|blue|green|bold))\b|"
    r"\b(?:see|find)\s+(?:my\s+)?(?:answers?|repl(?:y|ies)|comments?|responses?)\s+(?:below|inline)\b|"
    r"아래\s*(?:에\s*)?(?:답변|회신|코멘트)|(?:답변|회신|코멘트)\S*\s*(?:은|는)?\s*아래|(?:파란|빨간)\s*(?:색|글씨)",
    re.IGNORECASE,
)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|fw|fwd|aw|sv|답장|회신|전달)\s*[:：]", re.IGNORECASE)
# Dates that are about something else than delivery, judged from the words next to them.
_NOT_DELIVERY = re.compile(
    r"회의|미팅|통화|콜|방문|세금\s*계산서|계산서|인보이스|청구|결제|입금|지급|"
    # A reply still to come is dated ("화요일까지 회신드리겠습니다"); one received or
    # quoted is not ("입고 확정 회신 받았습니다", "벤더 회신으로는").
    r"(?:회신|답변)\s*(?:을|를)?\s*(?:드리|드릴|드립|주시|주세|주실|부탁|요청|예정|하겠|할)|유효|발행|견적\s*유효|매출|정산|결산|"
    r"세미나|웨비나|행사|"
    # Returns, repairs and people's absences are no delivery ("불량 장비 회수는 12/23",
    # "점검 결과는 1~2주", "1월 4일 복귀 예정").
    r"회수|반품|반납|점검|수리|복귀|휴가|출장|"
    r"\b(?:meeting|call|visit|invoice[ds]?|billing|payment|paid|pay|reply|respond|answer|valid|quote\s+expires|expir\w*|webinar|"
    r"seminar|summit|conference|register|registration|pricing|price|early-bird|sale|reporting|chase|get\s+back|"
    r"return(?:s|ing)?|on\s+leave|annual\s+leave|vacation)\b",
    re.IGNORECASE,
)
_CONTEXT = 14  # characters either side of a date looked at for _NOT_DELIVERY
# Right after a date: it names a season or a cause ("연말이라 배송이 몰리니",
# "연말 물류 적체로"), not a day something arrives.
_CIRCUMSTANCE_AFTER = re.compile(
    r"\s*(?:이라|라서|이어서|이다\s*보니|(?:\S+\s*)?(?:물류|적체|연휴|성수기|특수|시즌)"
    r"|(?:shutdown|holidays?|closure|break|peak|season|rush)\b"
    # the date of an update or report itself: "오늘 납기 업데이트입니다", "today's update"
    r"|(?:'s\s+)?(?:\S+\s+)?(?:업데이트|현황\s*(?:보고|공유|입니다)|보고\s*(?:드립|입니다)|(?:update|status\s+report|report)\b))",
    re.IGNORECASE,
)
# Mail that is not about an order: newsletters, promotions, automatic replies.
_BULK = re.compile(
    r"수신\s*거부|구독\s*(?:해지|취소)|\bunsubscribe\b|\byou\s+(?:are\s+)?receiv(?:ed|ing)\s+this\s+(?:e-?mail|message)\s+because\b",
    re.IGNORECASE,
)
# Calendar invitations: the meeting's date is no delivery, its agenda no news.
_INVITATION = re.compile(
    r"^\s*(?:updated\s+|new\s+)?(?:invitation|event\s+invitation|meeting\s+request)\s*:|"
    r"^\s*(?:\[(?:회의\s*|일정\s*)?초대\]|(?:회의\s*|일정\s*)?초대\s*:)",
    re.IGNORECASE,
)
_INVITED = re.compile(
    r"\bhas\s+invited\s+you\s+to\b|\binvited\s+you\s+to\s+(?:a|an|the)\s+(?:meeting|event|call)\b|님이\s*(?:회의|일정|미팅)에\s*초대",
    re.IGNORECASE,
)
_AUTO_REPLY = re.compile(
    r"^\s*(?:automatic\s+reply|auto(?:matic)?[- ]?reply|out\s+of\s+(?:the\s+)?office|자동\s*(?:회신|응답)|부재\s*중?)\b|"
    r"\bout\s+of\s+(?:the\s+)?office\s+until\b|부재\s*중입니다",
    re.IGNORECASE,
)
# A date given as what was expected before ("Previous ETA: 11/16", "기존 납기 12/8").
_OLD_DATE = re.compile(r"\b(?:previous|original(?:ly)?|old|initial|prior)\b|기존|원래|당초|변경\s*전|이전", re.IGNORECASE)
# The same, right before the date it qualifies ("the previous ETA of Nov 27", "원래 12월 10일").
_OLD_BEFORE = re.compile(r"\b(?:previous(?:ly)?|original(?:ly)?|old|initial(?:ly)?|prev|orig)\b|기존|원래|당초|변경\s*전|종전", re.IGNORECASE)
_OLD_WINDOW = 24
# Right after a date, the date is given up ("the Dec 22 delivery we gave you will not
# hold", "12/22 입고는 어렵고") or changed from ("12/28에서 12/23으로").
_GIVEN_UP_AFTER = re.compile(
    r"(?:\s*\([^)]{0,12}\))?\s*(?:"
    r"(?:[^\s.,;]+\s+){0,5}?(?:(?:will|would|does|do|did|can|could)\s*(?:not|n't)|cannot|won't|(?:is|are)\s+no\s+longer|no\s+longer)\s+"
    r"(?:be\s+)?(?:hold|held|met|valid|achievable|possible|feasible|work|happen)\b|"
    r"(?:(?!변경|조정)[^\s.,;]+\s*){0,2}?(?:어렵|불가|힘들|못\s*맞))",
    re.IGNORECASE,
)
_CHANGED_FROM_AFTER = re.compile(r"(?:\s*\([^)]{0,12}\))?\s*(?:에서|부터)(?!\s*(?:까지|부터))")
# Right before it, a date ruled out: "can no longer ship this year", "will not make Dec 22",
# "could not get space on the Dec 11 sailing", "missed the Dec 11 cut-off".
_OFF_BEFORE = re.compile(
    r"\b(?:no\s+longer|not|n't|never|cannot)\s+(?:be\s+)?(?:ship|deliver|arrive|make|meet|land)\w*\s+(?:(?:on|by|in|the)\s+)?$|"
    r"\b(?:not|n't|never|cannot)\s+(?:get|catch|secure|book)\s+(?:\w+\s+){0,3}?$|\bmissed\s+(?:the\s+|its\s+|our\s+)?$",
    re.IGNORECASE,
)
_OFF_WINDOW = 60
# "moved up to Dec 21 from Dec 28": the day after "from" is the old one when another is "to".
_FROM_BEFORE = re.compile(r"\bfrom\s+$", re.IGNORECASE)
_TO_BEFORE = re.compile(r"\bto\s+$", re.IGNORECASE)
# A need pointing back to the date just named: "1/8이라 그 전에는", "on Jan 8, so before then".
_BEFORE_THEN = re.compile(r"[^.\n]{0,25}?(?:그\s*(?:이)?전(?:에|까지)|\bbefore\s+(?:then|that)\b)", re.IGNORECASE)
# A holiday period named as such ("the Christmas holiday", "설 연휴") is not a day
# something arrives, unless the sentence goes on to what comes after it.
_HOLIDAY_PERIOD = re.compile(r"(?:holidays?|shutdown|break|연휴|휴무)$", re.IGNORECASE)
_AFTER_IT = re.compile(r"\s*(?:이후|직후|후|끝나|지나|\bafter\b|\bis\s+over\b)", re.IGNORECASE)
# A stated cause is not a delivery date: "due to the Lunar New Year holidays", and a
# period in brackets after a closure or a cause, "the year-end shutdown at our DC
# (Dec 24 - Jan 1)", "설 연휴(2/6~2/9)".
_CLOSURE_BEFORE = re.compile(
    r"\b(?:due\s+to|because\s+of|owing\s+to)\s+(?:the\s+|a\s+|our\s+)?(?:[\w-]+\s+){0,2}$|"
    r"(?:\b(?:due\s+to|because\s+of|owing\s+to|as\s+a\s+result\s+of)\b[^,;.()]*|"
    r"(?:연휴|휴무|휴가|휴업|\bshutdown|\bholidays?|\bclosure|\bbreak|\bvacation)\s*)\(\s*$",
    re.IGNORECASE,
)
# A lead time counted from an order not yet placed, or a usual one: not an order's eta.
_CONDITIONAL_LEAD = re.compile(
    r"\bARO\b|\b(?:after|from|upon)\s+(?:receipt\s+of\s+)?(?:the\s+|your\s+)?(?:PO|P\.O\.|order)\b|"
    r"\b(?:usually|typically|normally|generally|standard\s+lead)|(?:발주|주문|오더)\s*(?:후|시|일로부터|일\s*기준)|통상|보통|일반적으로",
    re.IGNORECASE,
)
_CHANGE_RANGE = re.compile(r"에서|\bfrom\b", re.IGNORECASE)
# Two days in one sentence are an old and a new one only with words of a change.
_CHANGE_WORDS = re.compile(
    r"변경|조정|바뀌|바뀜|였|었|에서|\b(?:from|previous(?:ly)?|original(?:ly)?|was|were|had\s+been|instead\s+of|moved?|changed?|revised)\b",
    re.IGNORECASE,
)
_CHANGE_VERB = re.compile(r"변경|조정|바뀌|바뀜|\b(?:move[sd]?|moving|changed?|shift(?:s|ed)?|revised|updated)\b", re.IGNORECASE)
_SCORES = {"delay": 3, "confirmed": 3, "eta": 2, "shipped": 1, "delivered": 1}
_DATED_EVENTS = {"delay", "confirmed", "eta"}
# Events under which a message communicates an expected delivery date.
_ETA_EVENTS = {"delay", "confirmed", "eta", "shipped"}
_FOLLOW_UP = 2  # sentences after a dated-event sentence that may carry its date
# A promise of news, whose date is the answer's: "I'll come back to you ...", "확인되는 대로 안내드리겠습니다".
_REPLY_PROMISE = re.compile(
    r"\b(?:come|get|revert)\s+back\s+to\s+(?:you|us)\b|\b(?:update|inform|notify)\s+you\b|\blet\s+you\s+know\b|"
    r"(?:회신|답변|안내|공유|연락|말씀)\s*(?:을|를)?\s*(?:드리겠|드릴게|드릴\s*예정|드리도록)|알려\s*드리겠|알려\s*드릴게",
    re.IGNORECASE,
)


@dataclass
class _Found:
    """The dates picked for one message and the sentences behind them."""

    eta: date | None = None
    eta_sentence: SentenceCues | None = None
    delay_days: int | None = None
    delay_sentence: str | None = None
    required_by: date | None = None
    required_sentence: str | None = None


def _role(msg: ParsedMessage, settings: ExtractSettings) -> str:
    return "other" if msg.from_ is None else _address_role(msg.from_, settings)


def _address_role(address: Address, settings: ExtractSettings) -> str:
    """rep, vendor, customer or other, by the configured addresses and domains."""
    email, domain = address.email.lower(), address.domain
    if email in {a.lower() for a in settings.rep_addresses}:
        return "rep"
    for role, domains in (("vendor", settings.vendor_domains), ("customer", settings.customer_domains)):
        if any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains):
            return role
    return "other"


def _internal(msg: ParsedMessage, settings: ExtractSettings) -> bool:
    """The message goes to known recipients, none of them a vendor or a customer."""
    recipients = msg.to + msg.cc
    return bool(recipients) and all(_address_role(a, settings) in ("rep", "other") for a in recipients)


def _prepare(msg: ParsedMessage, settings: ExtractSettings, lang: str) -> Doc:
    doc = get_nlp(lang).make_doc((msg.new_text or "")[:MAX_CHARS])
    doc._.now = msg.sent_at
    doc._.lang = lang
    doc._.ref_patterns = settings.extra_ref_patterns
    return doc


def _delivery_date(d: DateMention, sentence: str, today: date | None) -> bool:
    """``d`` can be a delivery date: not in the past, not next to a non-delivery word,
    and not a lead time counted from an order yet to be placed ("4-6 weeks ARO")."""
    if d.kind != "duration" and today is not None and d.last < today:
        return False
    if d.kind == "duration" and _CONDITIONAL_LEAD.search(sentence):
        return False
    at = sentence.find(d.text)
    if at < 0:
        return _NOT_DELIVERY.search(sentence) is None
    end = at + len(d.text)
    if _CIRCUMSTANCE_AFTER.match(sentence, end) or _CLOSURE_BEFORE.search(sentence, 0, at):
        return False
    if d.kind == "point" and _HOLIDAY_PERIOD.search(d.text) and not _AFTER_IT.match(sentence, end):
        return False  # "The Christmas holiday may affect transit times"
    return _NOT_DELIVERY.search(sentence[max(0, at - _CONTEXT): end + _CONTEXT]) is None


def _last_day(d: DateMention) -> date:
    """The last day ``d`` means (parsers.dates already ends a week on its Friday)."""
    return d.last


def _is_old(d: DateMention, sentence: str, mentions: list[DateMention]) -> bool:
    """``d`` is named as the date expected before ("the previous ETA of Nov 27",
    "기존 입고예정일: 12월 11일", "원래 12월 10일": a marker shortly before it, with no
    other date in between) or as one given up (see ``_is_off``)."""
    at = sentence.find(d.text)
    if at < 0 or _CHANGE_RANGE.search(d.text):
        return False  # "기존 12월 14일에서 12월 24일로": the change itself, not the old day
    if _is_off(d, sentence, at, mentions):
        return True
    before = sentence[max(0, at - _OLD_WINDOW): at]
    markers = list(_OLD_BEFORE.finditer(before))
    if not markers:
        return False
    between = before[markers[-1].end():]
    return not any(m is not d and m.text in between for m in mentions)


def _without_bounds(points: list[DateMention]) -> list[DateMention]:
    """``points`` without deadlines over a period when a single day is named too: in
    "New estimated delivery is Dec 29 ... before the year end" the period bounds the day."""
    if not any(d.kind == "point" and d.value == d.last for d in points):
        return points
    return [d for d in points if not (d.kind == "deadline" and d.value < d.last)]


def _is_off(d: DateMention, sentence: str, at: int, mentions: list[DateMention]) -> bool:
    """``d``, at ``sentence[at:]``, is ruled out by the words around it: a negated verb
    before it ("will not make Dec 22", but "will not ship until Jan 5" is the day it
    will), a change away from it ("to Dec 21 from Dec 28", "12/28에서 12/23으로") or a
    failing predicate after it, before any other date ("12/22 입고는 어렵고")."""
    if d.kind == "point" and _OFF_BEFORE.search(sentence[max(0, at - _OFF_WINDOW): at]):
        return True
    others = [m for m in mentions if m is not d]
    if _FROM_BEFORE.search(sentence, 0, at) and any(_TO_BEFORE.search(sentence, 0, sentence.find(m.text)) for m in others):
        return True
    after = sentence[at + len(d.text): at + len(d.text) + _OFF_WINDOW]
    nxt = min((i for m in mentions if (i := after.find(m.text)) > 0), default=None)
    if nxt is not None and _CHANGED_FROM_AFTER.match(after):
        return True
    return _GIVEN_UP_AFTER.match(after[:nxt]) is not None


def _single_days(mentions: list[DateMention]) -> list[DateMention]:
    """Single days that can be an old or a new date (a deadline, "by Wednesday", is neither)."""
    return [d for d in mentions if d.kind == "point" and d.grain == "day" and d.value == d.last]


def _pick_dates(cues: list[SentenceCues], dates: list[DateMention], role: str, today: date | None) -> _Found:
    """Eta, delay length and need-by date from the sentences of the new text."""
    found = _Found()
    by_sentence: dict[str, list[DateMention]] = {}
    for d in dates:
        by_sentence.setdefault(d.sentence, []).append(d)
    best: tuple[int, int, date, SentenceCues, DateMention] | None = None
    for sc in cues:
        mentions = by_sentence.get(sc.text, [])
        if not mentions:
            continue
        if sc.need and role == "customer":
            if found.required_by is None:
                found.required_by = _need_by(sc.text, mentions, today)
                found.required_sentence = sc.text if found.required_by else None
            continue
        if sc.question:
            continue
        score = max((_SCORES.get(e, 0) for e in sc.events), default=0) or (1 if sc.delivery else 0)
        if not score:
            continue
        usable = [d for d in mentions if _delivery_date(d, sc.text, today)]
        points = [d for d in usable if d.kind != "duration"]
        durations = [d for d in usable if d.kind == "duration"]
        if not sc.events & _DATED_EVENTS:
            durations = []
        if "shipped" in sc.events and today is not None:
            points = [d for d in points if d.last > today]  # "금일 출고 완료": the day it left
        old = [d for d in points if _is_old(d, sc.text, mentions)]
        points = [d for d in points if d not in old]
        # A stated day beats a length ("slipped by a week. New ETA Dec 11th") unless
        # the day is only a shipping or delivery mention ("shipped today ... should
        # land in about a week").  Between sentences of the same weight the later
        # day wins: a delivery after a shipping date, the last line of an order.
        for pick in (max(_without_bounds(points), key=_last_day, default=None), durations[0] if durations else None):
            if pick is None:
                continue
            tier = 1 if pick.kind == "duration" else (2 if score >= 2 else 0)
            day = _last_day(pick) if pick.kind != "duration" else pick.last
            if old and pick.kind == "duration" and pick.days and "delay" in sc.events:
                # "원래 12월 10일 예정이었으나 1주일 늦어질 것": the old day plus the delay.
                tier, day = 2, max(_last_day(d) for d in old) + timedelta(days=pick.days)
            if best is None or (tier, score, day) > (best[0], best[1], best[2]):
                best = (tier, score, day, sc, pick)
        if "delay" in sc.events and found.delay_days is None:
            _delay_from(sc.text, mentions, durations, found)
    if best is None:
        best = _follow_up_date(cues, by_sentence, today, found)
    if best is not None:
        _, _, found.eta, found.eta_sentence, _ = best
    return found


def _need_by(sentence: str, mentions: list[DateMention], today: date | None) -> date | None:
    """The need-by day of a customer's need sentence: the day before a date the need
    points back to ("Lab setup이 1/8이라 그 전에는 꼭 받아야"), else its deadline
    ("kickoff is January 11 and we need them by January 6"), else its first day."""
    for d in mentions:
        at = sentence.find(d.text)
        if d.kind != "duration" and at >= 0 and _BEFORE_THEN.match(sentence, at + len(d.text)):
            return _last_day(d) - timedelta(days=1)
    points = [d for d in mentions if d.kind != "duration" and _delivery_date(d, sentence, today)]
    points.sort(key=lambda d: (d.kind != "deadline", d.grain != "day"))
    return _last_day(points[0]) if points else None


def _delay_from(sentence: str, mentions: list[DateMention], durations: list[DateMention], found: _Found) -> None:
    """The stated length of a delay: a duration, an old and a new day, or a change
    written as one range ("12월 8일에서 12월 15일로", "moves from Jan 8 to Jan 22")."""
    if durations and durations[0].days:
        found.delay_days, found.delay_sentence = durations[0].days, sentence
        return
    days = _single_days(mentions)
    if len(days) >= 2:
        span = (max(d.value for d in days) - min(d.value for d in days)).days
        if span > 0:
            found.delay_days, found.delay_sentence = span, sentence
        return
    for d in mentions:
        if d.kind != "duration" and d.grain == "day" and d.value < d.last:
            at = sentence.find(d.text)
            before = sentence[max(0, at - 6): at] if at >= 0 else ""
            if _CHANGE_RANGE.search(d.text) or _CHANGE_RANGE.search(before):
                found.delay_days, found.delay_sentence = (d.last - d.value).days, sentence
                return


def _follow_up_date(
    cues: list[SentenceCues], by_sentence: dict[str, list[DateMention]], today: date | None, found: _Found
) -> tuple[int, int, date, SentenceCues, DateMention] | None:
    """A date stated just after a delay/eta/confirmed sentence that had none ("입고가
    늦어집니다. 이달 월말쯤 될 것 같아요.", a table row of original and revised dates).
    Two dates there are old and new: their distance is the delay.  The later
    sentence must speak of delivery or hedge ("될 것 같아요"): "I'll chase again
    tomorrow" gives no date."""
    for i, sc in enumerate(cues):
        if not sc.events & _DATED_EVENTS or sc.question:
            continue
        for nxt in cues[i + 1: i + 1 + _FOLLOW_UP]:
            if nxt.question or nxt.need or not (nxt.delivery or nxt.hedged or nxt.events):
                continue
            if not nxt.delivery and _REPLY_PROMISE.search(nxt.text):
                continue  # "I'll come back to you as soon as I have something, hopefully before the holidays"
            points = [d for d in by_sentence.get(nxt.text, []) if d.kind != "duration"]
            usable = [d for d in points if _delivery_date(d, nxt.text, today)]
            if usable:
                pick = max(usable, key=_last_day)
                eta = _last_day(pick)
                if "delay" in sc.events and found.delay_days is None:
                    days = _single_days(points)
                    if len(days) >= 2:
                        span = (max(d.value for d in days) - min(d.value for d in days)).days
                        if span > 0:
                            found.delay_days, found.delay_sentence = span, nxt.text
                return 0, 0, eta, nxt, pick
    return None


def _old_date_delay(cues: list[SentenceCues], dates: list[DateMention], found: _Found) -> None:
    """A delay's length from a date labelled as the previous one ("Previous ETA :
    2026-11-16") and the new eta, when they are in different sentences."""
    if found.eta is None or found.eta_sentence is None:
        return
    for sc in cues:
        if sc.text == found.eta_sentence.text or not _OLD_DATE.search(sc.text):
            continue
        days = _single_days([d for d in dates if d.sentence == sc.text])
        if len(days) == 1 and days[0].value < found.eta:
            found.delay_days, found.delay_sentence = (found.eta - days[0].value).days, sc.text
            return


def _subject_cues(subject: str) -> SentenceCues | None:
    """The subject as one more sentence, only when it opens a thread (a reply's
    subject repeats what someone else said)."""
    if not subject.strip() or _REPLY_SUBJECT.match(subject):
        return None
    return analyse_sentence(subject.strip())


def _finish(msg: ParsedMessage, doc: Doc, settings: ExtractSettings, lang: str) -> Extraction:
    role = _role(msg, settings)
    x = Extraction(message_id=msg.message_id, sent_at=msg.sent_at, language=lang, role=role, error=msg.error)
    subject_refs = find_refs(msg.subject or "", settings.extra_ref_patterns)
    x.order_refs = dedupe(subject_refs + list(doc._.refs or ()))
    own = {r.value for r in x.order_refs}
    x.quoted_refs = [r for r in find_refs(msg.quoted_text or "", settings.extra_ref_patterns) if r.value not in own]
    if x.order_refs:
        first = x.order_refs[0]
        x.evidence["order_refs"] = (
            msg.subject if first in subject_refs else next((sc.text for _, sc in doc._.cues if first.text in sc.text), first.text)
        )
    if len(msg.new_text or "") > MAX_CHARS:
        x.evidence["text"] = f"only the first {MAX_CHARS} characters of the new text were read"

    cues = [sc for _, sc in doc._.cues]
    if _not_about_orders(msg, role, bool(x.order_refs)):
        x.evidence["event"] = "newsletter, promotion, invitation or automatic reply"
        return x
    x.event, decider = decide_event(cues, role)
    if x.event == "other" and (subject := _subject_cues(msg.subject or "")) is not None:
        x.event, decider = decide_event([subject], role)
    if x.event == "inquiry" and role == "rep" and _internal(msg, settings):
        # The rep asking a colleague ("설치 일정 엔지니어팀에 공유 부탁해요") asks no party about an order.
        x.event, decider = "other", None
    if decider is not None:
        x.evidence["event"] = decider.text

    if msg.sent_at is None:
        x.evidence["dates"] = "no sent date: relative dates could not be resolved, so none were read"
        return x
    x.dates = list(doc._.dates)
    found = _pick_dates(cues, x.dates, role, msg.sent_at.date())
    if x.event in ("eta", "confirmed") and found.eta_sentence is not None and _CHANGE_VERB.search(found.eta_sentence.text):
        # "the ETA moves from Jan 8 to Jan 22", "12월 8일에서 12월 15일로 변경": later is late.
        moved = _Found()
        mentions = [d for d in x.dates if d.sentence == found.eta_sentence.text]
        _delay_from(found.eta_sentence.text, mentions, [], moved)
        latest = max((_last_day(d) for d in mentions if d.kind != "duration"), default=found.eta)
        if moved.delay_days and moved.delay_sentence == found.eta_sentence.text and found.eta >= latest:
            x.event, decider = "delay", found.eta_sentence
            x.evidence["event"] = decider.text
    if x.event == "delay" and found.delay_days is None and found.eta_sentence is not None:
        # The eta sentence of a delay: "이번 주 금요일 예정이었는데 다음 주 수요일에",
        # "Revised ETA is in two weeks from today".
        mentions = [d for d in x.dates if d.sentence == found.eta_sentence.text]
        durations = [d for d in mentions if d.days and d.last == found.eta]
        if durations or _CHANGE_WORDS.search(found.eta_sentence.text):
            _delay_from(found.eta_sentence.text, mentions, durations, found)
        if found.delay_days is None:
            _old_date_delay(cues, x.dates, found)
    if x.event == "eta" and found.eta is None:
        # Every date next to an eta cue was something else ("오늘 납기 업데이트입니다").
        x.event, decider = decide_event([replace(sc, events=sc.events - {"eta"}) for sc in cues], role)
        x.evidence.pop("event", None)
        if decider is not None:
            x.evidence["event"] = decider.text
    elif x.event == "eta" and found.eta_sentence is not None and "eta" in found.eta_sentence.events:
        x.evidence["event"] = found.eta_sentence.text
    if x.event == "eta" and not x.order_refs and found.eta_sentence is not None and "stock_check" in found.eta_sentence.events:
        # "재고는 없고, 1월 중순 입고 예정입니다" with no order named: when stock comes in.
        x.event, decider = "stock_check", found.eta_sentence
        x.evidence["event"] = decider.text
    if x.event == "delivered" and role != "customer" and found.eta_sentence is not None:
        pending = found.eta_sentence.events & (_DATED_EVENTS | {"shipped"})
        if pending:
            # One line arrived, another is still on its way, expected or late: the order is not delivered.
            x.event, decider = min(pending, key=PRECEDENCE.index), found.eta_sentence
            x.evidence["event"] = decider.text
    if x.event in _DATED_EVENTS and role == "other" and not (x.order_refs or x.quoted_refs or _mentions_delivery(msg, cues)):
        # Someone not a party, of no order and no goods: "급여 반영이 지연될 수 있으니".
        x.event, decider = "other", None
        x.evidence.pop("event", None)
    if x.event not in _ETA_EVENTS:
        # Only a message that tells of a date (delay, eta, confirmed, shipped) gives
        # one: the day goods arrived, a customer's "원래 오늘 예정이었던" or a stock
        # report's "next availability" is not an expected delivery.
        found.eta = found.eta_sentence = None
    if found.eta is not None and found.eta_sentence is not None:
        x.eta = found.eta
        x.eta_confirmed = found.eta_sentence.firm or (
            any(sc.firm for sc in cues) and not found.eta_sentence.hedged
        )
        x.evidence["eta"] = found.eta_sentence.text
    if x.event == "delay" and found.delay_days is not None:
        x.delay_days = found.delay_days
        x.evidence["delay_days"] = found.delay_sentence
    if found.required_by is not None:
        x.required_by = found.required_by
        x.evidence["required_by"] = found.required_sentence
    if x.event == "delay":
        for sc in [decider, *cues]:
            if sc is not None and (reason := find_reason(sc.text)):
                x.reason = reason
                x.evidence["reason"] = sc.text
                break
    return x


def _mentions_delivery(msg: ParsedMessage, cues: list[SentenceCues]) -> bool:
    """The subject or a sentence of the new text speaks of goods being delivered."""
    return any(sc.delivery for sc in cues) or analyse_sentence(msg.subject or "").delivery


def _not_about_orders(msg: ParsedMessage, role: str, has_refs: bool) -> bool:
    """A newsletter or promotion (with an unsubscribe line, from someone not
    configured or naming no order), a calendar invitation or an automatic reply."""
    subject, opening = msg.subject or "", (msg.new_text or "")[:300]
    if _AUTO_REPLY.search(subject) or _AUTO_REPLY.search(opening):
        return True
    if _INVITATION.search(subject) or _INVITED.search(opening):
        return True
    if role != "other" and has_refs:
        return False
    return _BULK.search(msg.new_text or "") is not None or _BULK.search(msg.signature or "") is not None


def _passed_on(msg: ParsedMessage) -> tuple[str, str] | None:
    """``(author, text)`` of the quoted message that the sender makes their own: the
    one a forward ("FW:" subject) passes on, as its author's, or the one a cover note
    says holds the answers ("answers below", "아래 답변 참고"), as the sender's."""
    quoted = msg.quoted_text or ""
    if _FORWARD_SUBJECT.match(msg.subject or ""):
        return forwarded_message(quoted)
    if msg.from_ is not None and quoted and _INLINE_NOTE.search(msg.new_text or ""):
        text = answered_message(quoted)
        return (msg.from_.email, text) if text else None
    return None


def _with_passed_on(msg: ParsedMessage, x: Extraction, settings: ExtractSettings) -> Extraction:
    """``x`` completed from the quoted message its sender passes on (see ``_passed_on``):
    its references, and its event and dates when the cover note ("FYI, see below",
    "answers below") has none, its need-by date when the note gives none."""
    passed_on = None if x.error else _passed_on(msg)
    if passed_on is None:
        return x
    author, text = passed_on
    inner = extract(
        replace(msg, subject="", from_=Address("", author), new_text=text, quoted_text="", signature=""), settings
    )
    x.order_refs = dedupe(x.order_refs + inner.order_refs)
    own = {r.value for r in x.order_refs}
    x.quoted_refs = [r for r in x.quoted_refs if r.value not in own]
    taken = ("required_by",) if x.required_by is None else ()
    if x.event == "other" and inner.event != "other":
        x.event, x.eta, x.eta_confirmed, x.delay_days, x.reason = (
            inner.event, inner.eta, inner.eta_confirmed, inner.delay_days, inner.reason
        )
        x.dates = x.dates + inner.dates
        taken += ("event", "eta", "delay_days", "reason")
    if x.required_by is None:
        x.required_by = inner.required_by
    x.evidence.update((k, v) for k, v in inner.evidence.items() if k in taken)
    return x


def _language(msg: ParsedMessage) -> str:
    return detect_language(msg.new_text or msg.subject or msg.text or "")


def _failed(msg: ParsedMessage, exc: Exception) -> Extraction:
    error = f"extraction error: {type(exc).__name__}: {exc}"
    return Extraction(
        message_id=getattr(msg, "message_id", None),
        sent_at=getattr(msg, "sent_at", None),
        language="en",
        role="other",
        error=f"{msg.error}; {error}" if getattr(msg, "error", None) else error,
    )


def extract(msg: ParsedMessage, settings: ExtractSettings) -> Extraction:
    """What ``msg`` says about orders.  Never raises: a failure is reported in ``error``."""
    try:
        lang = _language(msg)
        doc = get_nlp(lang)(_prepare(msg, settings, lang))
        return _with_passed_on(msg, _finish(msg, doc, settings, lang), settings)
    except Exception as exc:  # noqa: BLE001 - bad input must not stop a mailbox run
        return _failed(msg, exc)


def extract_many(
    msgs: Iterable[ParsedMessage], settings: ExtractSettings, batch_size: int = 64
) -> Iterator[Extraction]:
    """``extract`` over many messages, in order, running each language's pipeline
    with ``nlp.pipe`` over batches of ``batch_size``."""
    it = iter(msgs)
    while batch := list(islice(it, batch_size)):
        langs = [_language(m) for m in batch]
        results: dict[int, Extraction] = {}
        for lang in set(langs):
            idx = [i for i, l in enumerate(langs) if l == lang]
            try:
                docs = list(get_nlp(lang).pipe([_prepare(batch[i], settings, lang) for i in idx]))
                results.update(
                    (i, _with_passed_on(batch[i], _finish(batch[i], doc, settings, lang), settings))
                    for i, doc in zip(idx, docs)
                )
            except Exception:  # noqa: BLE001 - redo one by one so only the bad message fails
                results.update((i, extract(batch[i], settings)) for i in idx)
        yield from (results[i] for i in range(len(batch)))


def extraction_to_json(x: Extraction) -> dict:
    """``x`` as JSON-ready data: days as YYYY-MM-DD, datetimes ISO, refs as values."""
    return {
        "message_id": x.message_id,
        "sent_at": x.sent_at.isoformat() if x.sent_at else None,
        "language": x.language,
        "role": x.role,
        "order_refs": [r.value for r in x.order_refs],
        "quoted_refs": [r.value for r in x.quoted_refs],
        "event": x.event,
        "eta": x.eta.isoformat() if x.eta else None,
        "eta_confirmed": x.eta_confirmed,
        "required_by": x.required_by.isoformat() if x.required_by else None,
        "delay_days": x.delay_days,
        "reason": x.reason,
        "dates": [
            {"text": d.text, "value": d.value.isoformat(), "last": d.last.isoformat(), "kind": d.kind, "sentence": d.sentence}
            for d in x.dates
        ],
        "evidence": dict(x.evidence),
        "error": x.error,
    }
