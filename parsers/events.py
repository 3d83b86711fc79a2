"""What happened, sentence by sentence: event cues, hedging, negation, questions.

``analyse_sentence`` reads one sentence (Korean or English business mail) and
reports which events it asserts after removing negated phrases ("지연 없습니다",
"not yet confirmed") and dropping assertions made in questions ("확정인가요?").
``decide_event`` turns the cues of a message into one event with the precedence
delivered > shipped > delay > confirmed > eta > stock_check > quote_request >
inquiry > other.  ``find_reason`` pulls a short stated cause ("본사 재고 부족",
"stock shortage") out of a sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

PRECEDENCE = ("delivered", "shipped", "delay", "confirmed", "eta", "stock_check", "quote_request", "inquiry")

_I = re.IGNORECASE
_ESCAPE_OR_UPPER = re.compile(r"(\\.)|([A-Z])")


class _Words:
    """An alternation of patterns matched against lower-cased text.

    The patterns are lower-cased and a leading ``\\b`` is checked after the match
    instead of in the regex.  Each pattern is rewritten to start with a literal
    ("(?:출고|발송)\\s*완료" becomes "출고\\s*완료|발송\\s*완료"): when every alternative
    does, ``re`` skips through the text to the characters that can start a match,
    which makes these searches several times faster.  Patterns that cannot be
    rewritten so go to a second regex.
    """

    def __init__(self, *parts: str):
        fast: list[str] = []
        slow: list[str] = []
        for part in parts:
            lowered = _ESCAPE_OR_UPPER.sub(lambda m: m.group(1) or m.group(2).lower(), part)
            expanded = _literal_first(lowered)
            if expanded is None:
                slow.append(lowered.removeprefix(r"\b"))
            else:
                fast.extend(expanded)
        self.regexes = tuple(re.compile("|".join(ps)) for ps in (fast, slow) if ps)

    def finditer(self, low: str) -> Iterator[re.Match]:
        if len(self.regexes) == 1:
            yield from _valid_matches(self.regexes[0], low)
            return
        end = 0
        for m in sorted((m for rx in self.regexes for m in _valid_matches(rx, low)), key=lambda m: m.start()):
            if m.start() >= end:
                end = m.end()
                yield m

    def search(self, low: str) -> re.Match | None:
        found = None
        for rx in self.regexes:
            pos = 0
            while (m := rx.search(low, pos)) is not None:
                at = m.start()
                if at and _ascii_word(low[at - 1]) and _ascii_word(low[at]) and not low.startswith("n't", at):
                    pos = at + 1
                    continue
                if found is None or at < found.start():
                    found = m
                break
        return found

    def mask(self, low: str) -> str:
        """``low`` with every match blanked out (same length)."""
        pieces, last = [], 0
        for m in self.finditer(low):
            pieces.append(low[last: m.start()])
            pieces.append(" " * (m.end() - m.start()))
            last = m.end()
        if not pieces:
            return low
        pieces.append(low[last:])
        return "".join(pieces)


def _valid_matches(rx: re.Pattern, low: str) -> Iterator[re.Match]:
    """Matches of ``rx`` in ``low`` that do not start inside an ASCII word."""
    for m in rx.finditer(low):
        at = m.start()
        if at and _ascii_word(low[at - 1]) and _ascii_word(low[at]) and not low.startswith("n't", at):
            continue
        yield m


_REGEX_SPECIAL = frozenset("\\()[].^$*+?{|")
_MAX_EXPANSION = 64


def _literal_first(pattern: str) -> list[str] | None:
    """``pattern`` as alternatives that each start with a literal character: a
    leading ``\\b`` dropped, top-level ``|`` split, a leading group (optional or
    not) multiplied out; None when some alternative cannot start with a literal."""
    pattern = pattern.removeprefix(r"\b")
    alternatives = _top_level_split(pattern)
    if len(alternatives) > 1:
        out: list[str] = []
        for alt in alternatives:
            expanded = _literal_first(alt)
            if expanded is None or len(out) + len(expanded) > _MAX_EXPANSION:
                return None
            out += expanded
        return out
    if pattern and pattern[0] not in _REGEX_SPECIAL:
        return [pattern]
    if not pattern.startswith("(?:"):
        return None
    end = _group_end(pattern)
    inner, after = pattern[3:end], pattern[end + 1:]
    optional = after.startswith("?") and not after.startswith("??")
    if optional:
        after = after[1:]
    elif after[:1] in ("*", "+", "{", "?"):
        return None
    return _literal_first("|".join([alt + after for alt in _top_level_split(inner)] + ([after] if optional else [])))


def _structure(pattern: str):
    """``(index, char, depth)`` for each character of ``pattern`` outside escapes and
    character classes; ``depth`` is the group nesting after the character."""
    depth, in_class, i = 0, False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            if c in "()":
                depth += 1 if c == "(" else -1
            yield i, c, depth
        i += 1


def _group_end(pattern: str) -> int:
    """Index of the ``)`` closing the group that opens ``pattern``."""
    for i, c, depth in _structure(pattern):
        if c == ")" and depth == 0:
            return i
    raise ValueError(f"unbalanced group in {pattern!r}")


def _top_level_split(pattern: str) -> list[str]:
    """``pattern`` split at the ``|`` that are not inside a group or a class."""
    cuts = [i for i, c, depth in _structure(pattern) if c == "|" and depth == 0]
    return [pattern[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(pattern)])]


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _ascii_word(ch: str) -> bool:
    return ch in _WORD_CHARS




# Phrases removed before the positive cues are looked for.  Each turns a cue word
# into its opposite ("지연 없이" is not a delay) or into boilerplate.
_NOT_DELAYED = _Words(
    r"(?:지연|늦어지|늦춰지|연기되|밀리)(?:지|는\s*일은?|될\s*일은?)?\s*(?:은|는|이|도|사항은?|\s)*(?:없|아니|않)",
    r"(?:차질|변동|변경|문제|이슈)\s*(?:사항)?\s*(?:은|는|이|가|도)?\s*(?:전혀\s*)?없",
    r"(?:예정|일정|계획)\s*대로", r"정상\s*(?:적으로)?\s*(?:진행|입고|출고|납품|처리)",
    r"\b(?:not|n't|never)\s+(?:be\s+|been\s+|being\s+|expect(?:ing)?\s+(?:any\s+)?)?(?:delayed|late|postponed|affected|delays?)\b",
    r"\bno\s+(?:further\s+|more\s+|other\s+)?(?:delays?|changes?|slip(?:page)?|impact|issues?)\b",
    r"\bwithout\s+(?:any\s+)?delay", r"\bon\s+(?:schedule|track|time)\b", r"\bas\s+(?:planned|scheduled|promised)\b",
    r"\bunchanged\b", r"\bremains?\s+(?:the\s+same|unchanged)",
)
_NOT_CONFIRMED = _Words(
    r"미\s*확정", r"아직\s*(?:\S+\s*){0,3}?확정",
    r"(?:확정|컨펌|확약)\s*(?:은|는|이|된\s*(?:것은|건|게)|된\s*바|이\s*된\s*것은)?\s*"
    r"(?:아니|아님|안\s*되|않|못|전|되지|되면|이\s*되면|되는\s*대로|되어야|시|후|나면|나는\s*대로|받는\s*대로|여부|요청|부탁|필요|예정)",
    r"\b(?:not|n't)\s+(?:yet\s+)?(?:been\s+|be\s+)?(?:confirmed|committed|firm|final)",
    # An absent confirmation: "확정 회신은 아직 없으며", "확정 소식 못 받았습니다".
    r"(?:확정|컨펌|확약)\s*(?:회신|답변|답|연락|소식|통보|메일|공지|일자?|날짜)?\s*(?:은|는|이|가|도|을|를)?\s*"
    r"(?:아직\s*)?(?:없|못\s*받|안\s*(?:나|왔|옴|됐|되))",
    r"\b(?:not|n't|never)\s+(?:yet\s+)?(?:\w+\s+){0,5}?(?:commit(?:ted|ment|s)?|confirm(?:ed|ation|s)?|firm)\b",
    r"\bno\s+(?:\w+\s+){0,2}?(?:commit(?:ted|ment|s)?|confirm(?:ed|ation)?|firm)\b",
    r"\bunconfirmed\b", r"\bto\s+be\s+confirmed\b", r"\bTB[CD]\b", r"\bpending\s+(?:\w+\s+)?confirmation\b",
    r"\b(?:awaiting|waiting\s+for)\s+(?:\w+\s+){0,2}?(?:confirmation|commit(?:ment)?)\b", r"\bfirm\s+(?:\w+\s+)?up\b",
    # Asking for a firm date is not having one: "I need a firm date", "a confirmed date would help".
    r"\b(?:need|want|require|request|ask|look|wait)(?:s|ed|ing)?\s+(?:for\s+)?(?:a|an)\s+(?:firm|confirmed|committed)\b",
    r"\b(?:a|an)\s+(?:firm|confirmed|committed)\s+(?:\w+\s+){0,2}?(?:would|will|could)\b",
    r"\b(?:push|ask|press|wait|hope|aim|work|look)(?:ing)?\s+(?:for|to\s+get)\s+(?:a\s+)?firm",
    r"확정\S*\s*(?:\S+\s*){0,4}?(?:드릴게|드리겠|말씀\s*드리겠|말씀\s*드릴|알려\s*드릴|알려\s*드리겠|회신\s*드릴|회신\s*드리겠|안내\s*드리겠|안내\s*드릴)", r"\b(?:once|when|until|after|if|as\s+soon\s+as)\s+(?:\w+\s+){0,4}?confirm(?:ed|s|ation)?\b",
    r"\b(?:once|when|until|after|if|as\s+soon\s+as)\s+(?:\w+\s+){0,4}?(?:commit(?:ted|s)?|firm(?:ed)?)\b",
    r"\b(?:share|send|give|provide|get|have)\s+(?:you\s+|us\s+)?(?:a|an)\s+(?:firm|confirmed|committed)\b",
    r"\bwill\s+(?:be\s+)?confirm(?:ed)?\b", r"\bconfirm(?:ed)?\s+(?:later|soon|shortly|separately)\b",
    r"\b(?:please|kindly|pls)\s+(?:\w+\s+)?confirm\b", r"\b(?:can|could|would)\s+you\s+(?:\w+\s+)?confirm\b",
    r"\bconfirm(?:ation)?\s+(?:of|on)\s+(?:the\s+)?(?:receipt|PO|order)", r"\border\s+confirmation\b",
)
_NOT_DELIVERED = _Words(
    r"(?:입고|도착|납품|배송|수령)\s*(?:이|가|는|은)?\s*(?:되지|하지|안|못|않|전)",
    r"(?:입고|도착|납품|배송|수령|설치|인수|검수)\s*(?:이|가|는|은)?\s*완료\s*(?:(?:가|이|를|을)?\s*(?:목표|계획)|돼야|되어야|해야|되도록|하도록|될|할|하겠|되는|되면|되기|하기|조건|예정|후|시|전|여부|일정)",
    r"아직\s*(?:\S+\s*){0,2}?(?:안|못)\s*\S*",
    r"\b(?:not|n't|never)\s+(?:yet\s+)?(?:been\s+)?(?:arrived|received|delivered|got(?:ten)?|come)\b",
    # Receiving an order or a mail is not receiving goods.
    r"(?:PO|P/O|발주\S*|주문\S*|오더\S*|메일|이메일|견적\S*|요청\S*|문의\S*|회신\S*|연락\S*|답변\S*|서류|자료|파일|문자|알림|안내\S*)\s*"
    r"(?:은|는|을|를|도)?\s*(?:잘\s*|무사히\s*)?(?:받았|수령|접수)\S*",
    r"\b(?:received|got|have|has)\s+(?:\w+\s+)?(?:your|the|our|this)\s+(?:\w+\s+)?(?:PO|P\.O\.|purchase\s+order|order|e-?mail|mail|message|quote|request|inquiry|note|RFQ)\b",
    r"\breceived\s+(?:PO|P\.O\.|purchase\s+order|order)\b",
    # A delivery still to come: "should be delivered on Dec 18", "to be received by".
    r"\bbe\s+(?:delivered|received)\b",
    r"\breceived\s+(?:it|this|them)\b(?:\s+\S+){0,3}?\s+(?:in\s+error|by\s+mistake)",
    r"\b(?:thank\s+you|thanks)\s+for\s+(?:\w+\s+){0,3}",
)
_NOT_SHIPPED = _Words(
    r"(?:출고|발송|출하|선적)\s*(?:이|가|는|은)?\s*(?:되지|하지|안|못|않|전)",
    r"\b(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?(?:shipped|dispatched|sent)\b",
    # A shipment still to come: "tracking information once your order ships", "출고되면 송장번호".
    r"\b(?:once|as\s+soon\s+as)\s+(?:\w+\s+){0,3}?(?:ships?|shipped|dispatched)\b", r"\b(?:when|after)\s+(?:\w+\s+){0,3}?ships\b",
    r"\b(?:will|'ll)\s+(?:\w+\s+){0,3}?tracking\s+\w+",
    r"(?:출고|발송|출하)\s*(?:되면|되는\s*대로|되는\s*즉시|하면|하는\s*대로)[^\n.,]*",
)
_BOILERPLATE = _Words(
    r"(?:문의\s*사항|궁금하신\s*(?:점|사항)|추가\s*(?:문의|요청|질문)|질문|문의)\S*\s*(?:이|가)?\s*(?:있으시면|있으면|있으실\s*경우|주시면)[^\n]*",
    r"\b(?:please\s+)?let\s+(?:me|us)\s+know\s+if\b[^\n]*", r"\b(?:if|should)\s+you\s+(?:have|need)\s+any\s+(?:further\s+|other\s+|more\s+|additional\s+)?(?:questions?|concerns?|queries|issues|help|assistance|clarifications?|information|info)\b[^\n]*",
    r"\bfor\s+(?:urgent|immediate)\s+(?:matters|issues|requests|assistance)\b[^\n]*", r"급한\s*(?:용무|건|일)\S*\s*(?:은|는)?\s*[^\n]*연락",
    r"\bfeel\s+free\s+to\b[^\n]*", r"\bdon'?t\s+hesitate\b[^\n]*", r"\bhope\s+(?:this|you)\b[^\n]*",
)
_NOT_STOCK_CHECK = _Words(
    r"\bif\s+(?:they|he|she|there)\s+(?:\w+\s+)?(?:have|has|is|are)\s+(?:any\s+|enough\s+)?(?:\w+\s+)?(?:in\s+)?stock\b",
)
# Delay words that announce no delay: a condition ("제출이 늦어지면", "지연 시", "if it
# is delayed"), an apology for a delay already over, a late reply.
_UNANNOUNCED_DELAY = _Words(
    r"(?:지연|늦어지|늦춰지|연기|밀리)(?:되|돼)?(?:면|\s*시\b|\s*시에)", r"\bif\s+(?:\w+\s+){0,3}?(?:is|are|gets?|were)\s+delayed\b",
    r"(?:그간|그동안|그\s*동안|지금까지)\s*(?:의\s*)?(?:지연|늦어)", r"(?:지연|늦어진\s*점)\s*(?:으로|로)?\s*(?:인해\s*)?(?:불편|심려|폐)",
    r"\bdelay(?:ed)?\s+(?:in\s+)?(?:reply|replying|response|responding|answer|getting\s+back)",
    # Delays of something else than the goods: "고객사 프로젝트가 연기되었습니다", "the kickoff was postponed".
    r"(?:프로젝트|사업|행사|회의|미팅|교육|세미나)\S*\s*(?:이|가|은|는|도)?\s*(?:\S+\s*)?(?:연기|보류|지연|늦어)",
    r"\b(?:project|meeting|event|kick-?off|go-?live|rollout|launch|training)\s+(?:\w+\s+){0,3}?"
    r"(?:postponed|delayed|put\s+on\s+hold|pushed)",
    # "late" naming a part of a period: "late next week", "late January".
    r"\blate\s+(?:next\s+|this\s+|in\s+the\s+)?(?:week|month|year|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|"
    r"sep\w*|oct\w*|nov\w*|dec\w*|q[1-4]|morning|afternoon|evening|today|tomorrow)\b",
)
# Asking for an acknowledgement is not asking about an order's progress.
_ACKNOWLEDGEMENT = _Words(
    r"\b(?:please|kindly|pls)\s+(?:\w+\s+)?(?:confirm|acknowledge)\s+(?:the\s+|this\s+|our\s+|my\s+)?(?:receipt|cancell?ation|change|amendment)s?\b",
    r"(?:취소|변경|접수)\S*\s*(?:\S+\s*){0,2}?확인\s*(?:부탁|요청|해\s*주|바랍)",
)
_MASKS = (_BOILERPLATE, _NOT_STOCK_CHECK, _UNANNOUNCED_DELAY, _NOT_DELAYED, _NOT_CONFIRMED, _NOT_DELIVERED, _NOT_SHIPPED)

_CUES = {
    "delivered": _Words(
        r"(?:입고|도착|납품|배송|수령|설치|인수)\s*(?:가|이|는)?\s*(?:완료|되었|됐|되어\s*있|하였|했|처리\s*(?:되었|됐|했|완료))",
        r"(?:잘|무사히|정상\s*(?:적으로)?)\s*(?:받았|수령|도착)", r"물건\s*(?:을|은)?\s*받았", r"들어왔습니다|들어왔어요",
        r"\b(?:has|have|had|was|were|got)\s+(?:just\s+)?(?:been\s+)?(?:delivered|received)\b", r"\barrived\b",
        r"\bdelivered\s+(?:today|yesterday|this\s+morning|this\s+afternoon|on)\b", r"\b(?:we|i)\s+(?:have\s+)?received\b",
        r"\bdelivery\s+(?:is\s+|was\s+|has\s+been\s+)?complete", r"\bsigned\s+for\b", r"\bPOD\b",
        r"\bdelivered\s+at\s+\d", r"\bstatus\s*:?\s*delivered\b", r"(?:상태|status)\s*:?\s*(?:배송|납품|입고)\s*완료", r"\bas\s+delivered\b", r"\breceived\s+(?:today|yesterday|this\s+morning|this\s+afternoon|safely|in\s+good)",
        r"\b(?:all|both|\d+)\s+(?:\w+\s+){0,2}?received\b", r"^\s*delivered\s*(?:on|date)?\s*:", r"\bsigned\s+by\s*:",
        r"검수\s*(?:결과\s*:?\s*합격|(?:가|를|는|도)?\s*(?:완료|끝났|마쳤|이상\s*없))",
        r"(?:^|\|)\s*delivered\s*(?=\||\n|$)",
    ),
    "shipped": _Words(
        r"(?:출고|발송|출하|선적)\s*(?:가|이|는)?\s*(?:완료|되었|됐|하였|했|처리\s*(?:되었|됐|했|완료)|시작)",
        r"(?:송장|운송장|인보이스\s*번호|트래킹)\s*(?:번호)?", r"배송\s*중", r"(?:택배|화물)\s*(?:로|편으로)?\s*(?:발송|보냈|보내드렸)",
        r"보내드렸", r"(?:\b(?:has|have|was|were|got)|'ve)\s+(?:just\s+)?(?:been\s+)?(?:shipped|dispatched|sent\s+out|picked\s+up)\b",
        r"\bshipped\s+(?:today|yesterday|this|out|on|via|from)\b", r"\b(?:we|it|they|order|units?|items?|goods)\s+shipped\b",
        r"\btracking\s*(?:no\.?|number|#|info|link|code|id)", r"\b(?:waybill|AWB|B/L)\b", r"\bout\s+for\s+delivery\b", r"\bin\s+transit\b",
        r"\bstatus\s*:?\s*(?:shipped|dispatched|in\s+transit)\b", r"(?:상태|status)\s*:?\s*(?:출고\s*완료|발송\s*완료|배송\s*중)",
        r"\bon\s+(?:its|their)\s+way\b", r"\btracking\s*(?:no\.?|number|#|:)?\s*\d{6,}",
        r"\bleft\s+(?:our|the|their)\s+(?:\w+\s+){0,2}?(?:warehouse|factory|DC|hub|facility|plant)\b",
        # A status cell of a table row: "30 | Controller | 2 | Shipped | Est. 28-Dec-2026".
        r"(?:^|\|)\s*(?:partially\s+)?(?:shipped|dispatched|in\s+transit)\s*(?=\||\n|$)",
    ),
    "delay": _Words(
        r"지연", r"늦어", r"늦춰", r"늦게", r"연기", r"밀렸|밀려|밀리게|밀릴", r"미뤄|미루어", r"재고\s*(?:가|이)?\s*(?:부족|소진)", r"(?:출고|출하|선적|배송|납품|입고|발송)\s*(?:이|가|는|은)?\s*(?:\S+\s*)?보류",
        r"결품", r"백\s*오더", r"수급\s*(?:이|가)?\s*(?:어렵|불안|문제|차질|지연|이슈)", r"차질",
        r"(?:납기|일정|입고일|납품일|출고일|도착일)\s*(?:가|이|를|을)?\s*(?:\S+\s*)?(?:변경|조정)", r"변경된\s*(?:납기|일정)",
        r"\bdelay(?:s|ed|ing)?\b", r"\blate\b", r"\blater\s+than\s+(?:planned|expected|promised)",
        r"\bback\s*-?\s*order(?:s|ed)?\b", r"\bslip(?:ped|s|page)?\b", r"\bpushed\s+(?:\w+\s+){0,4}?(?:out|back)\b", r"\bpostpone[ds]?\b",
        r"\bshortage\b", r"\brescheduled\b", r"\brevised\s+(?:ETA|delivery|ship)",
        r"\bnew\s+(?:estimated\s+|expected\s+)?(?:ETA|delivery\s+date|ship\s+date|arrival)\b",
        r"\bno\s+longer\s+(?:achievable|possible|feasible|valid|realistic)\b",
        r"\bmoved\s+(?:out|back)\b",
        r"\b(?:on|under)\s+constraint\b", r"\bconstrained\b",
        r"\b(?:will\s+not|won't|would\s+not|wouldn't|cannot|can't)\s+hold\s*(?:[.,;]|$)",
        r"\b(?:can|could|will)\s+no\s+longer\s+(?:\w+\s+)?(?:ship|deliver|arrive|make|meet)\b",
        r"\bheld\s+(?:up\s+)?(?:at|in|by)\s+(?:\w+\s+){0,2}?(?:customs|port|border)\b", r"\bheld\s+up\b",
        r"\bcustoms\s+(?:hold|delay|inspection)\b",
        r"\b(?:shipments?|orders?|deliver(?:y|ies)|lines?|units?|goods)\s+(?:\w+\s+){0,3}?on\s+hold\b",
        r"\bre-?booked\s+(?:the\s+)?(?:delivery|shipment|pick-?up|courier|slot)\b", r"\bre-?(?:delivery|attempt)\b", r"\b(?:attempted|failed)\s+delivery\b", r"\bdelivery\s+attempt\b",
        r"재배송|재배차|배송\s*실패",
        # A missed transport or build slot: "could not get space on the Dec 11 sailing", "did not make the build slot".
        r"\b(?:could|did|was|were|will|can)(?:\s+not|n't)\s+(?:get|make|catch|secure|book)\s+(?:\w+\s+){0,4}?"
        r"(?:space|slot|sailing|flight|vessel|cut-?off|departure)\b",
        r"\bmissed\s+(?:the\s+|its\s+|our\s+)?(?:\w+\s+){0,2}?(?:sailing|flight|vessel|cut-?off|departure|slot)\b",
        r"(?:선복|선적|항공편|스페이스|부킹)\S*\s*(?:\S+\s*)?(?:확보\s*(?:를|가|이)?\s*(?:실패|못|불가)|놓쳤|놓쳐|못\s*잡)",
    ),
    "confirmed": _Words(
        r"확정", r"컨펌", r"확약", r"보장", r"\bconfirmed\b", r"\bcommit(?:ted|ment)?\b", r"\bfirm\b", r"\bguaranteed?\b",
        r"\b(?:can|hereby)\s+confirm\b", r"\bconfirm(?:ing)?\s+(?:that|the\s+(?:ETA|delivery|ship))", r"\b(?:i|we)\s+confirm\b",
    ),
    "eta": _Words(
        r"예정", r"예상", r"가능", r"소요", r"걸릴|걸립", r"리드\s*타임", r"납기", r"(?:입고|도착|출고|납품|배송|발송)\s*(?:될|할|됩|합|드리)",
        r"들어올|들어옵|들어갈|들어갑", r"\bETA\b", r"\bexpect(?:s|ed|ing|ation)?\b", r"\bestimated?\b", r"\bscheduled\b", r"\bplanned\b",
        r"\b(?:will|should|would|shall)\s+(?:\w+\s+)?(?:be\s+)?(?:arrive|ship|deliver|land|reach|dispatch)",
        r"\b(?:will|should|would)\s+be\s+(?:there|here|with\s+you|on\s+site)\b",
        r"\blead\s*-?\s*time\b", r"\btarget(?:ing|ed)?\b", r"\bdue\s+(?:on|by|in)\b", r"\btracking\s+(?:to|for)\b",
        r"(?:로|으로)\s*(?:(?:일정|납기|날짜|입고일)\s*(?:이|가)?\s*)?(?:변경|조정|바뀌|바뀜|바꿨|당겨|앞당겨)", r"\best\.",
        r"\blooking\s+at\b", r"\barriving\b", r"\b(?:changed|moved|revised|updated|rescheduled|brought\s+forward)\s+(?:from|to)\b",
    ),
    "stock_check": _Words(
        r"재고", r"보유\s*(?:수량|여부|중|하고)", r"\b(?:in|out\s+of)\s+stock\b", r"\bstock\b", r"\binventory\b",
        r"\bavailability\b", r"\bavailable\s+(?:stock|units|qty|quantity)\b",
    ),
    "quote_request": _Words(
        r"견적\S*\s*(?:\S+\s*){0,2}?(?:부탁|요청|주시|주세요|주실|받아\s*볼|받을\s*수|바랍니다|필요|가능할까|문의)",
        r"\bRFQ\b", r"\bre-?quote\b", r"\brequest(?:ing)?\s+(?:for\s+)?(?:a\s+|an\s+)?(?:\w+\s+)?(?:quote|quotation|pricing)\b",
        r"\b(?:please|pls|kindly|can\s+you|could\s+you)\s+(?:\w+\s+)?quote\b",
        r"\b(?:send|provide|need|share|get)\s+(?:me\s+|us\s+)?(?:a\s+|an\s+|your\s+|the\s+)?(?:\w+\s+)?(?:quote|quotation|pricing)\b",
    ),
    "inquiry": _Words(
        r"언제", r"어떻게\s*(?:되|진행)", r"진행\s*(?:상황|사항)\s*(?:\S+\s*)?(?:공유|알려|확인|부탁|문의|어떻게|궁금|회신|답변)", r"확인\s*(?:부탁|요청|해\s*주|좀|바랍)", r"알려\s*주", r"회신\s*(?:부탁|주|바랍)",
        r"답변\s*(?:부탁|주|바랍)", r"공유\s*(?:부탁|해\s*주)", r"궁금", r"급합니다|급해요|급한\s*건", r"아직", r"업데이트\s*(?:부탁|주)",
        r"\bany\s+(?:update|news|progress)", r"\bstatus\b", r"\bwhen\s+(?:will|can|do|does|is|are|should|would)\b",
        r"\b(?:please|kindly|pls)\s+(?:advise|confirm|let\s+(?:me|us)\s+know|update|check|share)\b",
        r"\b(?:could|can|would)\s+you\b", r"\bfollow(?:ing)?\s*-?\s*up\b", r"\bstill\s+(?:waiting|haven'?t|have\s+not|not)\b",
        r"\burgent(?:ly)?\b", r"\bwhere\s+(?:is|are)\b", r"\bhaven'?t\s+heard\b", r"\bsend\s+(?:me|us)\s+(?:an?\s+)?(?:update|status)",
        r"\bupdate\s*(?:부탁|요청|주세요|주시)", r"\b(?:i|we)\s+need\s+(?:a|an|the)\s+(?:firm\s+|confirmed\s+|new\s+|exact\s+|real\s+)?(?:date|ETA|answer|update|timeline)\b",
        r"(?:현황|상황|일정)\s*(?:\S+\s*)?(?:문의|공유\s*부탁)",
    ),
}

_QUESTION = re.compile(
    r"[?？]\s*\)?\s*$|(?:나요|까요|가요|는지요|은지요|ㄴ지요|습니까|니까|는지|을지|인지|던가요|ㄹ까)\s*[.~]*\s*$"
    r"|^\s*(?:when|what|where|is|are|can|could|will|would|do|does|did|has|have|any)\b(?!\s*[:：])",
    _I,
)
# A question is an inquiry when it is about an order: delivery, dates, status, stock, quotes.
_TOPIC = _Words(
    r"납기", r"입고", r"납품", r"도착", r"출고", r"배송", r"발송", r"출하", r"일정", r"주문", r"발주", r"오더", r"견적", r"재고",
    r"진행", r"현황", r"상황", r"확정", r"지연", r"언제", r"들어오|들어와|들어올|들어갑", r"받을\s*수", r"\bPO\b", r"\bSO\b",
    r"\border(?:s|ed|ing)?\b", r"교체|교환|반품|불량|취소", r"\breplace", r"\bRMA\b", r"\bdefect", r"\bcancel", r"\bdeliver", r"\barriv", r"\bship", r"\bETA\b", r"\bstatus\b", r"\bupdate\b", r"\bstock\b",
    r"\bquot", r"\bdelay", r"업데이트|진전|변동|소식|연락|회신|답변", r"\b(?:news|progress|word|heard)\b", r"\bconfirm", r"\bschedule", r"\bwhen\b", r"\bdate\b", r"\bhave\s+them\b", r"\bget\s+them\b",
)
_WHEN = _Words(r"언제", r"\bwhen\b", r"\bhow\s+(?:long|soon)\b")
_HEDGE = _Words(
    r"예상", r"잠정", r"아마", r"것\s*같", r"듯", r"가능성", r"추정", r"대략", r"희망", r"\btentative(?:ly)?\b",
    r"\bprovisional(?:ly)?\b", r"\bhopefully\b", r"\bprobably\b", r"\blikely\b", r"\bpossibly\b", r"\bmay\b", r"\bmight\b",
    r"\bestimated?\b", r"\best\.", r"\bexpected\b", r"\bapprox(?:imately|\.)?\b", r"\btry\s+to\b", r"\baim(?:ing)?\s+(?:for|to)\b",
    r"\bshould\s+be\b", r"\bif\s+all\s+goes\b", r"\bbest\s+effort\b",
)
_DELIVERY = _Words(
    r"입고", r"납품", r"도착", r"출고", r"배송", r"발송", r"납기", r"출하", r"선적", r"들어오|들어와|들어갑|들어갈|들어올", r"받아\s*보실|받으실|수령",
    r"리드\s*타임", r"설치", r"\bdeliver", r"\barriv", r"\bship", r"\bETA\b", r"\blead\s*-?\s*time", r"\bdispatch", r"\breceive",
    r"\bin\s+stock\b", r"\bon\s+site\b", r"\bland(?:s|ing)?\b",
)
_SCHEDULED_FOR = _Words(r"\bon\s+(?:schedule|track|time)\s+for\b")
_DATE_WORD = _Words(r"\bdates?\b", r"\bschedule", r"일정", r"날짜", r"일자")
_NEED = _Words(
    r"까지\s*(?:는|은|도)?\s*(?:꼭|반드시|무조건|필히|최소한)?\s*(?:\S+\s*){0,3}?"
    r"(?:필요|있어야|받아야|들어와야|되어야|돼야|해야|해\s*주셔야|부탁|주셔야|맞춰|가능할까|가능한지|가능하신지|받을\s*수|목표)",
    r"(?:안에|안으로|이내에?|내로|중으로)\s*(?:\S+\s*){0,2}?(?:받을\s*수|받아야|들어와야|필요|가능할까|가능한지)",
    r"\b(?:can'?t|cannot|won'?t|doesn'?t|does\s+not)\s+(?:\w+\s+){0,2}?(?:arrive|be\s+delivered|ship|make\s+it)\s+(?:by|before)\b",
    r"(?:전에|이전에)\s*(?:는|은|도)?\s*(?:꼭|반드시|무조건|필히)?\s*(?:\S+\s*){0,2}?(?:받아야|들어와야|있어야|되어야|돼야|필요)",
    r"(?:꼭|반드시|무조건|필히)\s*(?:\S+\s*)?(?:받아야|들어와야|있어야)",
    r"(?:에는|에|까지는?)\s*(?:\S+\s*)?(?:받을|받아\s*볼|들어올|도착할)\s*수\s*(?:있을까|있나|있는지|있을지)",
    r"늦어도", r"마감", r"희망\s*(?:납기|납품일|입고일|일정|일자|도착일)", r"\bneed[- ]by\b", r"\b(?:required|requested)\s+(?:delivery\s+)?date\b", r"필요합니다|필요해요|필요한데|필요하니|필요하오니", r"오픈\s*(?:일정|예정)|개통|가동\s*(?:일정|예정)",
    r"\bneed(?:ed|s)?\s+(?:\w+\s+){0,4}?(?:by|before)\b", r"\brequired\s+(?:\w+\s+)?(?:by|before)\b", r"\bno\s+later\s+than\b",
    r"\bdeadline\b", r"\bat\s+the\s+latest\b", r"\bmust\s+(?:\w+\s+){0,4}?(?:by|before)\b", r"\bhave\s+to\s+(?:\w+\s+){0,4}?by\b",
    r"\bin\s+time\s+for\b", r"\bgo-?\s*live\b", r"\bhas\s+to\s+(?:\w+\s+){0,4}?by\b",
    r"\b(?:could|can)\s+(?:we|i|you)\s+(?:\S+\s+){0,2}?(?:get|have|receive|deliver)\b(?:\s+\S+){0,6}?\s+by\b",
)

# Stated causes.  A phrase with a connector ("due to X", "X로 인해") wins; else a cause keyword.
_REASON_EN = re.compile(
    r"\b(?:due\s+to|because\s+of|owing\s+to|caused\s+by|as\s+a\s+result\s+of|on\s+account\s+of)\s+(?:the\s+|a\s+|an\s+|some\s+)?"
    r"(?P<reason>[^.,;:\n()]+?)(?=\s*[.,;:\n()]|\s+(?:and|so|which|we|the\s+new|until|from|to|by|on)\b|$)",
    _I,
)
_CAUSE_KO = (
    r"(?:재고|부품|자재|원자재|칩|반도체|물량|메모리|패널)\s*(?:가|이)?\s*(?:부족|소진|수급|공급|확보)\s*(?:문제|이슈|차질|지연|불안|난)?",
    r"수급\s*(?:문제|이슈|차질|지연|불안|난)", r"(?:공급|생산|제조|선적|출하|통관|운송|배송|물류|항공|해상|배정|검수|품질)\s*"
    r"(?:지연|차질|문제|이슈|일정|부족|적체|검사|대란|사정)", r"통관", r"물류", r"파업", r"연휴", r"명절", r"추석", r"설\s*연휴",
    r"\b(?:allocation|customs|logistics)\b",
)
_CAUSE_EN = (
    r"\b(?:stock|supply|component|parts?|chip|memory|material|inventory|capacity)\s+(?:shortages?|constraints?|issues?|problems?)\b",
    r"\bshortages?\s+of\s+\w+(?:\s+\w+)?", r"\bcustoms(?:\s+clearance|\s+inspection|\s+hold)?\b", r"\blogistics(?:\s+issues?)?\b",
    r"\b(?:shipping|freight|port|carrier|factory|production|manufacturing|quality)\s+(?:delays?|issues?|problems?|congestion|backlog|hold)\b",
    r"\bweather\b", r"\b(?:public\s+)?holidays?\b", r"\bstrike\b", r"\ballocation\b", r"\bbackorder(?:ed)?\b",
)
_REASON_KO = re.compile(r"(?P<reason>(?:[가-힣A-Za-z]+\s){0,2}[가-힣A-Za-z]+?)(?:으로|로)\s*(?:인해|인하여|인한)")
_CAUSE_RE = re.compile("|".join(_CAUSE_KO + _CAUSE_EN), _I)
_REASON_WORD = re.compile(r"[가-힣]+")
_PARTICLE_END = re.compile(r"(?:은|는|이|가|을|를|의|에|도|로|와|과|건|께서|에서|님|분)$")


@dataclass(frozen=True)
class SentenceCues:
    """What one sentence says.

    ``events`` are the events it asserts (negated phrases removed; a question only
    asks, so it asserts at most inquiry, stock_check or quote_request).  ``firm`` is
    an unhedged confirmation, ``hedged`` any hedge word, ``delivery`` a mention of
    delivery/arrival/shipping, ``need`` a need-by wording, ``on_schedule`` an
    explicit "no delay / no change".
    """

    text: str
    events: frozenset[str]
    question: bool
    hedged: bool
    firm: bool
    delivery: bool
    need: bool
    on_schedule: bool


def analyse_sentence(text: str, has_date: bool = False, context: str = "") -> SentenceCues:
    """Cues of one sentence; ``has_date`` says whether a date was found in it (an
    ``eta`` event needs one).  ``context`` is read along with the sentence but not
    reported (the header row of a table the sentence is a row of)."""
    low = f"{text}\n{context}".lower() if context else text.lower()
    on_schedule = _NOT_DELAYED.search(low) is not None
    unboiled = _ACKNOWLEDGEMENT.mask(_BOILERPLATE.mask(low))
    masked = unboiled
    for rx in _MASKS[1:]:
        masked = rx.mask(masked)
    question = _QUESTION.search(text.strip()) is not None
    found = {name for name, rx in _CUES.items() if name != "inquiry" and rx.search(masked)}
    if _CUES["inquiry"].search(unboiled):
        # Asking is not undone by a negation: "please confirm", "아직 안 왔어요".
        found.add("inquiry")
    if question:
        found &= {"stock_check", "quote_request", "inquiry"}
        if found or _TOPIC.search(unboiled):
            found.add("inquiry")
        if _WHEN.search(unboiled):
            # "견적 회신 언제 받을 수 있을까요?" asks about timing, not for a quote.
            found.discard("quote_request")
    if not has_date:
        found.discard("eta")
    if "delay" in found and "재고" in masked:
        found.discard("stock_check")
    hedged = _HEDGE.search(low) is not None
    delivery = _DELIVERY.search(low) is not None
    if not (has_date or delivery or _DATE_WORD.search(low)):
        # A confirmation of no date and no delivery is of something else ("Registration confirmed").
        found.discard("confirmed")
    firm = "confirmed" in found and not hedged
    if "confirmed" in found and hedged:
        found.discard("confirmed")
        if has_date:
            found.add("eta")
    if on_schedule and has_date and (delivery or _SCHEDULED_FOR.search(low)) and not question:
        # "12월 14일로 변동 없습니다", "still on track for Jan 12": the date stands.
        found.add("eta")
    return SentenceCues(
        text=text,
        events=frozenset(found),
        question=question,
        hedged=hedged,
        firm=firm,
        delivery=delivery,
        need=_NEED.search(low) is not None,
        on_schedule=on_schedule,
    )


# What a customer can report; their other cues are a complaint or a question
# (inquiry), except dates of their own plans ("go-live is scheduled for ...").
_CUSTOMER_REPORTS = {"delivered", "shipped", "stock_check", "quote_request", "inquiry"}
_CUSTOMER_IGNORED = {"eta", "confirmed"}
# Asking for stock and asking for a quote rank the same: the one asked first leads.
_SAME_RANK = {"quote_request": "stock_check"}


def decide_event(cues: Iterable[SentenceCues], role: str = "other") -> tuple[str, SentenceCues | None]:
    """The message's event and the sentence that decided it.

    A customer does not announce delays or dates: a customer's delay cue counts as
    an inquiry (a complaint), an eta/confirmed cue as nothing (their own plans), and
    the dates of a need-by sentence are not an inquiry either.  A vendor makes an
    inquiry only by asking a question ("아직 본사 답 없어요" is no news, not a
    question).
    """
    best: tuple[int, SentenceCues, str] | None = None
    for sc in cues:
        events = set(sc.events)
        if role == "customer":
            extra = events - _CUSTOMER_REPORTS - _CUSTOMER_IGNORED
            events &= _CUSTOMER_REPORTS
            if extra and not sc.need:
                events.add("inquiry")
        elif role == "vendor" and not sc.question:
            events.discard("inquiry")
        for event in events:
            rank = PRECEDENCE.index(_SAME_RANK.get(event, event))
            if best is None or rank < best[0]:
                best = (rank, sc, event)
    if best is None:
        return "other", None
    return best[2], best[1]


def find_reason(text: str) -> str | None:
    """A short stated cause of a delay in ``text``, or None."""
    m = _REASON_EN.search(text)
    if m and len(m.group("reason").split()) <= 6:
        return m.group("reason").strip()
    m = _CAUSE_RE.search(text)
    if m is None:
        m = _REASON_KO.search(text)
        return " ".join(m.group("reason").split()) if m else None
    lead: list[str] = []
    before = text[: m.start()]
    if not before or before[-1].isspace():
        for word in reversed(before.split()[-2:]):
            if not _REASON_WORD.fullmatch(word) or _PARTICLE_END.search(word):
                break
            lead.insert(0, word)
    return " ".join(lead + m.group(0).split())
