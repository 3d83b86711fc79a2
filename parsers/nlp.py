"""The spaCy pipeline for mail text: a fast tokenizer, a mail sentence splitter and
three regex-backed components.

Before a doc goes through the pipeline the caller sets ``doc._.now`` (the message's
sent time; dates are not resolved without it), ``doc._.lang`` and
``doc._.ref_patterns`` (configured ``(kind, regex)`` pairs).  The components fill:

* ``order_refs``: ``doc.spans["order_refs"]`` (label = kind) and ``doc._.refs``;
* ``temporal``: ``doc.spans["dates"]`` and ``doc._.dates`` (``DateMention`` with
  ``sentence`` filled);
* ``event_cues``: ``doc._.cues`` (one ``(sentence span, SentenceCues)`` per
  sentence) and ``doc.spans["event_cues"]`` (sentence spans labelled by event).

spaCy is used for tokens and sentences only; the cue work is regex over sentence
text (about a millisecond per typical mail; see bench/extract_speed.py).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import replace
from functools import lru_cache

import spacy

from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from parsers.dates import find_dates
from parsers.events import analyse_sentence
from parsers.refs import find_ref_spans, row_cells

for _name, _default in (("now", None), ("lang", None), ("ref_patterns", ()), ("refs", None), ("dates", None), ("cues", None), ("sentences", None), ("text", None), ("token_starts", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

# Words keep inner punctuation (12/16, 2026.12.16, 30,000,000, P.O); other
# punctuation is one token per character; whitespace other than one space is a token.
_TOKEN_RE = re.compile(r"(\s+|\w+(?:[^\w\s]\w+)*|[^\w\s])( (?=\S))?")
# A sentence ends after ?/! (any run), after "." following a Korean syllable, an
# English word of 2+ letters or a number (then a capital or Korean must follow),
# always at a line break except inside a hard-wrapped paragraph.
_SENTENCE_END = re.compile(
    r"(?:[?!。？！]+|(?<=[가-힣])\.+|(?<=[A-Za-z]{2})\.(?!\w)|(?<=[\d)])\.(?=\s+[A-Z가-힣]))[)\]\"'”’]*(?=\s)"
)
_ABBREVIATION_BEFORE = re.compile(
    r"(?:^|[^A-Za-z])(?:no|nr|mr|ms|mrs|dr|co|ltd|inc|corp|approx|est|prev|orig|req|vs|etc|qty|ref|tel|fax|st|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)$",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"\s*\d{1,2}$")
_WRAP_WIDTH = 60
_LINE_END_PUNCT = tuple(".?!:;다요")
# A Korean clause that goes on: "원래 12월 10일 입고 예정이었으나," / "확인해 보니".
_CONTINUING_CLAUSE = re.compile(r"(?:으나|지만|는데|었고|였고|이며|되며|하며|면서|므로|어서|아서|해서|라서|보니)\s*,?$")


class MailTokenizer:
    """Splits mail text into words, punctuation and whitespace runs (newlines kept)."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        for m in _TOKEN_RE.finditer(text):
            words.append(m.group(1))
            spaces.append(m.group(2) is not None)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc._.text = text
        return doc


def _soft_wrap(line: str, next_line: str) -> bool:
    """``line`` ran to full width inside a hard-wrapped paragraph that ``next_line``
    continues, or ends in a Korean clause that the next line finishes."""
    first = next_line[:1]
    if _CONTINUING_CLAUSE.search(line) and "가" <= first <= "힣":
        return True
    return (
        len(line) >= _WRAP_WIDTH
        and " | " not in line
        and " | " not in next_line
        and not line.endswith(_LINE_END_PUNCT)
        and (first.islower() or "가" <= first <= "힣")
    )


def split_sentences(text: str) -> list[tuple[int, int, str]]:
    """``(start_char, end_char, text)`` of each non-empty sentence of mail text."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    lines = text.split("\n")
    block_start = 0
    for i, line in enumerate(lines):
        end = pos + len(line)
        nxt = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
        if not (nxt and _soft_wrap(line.rstrip(), nxt)):
            _split_block(text, block_start, end, out)
            block_start = end + 1
        pos = end + 1
    return out


def _split_block(text: str, start: int, end: int, out: list[tuple[int, int, str]]) -> None:
    """Append the sentences of ``text[start:end]`` (one line or one wrapped paragraph)."""
    cut = start
    for m in _SENTENCE_END.finditer(text, start, end):
        before = text[cut: m.start()]
        if m.group(0).startswith(".") and (_ABBREVIATION_BEFORE.search(before) or _LIST_MARKER.fullmatch(before)):
            continue
        _append(text, cut, m.end(), out)
        cut = m.end()
    _append(text, cut, end, out)


def _append(text: str, start: int, end: int, out: list[tuple[int, int, str]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        offset = start + piece.index(stripped[0])
        out.append((offset, offset + len(stripped), " ".join(stripped.split()) if "\n" in stripped else stripped))


def _text(doc: Doc) -> str:
    """The doc's text, kept by the tokenizer (``Doc.text`` is rebuilt on every call)."""
    return doc._.text if doc._.text is not None else doc.text


