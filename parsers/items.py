"""What was ordered, as written: ``Lenovo ThinkSystem SR650 (7X06A0E4WW) 8대``, ``4x HPE DL380 Gen11``."""
from __future__ import annotations

import re

_LABELLED = re.compile(
    r"^[\s\-*•·]*(?:품목|품명|제품명?|모델명?|주문\s*품목|items?|products?|description|model|equipment)\s*[:：]\s*(?P<value>\S.{2,120}?)\s*$",
    re.I | re.M,
)
_QUANTITY = re.compile(r"(?:\b\d{1,4}\s*(?:대|식|세트|EA|ea|units?|pcs|nodes?|servers?)\b|\b\d{1,4}\s*[x×]\s+[A-Z]|\b[x×]\s?\d{1,4}\b|\b\d{1,4}[x×]\s*[A-Z])")
_MODEL = re.compile(r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{3,}\b")
_NOISE = re.compile(r"(?:https?://|@|₩|\$|원\b|KRW|USD|PO[-#\s]|SO\s?\d|Q-\d)", re.I)


def find_items(text: str) -> str | None:
    """The ordered goods named in ``text``: a labelled line first, else a line with a model and a quantity."""
    labelled = _LABELLED.search(text)
    if labelled:
        return _clean(labelled.group("value"))
    for line in text.splitlines()[:80]:
        if len(line) > 160 or _NOISE.search(line):
            continue
        if _QUANTITY.search(line) and _MODEL.search(line):
            return _clean(line)
    return None


def _clean(value: str) -> str:
    return " ".join(value.strip(" -*•·,.").split())[:120]
