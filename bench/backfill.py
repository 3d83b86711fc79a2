"""Backfill, idle-poll and extraction benchmark against a local Dovecot.

    .venv/bin/python bench/backfill.py --sizes 10000 50000 --idle-sizes 1000 50000
    .venv/bin/python bench/backfill.py --quick          # small sizes, for development
    .venv/bin/python bench/backfill.py --sizes 50000 --idle-sizes 50000 --reply-window-days 36500
                                                        # drafts for every message, however old

For each size it generates a mailbox (bench/mailgen.py), loads it into a throwaway
Dovecot (IMAP MULTIAPPEND over one connection) and measures, in the same run:

- backfill: ``assistant poll`` as a subprocess over the whole mailbox (IMAP fetch,
  parse, extract, ledger, drafts; SQLite): messages/s, wall time, peak RSS (of the
  poll process from wait4, and of the process tree, sampled);
- baseline: fetching the same messages with imapclient in batches and parsing them
  with mail-parser, nothing else (a subprocess too); backfill/baseline is the product's
  overhead;
- idle poll: ``assistant poll`` again with no new mail (median of 5), wall time with
  interpreter start-up;
- extraction alone (``extract_many`` on parsed messages) against
  ``dateparser.search_dates`` on the same message texts.

It prints a table and, with ``--write``, writes docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import mailgen  # noqa: E402

from assistant.devserver import Dovecot  # noqa: E402

NOW = "2026-12-18T20:00:00+09:00"  # after the newest generated mail (a Friday evening)
CONFIG = """\
[rep]
name = "김민수"
title = "과장"
company = "한빛아이티"
email = "minsu.kim@hanbit-it.co.kr"
language = "ko"
timezone = "Asia/Seoul"

[database]
url = "sqlite:///{db}"

[state]
lock_file = "{home}/poll.lock"

[[mailboxes]]
name = "work"
host = "127.0.0.1"
port = {port}
tls = "none"
username = "{user}"
password_env = "BENCH_IMAP_PASSWORD"
folders = ["INBOX"]
deadline = 3600

[vendors]
domains = ["lenovo.com", "dell.com", "hpe.com", "cisco.com", "daewon-dist.co.kr", "techdata-kr.com"]

[customers]
domains = ["mirae-fin.co.kr", "seoul-bio.kr", "kpharm.co.kr", "globex.com", "initech.io", "daehan-logis.co.kr"]
"""


def load(server: Dovecot, user: str, password: str, n: int) -> float:
    """Generate ``n`` messages into ``user``'s INBOX and Sent; return the seconds it took."""
    from imapclient import IMAPClient

    start = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=120)
    client.login(user, password)
    batch: dict[str, list] = {"INBOX": [], "Sent": []}

    def flush(folder: str) -> None:
        if batch[folder]:
            client.multiappend(folder, batch[folder])
            batch[folder] = []

    for folder, raw, when in mailgen.generate(n):
        batch[folder].append({"msg": raw, "flags": (b"\\Seen",), "date": when})
        if len(batch[folder]) >= 500:
            flush(folder)
    flush("INBOX")
    flush("Sent")
    client.logout()
    return time.perf_counter() - start


def run_measured(cmd: list[str], env: dict[str, str]) -> dict:
    """Run ``cmd``; wall time, exit code, peak RSS of the process (wait4) and of its tree (sampled)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_tree = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "code": proc.returncode, "rss_mb": usage.ru_maxrss / 1024, "tree_mb": peak_tree / 1024,
            "stdout": out.decode(errors="replace"), "stderr": err.decode(errors="replace")}


def _tree_rss(pid: int) -> int:
    """Proportional resident KB (PSS: shared pages split between the processes) of ``pid`` and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


BASELINE = r"""
import sys, time, mailparser
from imapclient import IMAPClient
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
client.login(user, password)
n = 0
for folder in ("INBOX", "Sent"):
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    for i in range(0, len(uids), 500):
        for uid, data in client.fetch(uids[i:i + 500], [b"BODY.PEEK[]", b"INTERNALDATE"]).items():
            mail = mailparser.parse_from_bytes(data[b"BODY[]"])
            mail.body, mail.date, mail.from_
            n += 1
client.logout()
print(n)
"""


