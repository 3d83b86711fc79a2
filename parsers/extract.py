"""One message in, what it says about orders out.

Works on ``msg.new_text`` (plus the subject for references and, when the subject
opens a thread, for the event).  Quoted history only yields ``quoted_refs``: it
never gives an eta, a need-by date or the event.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Iterable, Iterator

from spacy.tokens import Doc

from parsers.events import SentenceCues, analyse_sentence, decide_event, find_reason
from parsers.nlp import get_nlp
from parsers.quotes import detect_language
from parsers.refs import dedupe, find_refs
from parsers.types import DateMention, Extraction, ExtractSettings, ParsedMessage

MAX_CHARS = 20_000  # new text beyond this is not read (a mail body, not an attachment dump)

_REPLY_SUBJECT = re.compile(r"^\s*(?:re|fw|fwd|aw|sv|답장|회신|전달)\s*[:：]", re.IGNORECASE)
# Dates that are about something else than delivery, judged from the words next to them.
_NOT_DELIVERY = re.compile(
    r"회의|미팅|통화|콜|방문|세금\s*계산서|계산서|인보이스|청구|결제|입금|지급|회신|답변|유효|발행|견적\s*유효|"
    r"\b(?:meeting|call|visit|invoice[ds]?|billing|payment|paid|pay|reply|respond|valid|quote\s+expires|expir\w*|webinar)\b",
    re.IGNORECASE,
)
_CONTEXT = 14  # characters either side of a date looked at for _NOT_DELIVERY
_SCORES = {"delay": 3, "confirmed": 3, "eta": 2, "shipped": 1, "delivered": 1}
_DATED_EVENTS = {"delay", "confirmed", "eta"}
_FOLLOW_UP = 2  # sentences after a dated-event sentence that may carry its date


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
    if msg.from_ is None:
        return "other"
    email, domain = msg.from_.email.lower(), msg.from_.domain
    if email in {a.lower() for a in settings.rep_addresses}:
        return "rep"
    for role, domains in (("vendor", settings.vendor_domains), ("customer", settings.customer_domains)):
        if any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains):
            return role
    return "other"


def _prepare(msg: ParsedMessage, settings: ExtractSettings, lang: str) -> Doc:
    doc = get_nlp(lang).make_doc((msg.new_text or "")[:MAX_CHARS])
    doc._.now = msg.sent_at
    doc._.lang = lang
    doc._.ref_patterns = settings.extra_ref_patterns
    return doc


def _delivery_date(d: DateMention, sentence: str, today: date | None) -> bool:
    """``d`` can be a delivery date: not in the past and not next to a non-delivery word."""
    if d.kind != "duration" and today is not None and d.last < today:
        return False
    at = sentence.find(d.text)
    window = sentence[max(0, at - _CONTEXT): at + len(d.text) + _CONTEXT] if at >= 0 else sentence
    return _NOT_DELIVERY.search(window) is None


def _pick_dates(cues: list[SentenceCues], dates: list[DateMention], role: str, today: date | None) -> _Found:
    """Eta, delay length and need-by date from the sentences of the new text."""
    found = _Found()
    by_sentence: dict[str, list[DateMention]] = {}
    for d in dates:
        by_sentence.setdefault(d.sentence, []).append(d)
    best_point: tuple[int, date, SentenceCues] | None = None
    best_duration: tuple[int, DateMention, SentenceCues] | None = None
    for sc in cues:
        mentions = by_sentence.get(sc.text, [])
        if not mentions:
            continue
        if sc.need and role != "vendor":
            if found.required_by is None:
                points = [d for d in mentions if d.kind != "duration"]
                if points:
                    found.required_by = points[0].last
                    found.required_sentence = sc.text
            continue
        if sc.question:
            continue
        score = max((_SCORES.get(e, 0) for e in sc.events), default=0) or (1 if sc.delivery else 0)
        if not score:
            continue
        usable = [d for d in mentions if _delivery_date(d, sc.text, today)]
        points = [d for d in usable if d.kind != "duration"]
        durations = [d for d in usable if d.kind == "duration"]
        if points and (best_point is None or score > best_point[0]):
            best_point = (score, max(d.last for d in points), sc)
        if durations and sc.events & _DATED_EVENTS and (best_duration is None or score > best_duration[0]):
            best_duration = (score, durations[0], sc)
        if "delay" in sc.events and found.delay_days is None:
            if durations and durations[0].days:
                found.delay_days, found.delay_sentence = durations[0].days, sc.text
            else:
                all_points = [d for d in mentions if d.kind != "duration"]
                if len(all_points) >= 2:
                    span = (max(d.last for d in all_points) - min(d.value for d in all_points)).days
                    if span > 0:
                        found.delay_days, found.delay_sentence = span, sc.text
    if best_point is None and best_duration is None:
        best_point = _follow_up_date(cues, by_sentence, today, found)
    if best_point is not None:
        _, found.eta, found.eta_sentence = best_point
    elif best_duration is not None:
        _, d, found.eta_sentence = best_duration
        found.eta = d.last
    return found


def _follow_up_date(
    cues: list[SentenceCues], by_sentence: dict[str, list[DateMention]], today: date | None, found: _Found
) -> tuple[int, date, SentenceCues] | None:
    """A date stated just after a delay/eta/confirmed sentence that had none ("입고가
    늦어집니다. 이달 월말쯤 될 것 같아요.", a table row of original and revised dates).
    Two dates there are old and new: their distance is the delay."""
    for i, sc in enumerate(cues):
        if not sc.events & _DATED_EVENTS or sc.question:
            continue
        for nxt in cues[i + 1: i + 1 + _FOLLOW_UP]:
            if nxt.question or nxt.need:
                continue
            points = [d for d in by_sentence.get(nxt.text, []) if d.kind != "duration"]
            usable = [d for d in points if _delivery_date(d, nxt.text, today)]
            if usable:
                eta = max(d.last for d in usable)
                if "delay" in sc.events and found.delay_days is None and len(points) >= 2:
                    span = (eta - min(d.value for d in points)).days
                    if span > 0:
                        found.delay_days, found.delay_sentence = span, nxt.text
                return 0, eta, nxt
    return None


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
    x.event, decider = decide_event(cues, role)
    if x.event == "other" and (subject := _subject_cues(msg.subject or "")) is not None:
        x.event, decider = decide_event([subject], role)
    if decider is not None:
        x.evidence["event"] = decider.text

    if msg.sent_at is None:
        x.evidence["dates"] = "no sent date: relative dates could not be resolved, so none were read"
        return x
    x.dates = list(doc._.dates)
    found = _pick_dates(cues, x.dates, role, msg.sent_at.date())
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


def _language(msg: ParsedMessage) -> str:
    return detect_language(msg.new_text or msg.subject or msg.text or "")


def _failed(msg: ParsedMessage, exc: Exception) -> Extraction:
    error = f"extraction failed: {type(exc).__name__}: {exc}"
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
        return _finish(msg, doc, settings, lang)
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
                results.update((i, _finish(batch[i], doc, settings, lang)) for i, doc in zip(idx, docs))
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
