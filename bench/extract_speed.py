"""Extraction throughput: parse_message + extract_many, against dateparser.search_dates.

    .venv/bin/python bench/extract_speed.py [--corpus tests/data/devset] [-n 3000]

Reads every ``*.eml`` in the corpus (the dev set by default), repeats the list to
``n`` messages and reports messages per second on one core for: parsing alone,
extraction alone (``extract_many``), both together, and ``dateparser.search_dates``
over the same message bodies (on a smaller sample: it is slow).  The target is
parse + extract >= 500 messages/s and >= 10x dateparser's throughput.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.extract import extract_many  # noqa: E402
from parsers.message import parse_message  # noqa: E402
from parsers.types import ExtractSettings  # noqa: E402

SETTINGS = ExtractSettings(vendor_domains=("lenovo.com", "dell.com"), customer_domains=("globex.com",))


def _rate(fn, n: int, repeats: int = 3) -> tuple[float, float]:
    """Best-of-``repeats`` messages per second of ``fn()`` handling ``n`` messages,
    by wall clock and by this process's CPU time (the one-core figure when other
    work shares the machine)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return n / min(wall), n / min(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent.parent / "tests/data/devset")
    ap.add_argument("-n", type=int, default=3000, help="messages per timed run")
    ap.add_argument("--dateparser-n", type=int, default=150, help="messages for the dateparser run")
    args = ap.parse_args()

    raws = [p.read_bytes() for p in sorted(args.corpus.glob("*.eml"))]
    if not raws:
        sys.exit(f"no .eml files in {args.corpus}")
    raws = list(islice(cycle(raws), args.n))
    sizes = [len(r) for r in raws]
    print(f"{len(set(map(bytes, raws)))} distinct messages, {args.n} per run, "
          f"median {statistics.median(sizes) / 1024:.1f} KB raw")

    msgs = [parse_message(r) for r in raws]
    list(extract_many(msgs[:64], SETTINGS))  # build the pipelines before timing

    parse = _rate(lambda: [parse_message(r) for r in raws], args.n)
    nlp = _rate(lambda: list(extract_many(msgs, SETTINGS)), args.n)
    both = _rate(lambda: list(extract_many((parse_message(r) for r in raws), SETTINGS)), args.n)

    import dateparser.search  # imported late: its import is slow and not part of our path

    bodies = [m.text for m in msgs[: args.dateparser_n]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dateparser.search.search_dates(bodies[0], languages=["ko", "en"])
        dp = _rate(lambda: [dateparser.search.search_dates(b, languages=["ko", "en"]) for b in bodies], len(bodies), 1)

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; msg/s by wall clock / by CPU time")
    print(f"parse_message              {parse[0]:8.0f} / {parse[1]:8.0f}")
    print(f"extract_many (parsed)      {nlp[0]:8.0f} / {nlp[1]:8.0f}")
    print(f"parse + extract_many       {both[0]:8.0f} / {both[1]:8.0f}   (target >= 500)")
    print(f"dateparser.search_dates    {dp[0]:8.1f} / {dp[1]:8.1f}   (same bodies, ko+en)")
    print(f"ratio (parse+extract / dateparser) {both[0] / dp[0]:6.1f}x / {both[1] / dp[1]:6.1f}x   (target >= 10x)")


if __name__ == "__main__":
    main()
