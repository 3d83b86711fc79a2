"""Scoring the extractor on a labelled set of messages (tests/data/devset, tests/data/holdout).

A set is a folder of ``.eml`` files, ``labels.jsonl`` (one object per message: ``file``
and the fields a careful reader settled) and ``parties.json`` (the domains the config
would name).
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from parsers.extract import extract
from parsers.message import parse_message
from parsers.types import ExtractSettings

REF_FIELDS = ("order_refs", "quoted_refs")


def settings_for(folder: Path) -> ExtractSettings:
    parties = json.loads((folder / "parties.json").read_text(encoding="utf-8"))
    return ExtractSettings(
        vendor_domains=tuple(parties.get("vendor_domains", ())),
        customer_domains=tuple(parties.get("customer_domains", ())),
        rep_addresses=tuple(parties.get("rep_addresses", ())),
        extra_ref_patterns=tuple(tuple(p) for p in parties.get("extra_ref_patterns", ())),
    )


def _comparable(value, field: str):
    if field in REF_FIELDS:
        return {r if isinstance(r, str) else r.value for r in value}
    return value.isoformat() if isinstance(value, date) else value


def assert_accuracy(folder: Path, thresholds: dict[str, float], title: str) -> None:
    """Extract every labelled message of ``folder``; print the per-field accuracy and the
    misses; fail when a field is below its threshold."""
    settings = settings_for(folder)
    labels = [json.loads(line) for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    right = dict.fromkeys(thresholds, 0)
    total = dict.fromkeys(thresholds, 0)
    misses = []
    for label in labels:
        path = folder / label["file"]
        if not path.exists():
            continue
        x = extract(parse_message(path.read_bytes()), settings)
        for field in thresholds.keys() & label.keys():
            total[field] += 1
            got, want = _comparable(getattr(x, field), field), _comparable(label[field], field)
            if got == want:
                right[field] += 1
            else:
                misses.append(f"{label['file']}: {field} got {got!r} want {want!r}")
    report = {f: right[f] / total[f] for f in thresholds if total[f]}
    print(f"\n{title} accuracy over", len(labels), "labelled messages")
    for field, acc in report.items():
        print(f"  {field:14s} {acc:6.1%}  ({right[field]}/{total[field]})")
    print("misses:", *sorted(misses), sep="\n  ")
    low = {f: round(a, 3) for f, a in report.items() if a < thresholds[f]}
    assert not low, f"below threshold: {low}"
