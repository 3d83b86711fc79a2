"""Day-level accuracy of ``parsers.dates.resolve`` on third-party corpora, plus throughput.

Run from anywhere: ``.venv/bin/python bench/dates_accuracy.py [--corpus DIR]
[--failures FILE] [--no-dateparser]``.  It prints figures and always exits 0.

A row counts as right when ``resolve(text, reference).value`` equals the date of
``expected`` (the start, for intervals).  Rows whose reference or expected value
is null (or not a usable date) are skipped and counted.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers.dates import find_dates, resolve  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "dates"
TARGET_GRAINS = {"day", "week", "month"}


def load_rows(corpus: Path) -> tuple[list[dict], int]:
    """All usable rows (with parsed ``ref`` and ``want``) and the number skipped."""
    rows, skipped = [], 0
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            row["file"] = path.stem
            try:
                ref = datetime.fromisoformat(row["reference"])
                want = date.fromisoformat(row["expected"][:10])
            except (TypeError, ValueError, KeyError):
                skipped += 1
                continue
            row["ref"] = ref if ref.tzinfo else ref.replace(tzinfo=timezone.utc)
            row["want"] = want
            rows.append(row)
    return rows, skipped


def region_of(row: dict) -> str | None:
    """The country of a Duckling regional row ("EN_CA" -> "CA"), else None."""
    locale = row.get("locale") or ""
    return locale.split("_", 1)[1] if "_" in locale else None


def ours(row: dict) -> date | None:
    mention = resolve(row["text"], row["ref"], row["lang"], region=region_of(row))
    return mention.value if mention else None


def dateparser_answer(row: dict) -> date | None:
    import dateparser

    ref_naive = row["ref"].replace(tzinfo=None)
    try:
        got = dateparser.parse(row["text"], settings={"RELATIVE_BASE": ref_naive,
                                                      "PREFER_DATES_FROM": "future"})
    except Exception:  # dateparser raises on some odd inputs
        return None
    return got.date() if got else None


def groups(row: dict) -> list[str]:
    """The report lines a row counts towards."""
    names = [f"{row['file']} (all)"]
    grain_ok = row.get("grain") in TARGET_GRAINS
    if row["file"] == "duckling_ko" and grain_ok:
        names.append("(a) duckling KO day/week/month")
    if row["file"] == "duckling_en" and grain_ok:
        names.append("(b) duckling EN day/week/month")
        names.append("    (b) holiday rows only" if row.get("holiday") else "    (b) without holiday rows")
        if not str(row.get("section", "")).startswith("region_"):
            names.append("    (b) main corpora only (no region_XX rows)")
    if row["file"] == "recognizers_ko" and row.get("checked"):
        names.append("(c) recognizers KO checked")
    if row["file"] == "recognizers_en" and row.get("checked") and grain_ok:
        names.append("    recognizers EN checked day/week/month")
    return names


def score(rows: list[dict], answer, failures: list | None = None) -> dict[str, list[int]]:
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        got = answer(row)
        right = got == row["want"]
        for name in groups(row):
            table[name][0] += right
            table[name][1] += 1
        if failures is not None and not right:
            failures.append({"file": row["file"], "text": row["text"], "reference": row["reference"],
                             "expected": str(row["want"]), "got": str(got), "grain": row.get("grain"),
                             "checked": row.get("checked"), "holiday": row.get("holiday")})
    return table


# --- throughput ---------------------------------------------------------------

_KO_LINES = [
    "안녕하세요, {company} 영업팀 {name}입니다.",
    "문의주신 PO-2026-{po:04d} 건 관련하여 회신드립니다.",
    "해당 품목은 현재 재고가 부족하여 입고가 {delay}주 정도 지연될 예정입니다.",
    "다음 주 {wd}요일 입고 확정되었으며, 입고 후 영업일 기준 {n}일 이내 출고 가능합니다.",
    "{m}월 {d}일({wd})까지 납품 가능하도록 최대한 조치하겠습니다.",
    "견적서(Q-2026-{po:04d})는 첨부파일 확인 부탁드립니다. 금액은 3,000만원(VAT 별도)입니다.",
    "수량: 서버 8대, 스위치 x4, 모델 v2.1.3 펌웨어 적용 예정입니다.",
    "추가 문의 사항은 010-{a:04d}-{b:04d} 또는 02-123-4567로 연락 주시기 바랍니다.",
    "이번 주 금요일까지 회신 부탁드리며, 늦어도 {m}월 말까지는 설치 완료 예정입니다.",
    "감사합니다. 좋은 하루 되세요.",
]
_EN_LINES = [
    "Hi {name}, thanks for your order {po}.",
    "Unfortunately the shipment slipped by {delay} weeks due to a component shortage.",
    "The new ETA is {mon} {d}, and we expect delivery by next Friday at the latest.",
    "Lead time for the remaining 12 units is 4-6 weeks; please allow 3 business days for customs.",
    "Please confirm the PO by end of the month so we can reserve stock at our Singapore DC.",
    "Pricing: $12,000 per unit, valid until {mon} {d}, 2026.",
    "Our office is closed from December 24 to January 2 for the holidays.",
    "Best regards,\nJohn Smith\nSales Manager | +1 (408) 555-0123 | 192.168.10.20",
]


def synthetic_mails(count: int, size: int = 2048, seed: int = 7) -> list[str]:
    """Deterministic Korean/English/mixed business mails of about ``size`` characters."""
    rng = random.Random(seed)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    mails = []
    for i in range(count):
        pool = _KO_LINES if i % 3 == 0 else _EN_LINES if i % 3 == 1 else _KO_LINES + _EN_LINES
        parts, length = [], 0
        while length < size:
            line = rng.choice(pool).format(
                company="한빛시스템", name="김민수", po=rng.randint(1, 9999), delay=rng.randint(1, 4),
                wd=rng.choice("월화수목금"), n=rng.randint(2, 7), m=rng.randint(1, 12), d=rng.randint(1, 28),
                a=rng.randint(0, 9999), b=rng.randint(0, 9999), mon=rng.choice(months))
            parts.append(line)
            length += len(line) + 1
        mails.append("\n".join(parts)[:size])
    return mails


def throughput(runs: int = 5, count: int = 300) -> tuple[float, float, int]:
    """Median messages/s over ``runs`` runs: wall clock and process CPU time (the CPU
    figure is the steadier one on a shared machine)."""
    mails = synthetic_mails(count)
    now = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
    find_dates(mails[0], now)  # build the lazy holiday index outside the timing
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        for mail in mails:
            find_dates(mail, now)
        wall.append(count / (time.perf_counter() - start))
        cpu.append(count / (time.process_time() - start_cpu))
    return statistics.median(wall), statistics.median(cpu), sum(len(m) for m in mails) // count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--failures", type=Path, help="write our failing rows here (JSON lines)")
    parser.add_argument("--no-dateparser", action="store_true", help="skip the dateparser comparison")
    args = parser.parse_args()

    rows, skipped = load_rows(args.corpus)
    print(f"corpus: {args.corpus}  rows scored: {len(rows)}  skipped (null/unusable reference or expected): {skipped}")
    failures: list | None = [] if args.failures else None
    started = time.perf_counter()
    mine = score(rows, ours, failures)
    print(f"resolve() over all rows: {time.perf_counter() - started:.2f}s")
    theirs = None if args.no_dateparser else score(rows, dateparser_answer)

    header = f"{'group':48} {'ours':>16}"
    if theirs:
        header += f" {'dateparser':>16}"
    print("\n" + header + "\n" + "-" * len(header))
    for name in sorted(mine, key=lambda n: (n.strip().startswith("("), n.lstrip(" ("), n)):
        right, total = mine[name]
        line = f"{name:48} {right:5}/{total:<5} {100 * right / total:5.1f}%"
        if theirs:
            r2, t2 = theirs[name]
            line += f" {r2:5}/{t2:<5} {100 * r2 / t2:5.1f}%"
        print(line)

    rate, cpu_rate, size = throughput()
    print(f"\nthroughput: find_dates on 300 synthetic mails of ~{size} chars: "
          f"{rate:,.0f} messages/s wall clock, {cpu_rate:,.0f} messages/s CPU time (median of 5 runs, one core)")
    if args.failures:
        args.failures.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures),
                                 encoding="utf-8")
        print(f"{len(failures)} failing rows written to {args.failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