def bench_size(server: Dovecot, n: int, idle_runs: int, backfill: bool, reply_window_days: int | None = None) -> dict:
    user = f"bench{n}"
    password = server.add_user(user)
    home = Path(tempfile.mkdtemp(prefix=f"napgi-bench-{n}-"))
    config = CONFIG.format(db=home / "ledger.db", home=home, port=server.port, user=user)
    if reply_window_days is not None:
        config += f"\n[drafts]\nreply_window_days = {reply_window_days}\n"
    (home / "config.toml").write_text(config)
    env = {**os.environ, "BENCH_IMAP_PASSWORD": password, "ASSISTANT_CONFIG": str(home / "config.toml")}
    row: dict = {"n": n, "load_s": load(server, user, password, n)}
    poll = [sys.executable, "-m", "assistant", "poll", "-q", "--now", NOW]
    first = run_measured(poll, env)
    if first["code"] != 0:
        raise SystemExit(f"poll of {n} exited {first['code']}:\n{first['stdout']}\n{first['stderr'][-3000:]}")
    row.update(backfill_s=first["wall"], backfill_rate=n / first["wall"], rss_mb=first["rss_mb"], tree_mb=first["tree_mb"])
    if backfill:
        base = run_measured([sys.executable, "-c", BASELINE, str(server.port), user, password], env)
        row.update(baseline_s=base["wall"], baseline_rate=n / base["wall"], baseline_rss_mb=base["rss_mb"])
        row["ratio"] = row["backfill_rate"] / row["baseline_rate"]
    idle = [run_measured(poll, env) for _ in range(idle_runs)]
    if any(r["code"] for r in idle):
        raise SystemExit(f"idle poll of {n} failed: {idle[0]['stderr'][-2000:]}")
    row["idle_s"] = statistics.median(r["wall"] for r in idle)
    row["idle_out"] = idle[0]["stdout"].strip()
    import sqlite3

    con = sqlite3.connect(home / "ledger.db")
    row["orders"] = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    row["drafts"] = con.execute("SELECT count(*) FROM drafts").fetchone()[0]
    row["messages"] = con.execute("SELECT count(*) FROM messages").fetchone()[0]
    row["statuses"] = dict(con.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
    con.close()
    return row


def bench_extraction(n: int, n_dateparser: int) -> dict:
    """extract_many vs dateparser.search_dates over the same generated messages (one process, one core)."""
    import warnings

    from parsers.extract import extract_many
    from parsers.message import parse_message
    from parsers.types import ExtractSettings

    settings = ExtractSettings(vendor_domains=tuple(v[1].split("@")[1] for v in mailgen.VENDORS),
                               customer_domains=tuple(c[1].split("@")[1] for c in mailgen.CUSTOMERS),
                               rep_addresses=(mailgen.REP[1],))
    raws = [raw for _, raw, _ in mailgen.generate(n, seed=21)]
    start = time.perf_counter()
    parsed = [parse_message(r) for r in raws]
    parse_s = time.perf_counter() - start
    list(extract_many(parsed[:50], settings))
    start = time.perf_counter()
    list(extract_many(parsed, settings))
    extract_s = time.perf_counter() - start
    import dateparser.search

    texts = [f"{p.subject}\n{p.new_text}" for p in parsed[:n_dateparser]]
    dateparser.search.search_dates("warm up 12월 3일", languages=["ko", "en"])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in texts:
            dateparser.search.search_dates(t, languages=["ko", "en"])
    dp_s = time.perf_counter() - start
    return {"n": n, "parse_rate": n / parse_s, "extract_rate": n / extract_s, "dateparser_n": n_dateparser,
            "dateparser_rate": n_dateparser / dp_s, "speedup": (n / extract_s) / (n_dateparser / dp_s)}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    return f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def table(rows: list[dict], ex: dict | None) -> str:
    lines = [
        "| messages | backfill wall | backfill msg/s | baseline msg/s | backfill / baseline | peak RSS poll (tree PSS) | idle poll (median of 5) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        base = f"{r['baseline_rate']:.0f}" if "baseline_rate" in r else "-"
        ratio = f"{r['ratio']:.0%}" if "ratio" in r else "-"
        lines.append(f"| {r['n']:,} | {r['backfill_s']:.1f} s | {r['backfill_rate']:.0f} | {base} | {ratio} | "
                     f"{r['rss_mb']:.0f} MB ({r['tree_mb']:.0f} MB) | {r['idle_s']:.2f} s |")
    text = "\n".join(lines)
    if ex:
        text += (f"\n\nExtraction alone (one core, {ex['n']:,} generated messages): parse {ex['parse_rate']:.0f} msg/s, "
                 f"extract_many {ex['extract_rate']:.0f} msg/s; dateparser.search_dates {ex['dateparser_rate']:.1f} msg/s "
                 f"(on {ex['dateparser_n']}) -> extraction is {ex['speedup']:.0f}x faster.")
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000], help="backfill sizes (with the baseline)")
    ap.add_argument("--idle-sizes", type=int, nargs="+", default=[1000, 50000], help="sizes whose idle poll is measured")
    ap.add_argument("--idle-runs", type=int, default=5)
    ap.add_argument("--extract-n", type=int, default=3000)
    ap.add_argument("--dateparser-n", type=int, default=150)
    ap.add_argument("--quick", action="store_true", help="small sizes, for development")
    ap.add_argument("--reply-window-days", type=int, help="[drafts] reply_window_days (default: the product's, 14 days); "
                    "36500 answers every message, however old")
    ap.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.idle_sizes, args.extract_n, args.dateparser_n = [1500], [300, 1500], 500, 30
    sizes = sorted(set(args.sizes) | set(args.idle_sizes))
    rows = []
    with Dovecot() as server:
        for n in sizes:
            row = bench_size(server, n, args.idle_runs, backfill=n in args.sizes, reply_window_days=args.reply_window_days)
            rows.append(row)
            print(f"{n}: {row}", file=sys.stderr, flush=True)
    ex = bench_extraction(args.extract_n, args.dateparser_n)
    text = table(rows, ex)
    print(text)
    if args.write:
        write_doc(rows, ex, text, args)


