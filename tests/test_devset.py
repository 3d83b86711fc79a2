"""Per-field accuracy of the extractor on the labelled dev set (skipped when absent).

Run with ``-s`` to see the per-field report and the misses.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.labelled import assert_accuracy

DEVSET = Path(__file__).parent / "data" / "devset"

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


@pytest.mark.skipif(not (DEVSET / "labels.jsonl").exists(), reason="dev set not present")
def test_devset_accuracy():
    assert_accuracy(DEVSET, THRESHOLDS, "dev set")
