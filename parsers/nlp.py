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
text, which keeps the whole pipeline well under a millisecond per typical mail.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from parsers.dates import find_dates
from parsers.events import analyse_sentence
from parsers.refs import find_ref_spans

for _name, _default in (("now", None), ("lang", None), ("ref_patterns", ()), ("refs", None), ("dates", None), ("cues", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

# Words keep inner punctuation (12/16, 2026.12.16, 30,000,000, P.O); other
# punctuation is one token per character; whitespace other than one space is a token.
_TOKEN_RE = re.compile(r"(\s+|\w+(?:[^\w\s]\w+)*|[^\w\s])( (?=\S))?")
_TERMINAL = frozenset(".?!。？！")
_ABBREVIATIONS = frozenset(
    "no nr mr ms mrs dr co ltd inc corp approx vs etc qty ref tel fax st jan feb mar apr jun jul aug sep sept oct nov dec "
    "e.g i.e p.o s.o p/o".split()
)
_HANGUL_END = re.compile(r"[가-힣]$")
_WRAP_WIDTH = 60
_LINE_END_PUNCT = tuple(".?!:;다요")


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
        return Doc(self.vocab, words=words, spaces=spaces)


def _period_ends_sentence(doc: Doc, i: int) -> bool:
    """The ``.`` at ``doc[i]`` ends a sentence: it follows a Korean word, an English
    word that is no abbreviation, or a number (not a list marker) before a capital."""
    before = doc[i - 1]
    if _HANGUL_END.search(before.text):
        return True
    if before.text[-1:].isdigit():
        nxt = doc[i + 1].text[:1] if i + 1 < len(doc) else ""
        at_line_start = i < 2 or doc[i - 2].is_space and "\n" in doc[i - 2].text
        return not at_line_start and (nxt.isupper() or "가" <= nxt <= "힣")
    return before.text.isalpha() and len(before.text) > 1 and before.text.lower() not in _ABBREVIATIONS


def _soft_wrap(text: str, line_start: int, newline: str, next_char: str) -> bool:
    """A single newline inside a hard-wrapped paragraph (the line ran to full width)."""
    if newline.count("\n") != 1:
        return False
    line = text[line_start:].split("\n", 1)[0].rstrip()
    return len(line) >= _WRAP_WIDTH and not line.endswith(_LINE_END_PUNCT) and (next_char.islower() or "가" <= next_char <= "힣")


@Language.component("mail_sentences")
def mail_sentences(doc: Doc) -> Doc:
    """Sentence starts for mail: line breaks are boundaries (except hard wraps), as are
    ``.``/``?``/``!`` after a word (Korean ``다.``/``요.`` included)."""
    text = doc.text
    line_start = 0
    start_next = True
    for i, tok in enumerate(doc):
        if tok.is_space:
            tok.is_sent_start = i == 0
            if "\n" in tok.text:
                nxt = doc[i + 1].text[:1] if i + 1 < len(doc) else ""
                if not _soft_wrap(text, line_start, tok.text, nxt):
                    start_next = True
                line_start = tok.idx + tok.text.rindex("\n") + 1
            continue
        tok.is_sent_start = start_next or i == 0
        start_next = False
        if tok.text in _TERMINAL and i > 0:
            if tok.text != "." or _period_ends_sentence(doc, i):
                start_next = i + 1 < len(doc) and doc[i + 1].text not in _TERMINAL
    return doc


def sentence_bounds(doc: Doc) -> list[tuple[int, int, str]]:
    """``(start_char, end_char, stripped text)`` of each non-empty sentence."""
    out = []
    for sent in doc.sents:
        text = sent.text.strip()
        if text:
            offset = sent.text.index(text[0])
            out.append((sent.start_char + offset, sent.start_char + offset + len(text), text))
    return out


@Language.component("order_refs")
def order_refs(doc: Doc) -> Doc:
    """Order references as spans (label = kind) and ``doc._.refs``."""
    spans, refs = [], []
    for start, end, ref in find_ref_spans(doc.text, doc._.ref_patterns or ()):
        span = doc.char_span(start, end, label=ref.kind, alignment_mode="expand")
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
        bounds = sentence_bounds(doc)
        starts = [b[0] for b in bounds]
        for d in find_dates(doc.text, doc._.now, doc._.lang):
            i = bisect_right(starts, d.start) - 1
            mentions.append(replace(d, sentence=bounds[i][2] if i >= 0 else ""))
            span = doc.char_span(d.start, d.end, label=d.kind, alignment_mode="expand")
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
    for start, end, text in sentence_bounds(doc):
        sc = analyse_sentence(text, text in dated)
        span = doc.char_span(start, end, alignment_mode="expand")
        cues.append((span, sc))
        spans.extend(Span(doc, span.start, span.end, label=event) for event in sorted(sc.events))
    doc.spans["event_cues"] = spans
    doc._.cues = cues
    return doc


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