RESULTS_START = "<!-- results: written by bench/backfill.py --write -->"
RESULTS_END = "<!-- end of results -->"


def write_doc(rows: list[dict], ex: dict, text: str, args) -> None:
    """Replace the results block of docs/benchmarks.md (between its markers); the prose stays."""
    by_n = {r["n"]: r for r in rows}
    small, big = min(args.idle_sizes), max(args.idle_sizes)
    idle_ratio = by_n[big]["idle_s"] / by_n[small]["idle_s"]
    largest = by_n[max(args.sizes)]
    detail = "\n".join(f"- {r['n']:,} messages: {r['orders']:,} orders, {r['drafts']:,} drafts, statuses {r['statuses']}; "
                       f"loading into Dovecot took {r['load_s']:.0f} s" for r in rows)
    window = f" --reply-window-days {args.reply_window_days}" if args.reply_window_days is not None else ""
    block = f"""Measured {date.today().isoformat()} on {machine()}, in one run of:

    .venv/bin/python bench/backfill.py --sizes {' '.join(map(str, args.sizes))} --idle-sizes {' '.join(map(str, args.idle_sizes))}{window} --write

{text}

{detail}

Targets:

- Backfill >= 300 messages/s end to end: {'met' if largest['backfill_rate'] >= 300 else 'not met'} ({largest['backfill_rate']:.0f}/s at {largest['n']:,}).
- Backfill >= 40% of the baseline's throughput: {'met' if largest.get('ratio', 0) >= 0.4 else 'not met'} ({largest.get('ratio', 0):.0%}).
- Peak memory under 400 MB at {largest['n']:,} and not growing with the mailbox: {'met' if largest['tree_mb'] < 400 else 'not met'} (poll process {largest['rss_mb']:.0f} MB, tree {largest['tree_mb']:.0f} MB; {', '.join(f"{r['n']:,}: {r['tree_mb']:.0f} MB" for r in rows)}).
- Idle poll at {big:,} within 20% of {small:,}: {'met' if idle_ratio <= 1.2 else 'not met'} ({by_n[big]['idle_s']:.2f} s vs {by_n[small]['idle_s']:.2f} s, {idle_ratio:.2f}x); under 1.5 s: {'met' if by_n[big]['idle_s'] < 1.5 else 'not met'}."""
    path = REPO / "docs" / "benchmarks.md"
    doc = path.read_text()
    if RESULTS_START not in doc or RESULTS_END not in doc:
        raise SystemExit(f"{path}: the results markers are missing; put {RESULTS_START!r} and {RESULTS_END!r} where the results go")
    head, _, rest = doc.partition(RESULTS_START)
    _, _, tail = rest.partition(RESULTS_END)
    path.write_text(f"{head}{RESULTS_START}\n{block}\n{RESULTS_END}{tail}")


if __name__ == "__main__":
    main()