def _token_starts(doc: Doc) -> tuple[list[int], list[int]]:
    """Start and end character offsets of the tokens (trailing space excluded)."""
    bounds = doc._.token_starts
    if bounds is None:
        if len(doc):
            arr = doc.to_array([IDX, LENGTH])
            starts = arr[:, 0].tolist()
            bounds = (starts, (arr[:, 0] + arr[:, 1]).tolist())
        else:
            bounds = ([], [])
        doc._.token_starts = bounds
    return bounds


def _span(
    doc: Doc, start: int, end: int, label: str = "", bounds: tuple[list[int], list[int]] | None = None
) -> Span | None:
    """The tokens covering characters ``start:end`` (``char_span`` with
    ``alignment_mode="expand"``, without its per-token lookups)."""
    starts, ends = bounds or _token_starts(doc)
    first = max(0, bisect_right(starts, start) - 1)
    if first < len(ends) and start >= ends[first]:
        first += 1
    stop = bisect_left(starts, end)
    if stop <= first:
        return None
    return Span(doc, first, stop, label=label)


@Language.component("mail_sentences")
def mail_sentences(doc: Doc) -> Doc:
    """Sentence starts for mail (see ``split_sentences``); tokens inside a sentence
    keep an unset start.  The sentences are also kept as ``doc._.sentences`` for the
    components after it."""
    bounds = split_sentences(_text(doc))
    if len(doc):
        starts = _token_starts(doc)[0]
        for i in sorted({0, *(bisect_right(starts, b[0]) - 1 for b in bounds)}):
            doc[max(0, i)].is_sent_start = True
    doc._.sentences = bounds
    return doc


@Language.component("order_refs")
def order_refs(doc: Doc) -> Doc:
    """Order references as spans (label = kind) and ``doc._.refs``."""
    spans, refs = [], []
    for start, end, ref in find_ref_spans(_text(doc), doc._.ref_patterns or ()):
        span = _span(doc, start, end, ref.kind)
        if span is not None:
            spans.append(span)
        refs.append(ref)
    doc.spans["order_refs"] = spans
    doc._.refs = refs
    return doc


@Language.component("temporal")
def temporal(doc: Doc) -> Doc:
    """Dates resolved against ``doc._.now`` (none without it), each with its sentence."""
    mentions = []
    spans = []
    if doc._.now is not None:
        bounds = doc._.sentences
        starts = [b[0] for b in bounds]
        for d in find_dates(_text(doc), doc._.now, doc._.lang):
            i = bisect_right(starts, d.start) - 1
            mentions.append(replace(d, sentence=bounds[i][2] if i >= 0 else ""))
            span = _span(doc, d.start, d.end, d.kind)
            if span is not None:
                spans.append(span)
    doc.spans["dates"] = spans
    doc._.dates = mentions
    return doc


@Language.component("event_cues")
def event_cues(doc: Doc) -> Doc:
    """Per-sentence event cues; a sentence counts as dated when it holds a date that
    is not in the past (or a duration)."""
    today = doc._.now.date() if doc._.now is not None else None
    dated = {
        d.sentence for d in doc._.dates or () if d.kind == "duration" or today is None or d.last >= today
    }
    cues, spans = [], []
    full = _text(doc)
    bounds = _token_starts(doc)
    header: str | None = None
    cells = 0
    prev_end = -1
    for start, end, text in doc._.sentences:
        header, cells, context = _table_context(full, prev_end, start, text, header, cells, dated)
        prev_end = end
        sc = analyse_sentence(text, text in dated, context)
        span = _span(doc, start, end, "", bounds)
        cues.append((span, sc))
        if span is not None:
            spans.extend(Span(doc, span.start, span.end, label=event) for event in sorted(sc.events))
    doc.spans["event_cues"] = spans
    doc._.cues = cues
    return doc


def _table_context(
    full: str, prev_end: int, start: int, text: str, header: str | None, cells: int, dated: set[str]
) -> tuple[str | None, int, str]:
    """The header row of the table ``text`` is a row of (as ``(header, cells,
    context)``): rows are lines with ``|`` cells or fixed-width columns; the first row
    of a run of consecutive rows, without dates, is the header of the rows below it
    with as many cells ("품목 | 수량 | 확정일" over "CW9166I | 20 | 12월 28일")."""
    n = _cell_count(text)
    if n < 2:
        return None, 0, ""
    consecutive = prev_end >= 0 and full.count("\n", prev_end, start) == 1 and "\n" in full[prev_end:start]
    if header is None or not consecutive:
        if text in dated:
            return None, 0, ""
        return text, n, ""
    return header, cells, header if n == cells else ""


def _cell_count(text: str) -> int:
    """Cells of a table row (see ``parsers.refs.row_cells``); 0 for a line that is not one."""
    return text.count("|") + 1 if "|" in text else len(row_cells(text))


_BLANK_CONFIG = {"ko": {"nlp": {"tokenizer": {"@tokenizers": "spacy.Tokenizer.v1"}}}}


@lru_cache(maxsize=None)
def get_nlp(lang: str) -> Language:
    """The pipeline for ``lang`` ("ko", "en"; anything else gets the multi-language
    blank), built once per process."""
    code = lang if lang in ("ko", "en") else "xx"
    nlp = spacy.blank(code, config=_BLANK_CONFIG.get(code, {}))
    nlp.tokenizer = MailTokenizer(nlp.vocab)
    for name in ("mail_sentences", "order_refs", "temporal", "event_cues"):
        nlp.add_pipe(name)
    return nlp
