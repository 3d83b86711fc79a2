"""Per-field accuracy of the extractor on the labelled dev set (skipped when absent).

Run with ``-s`` to see the per-field report and the misses.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from parsers.extract import extract
from parsers.message import parse_message
from parsers.types import ExtractSettings

DEVSET = Path(__file__).parent / "data" / "devset"
LABELS = DEVSET / "labels.jsonl"

# field -> minimum accuracy over the labelled messages that carry the field
THRESHOLDS = {
    "event": 0.98,
    "eta": 0.975,
    "eta_confirmed": 0.98,
    "required_by": 0.98,
    "delay_days": 0.98,
    "order_refs": 0.95,
    "quoted_refs": 0.95,
    "language": 0.98,
    "role": 0.98,
}


def _settings() -> ExtractSettings:
    parties = json.loads((DEVSET / "parties.json").read_text(encoding="utf-8"))
    return ExtractSettings(
        vendor_domains=tuple(parties.get("vendor_domains", ())),
        customer_domains=tuple(parties.get("customer_domains", ())),
        rep_addresses=tuple(parties.get("rep_addresses", ())),
        extra_ref_patterns=tuple(tuple(p) for p in parties.get("extra_ref_patterns", ())),
    )


def _got(x, field: str):
    value = getattr(x, field)
    if field in ("order_refs", "quoted_refs"):
        return {r.value for r in value}
    if isinstance(value, date):
        return value.isoformat()
    return value


def _want(label: dict, field: str):
    value = label[field]
    return set(value) if field in ("order_refs", "quoted_refs") else value


@pytest.mark.skipif(not LABELS.exists(), reason="dev set not present")
def test_devset_accuracy():
    settings = _settings()
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    right = {f: 0 for f in THRESHOLDS}
    total = {f: 0 for f in THRESHOLDS}
    misses = []
    for label in labels:
        path = DEVSET / label["file"]
        if not path.exists():
            continue
        x = extract(parse_message(path.read_bytes()), settings)
        for field in THRESHOLDS:
            if field not in label:
                continue
            total[field] += 1
            got, want = _got(x, field), _want(label, field)
            if got == want:
                right[field] += 1
            else:
                misses.append(f"{label['file']}: {field} got {got!r} want {want!r}")
    report = {f: right[f] / total[f] for f in THRESHOLDS if total[f]}
    print("\ndev set accuracy over", len(labels), "labelled messages")
    for field, acc in report.items():
        print(f"  {field:14s} {acc:6.1%}  ({right[field]}/{total[field]})")
    print("misses:", *misses, sep="\n  ")
    low = {f: round(a, 3) for f, a in report.items() if a < THRESHOLDS[f]}
    assert not low, f"below threshold: {low}"
