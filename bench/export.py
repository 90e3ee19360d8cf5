"""Benchmark of `budgets export`: seconds and peak memory per format, at 10,000 and 100,000 records.

    .venv/bin/python bench/export.py [--records 100000] [--small 10000] [--keep DIR]

Generates disclosures straight into a temporary archive (documents, pages, files and parse
records, inserted in bulk), then runs the real command (`budgets export --output FILE`, in
a child process) for each format and table, first with `--small` records, then with all.
Prints seconds, rows/s, output size and the child's peak resident memory; the target is
memory flat as the records grow 10x (exports stream).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.db import ArchiveDB  # noqa: E402
from parsers.catalogue import AMOUNT_KEYS, HEADCOUNT_KEYS  # noqa: E402

# (format, table, filters): the last keeps one disclosure in six (one year, one city)
RUNS = [("jsonl", "disclosures", ()), ("csv", "disclosures", ()), ("parquet", "disclosures", ()),
        ("csv", "figures", ()), ("parquet", "figures", ()), ("csv", "disclosures", ("--year", "2021", "--city", "株洲市"))]
REGIONS = [{"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"},
           {"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"},
           {"province": "北京市", "city": None, "county": "东城区", "admin_code": "110101"}]
FLAG_TYPES = ["text_table_mismatch", "parts_do_not_sum", "rounding", "conflicting_values"]


def _record(i: int, rng: random.Random) -> tuple[dict, dict]:
    """One generated disclosure: (documents row, parse record)."""
    doc_id = f"{i:020x}"
    year, kind, region = 2018 + i % 6, ("budget", "final_account")[i % 2], REGIONS[i % len(REGIONS)]
    department = f"第{i}号测试部门"
    figures: dict = {k: f"{rng.randrange(0, 10**10) // 100}.{rng.randrange(100):02d}" for k in AMOUNT_KEYS}
    figures.update({k: rng.randrange(5, 300) for k in HEADCOUNT_KEYS})
    sources = {k: {"where": {"file": f"{doc_id}.xls", "sheet": "收支总表", "table": "部门收支总表",
                             "row": "本年收入合计", "column": "本年预算", "row_number": 7 + n},
                   "text": str(v)} for n, (k, v) in enumerate(figures.items())}
    flags = [{"type": t, "key": "income_total", "severity": "minor", "detail": "generated",
              "readings": [{"value": "1.00", "where": {"file": "a.xls"}}]} for t in FLAG_TYPES[: i % 5]]
    text = (f"{department}{year}年部门预算公开说明。" + "收入预算总额 5845.98 万元，基本支出 5407.28 万元。" * 30)
    files = [{"url": f"http://127.0.0.1/attach/{doc_id}.xls", "sha256": f"{i:064x}", "format": "xls"}]
    doc = {"id": doc_id, "detail_url": f"http://127.0.0.1/art/{year}/{i}.html", "title": f"{department}{year}年部门预算",
           "kind": kind, "fiscal_year": year, "department": department, "published_date": f"{year}-03-18",
           "page_metadata": json.dumps({"index_no": f"4302/{year}-{i:05d}", "publisher": department,
                                        "publish_date": f"{year}-03-18"}, ensure_ascii=False),
           "text": text, "fingerprint": doc_id, "portal": "127.0.0.1",
           "region_hint": json.dumps(region, ensure_ascii=False), "status": "active",
           "first_seen": f"2026-01-01T00:00:{i % 60:02d}.{i:06d}Z", "last_seen": "2026-01-02T00:00:00Z"}
    parsed = {"department": department, "region": region, "fiscal_year": year, "kind": kind,
              "units_in_source": "万元", "figures": figures, "figure_sources": sources, "flags": flags,
              "ocr": False, "text": text, "files": files}
    return doc, parsed


def generate(db: ArchiveDB, first: int, last: int, chunk: int = 5000) -> None:
    """Insert records first..last-1 straight into the archive's tables, `chunk` per transaction."""
    for start in range(first, last, chunk):
        _insert(db, start, min(start + chunk, last))


def _insert(db: ArchiveDB, first: int, last: int) -> None:
    rng = random.Random(first)
    docs, pages, files, parses = [], [], [], []
    for i in range(first, last):
        doc, parsed = _record(i, rng)
        docs.append(doc)
        pages.append((doc["id"], doc["detail_url"], "article", doc["first_seen"]))
        f = parsed["files"][0]
        files.append((doc["id"], f["url"], 0, f["sha256"], "application/vnd.ms-excel", 40_000, f["url"].rsplit("/", 1)[1]))
        parses.append((doc["id"], "bench", doc["first_seen"], json.dumps(parsed, ensure_ascii=False), "{}", doc["id"]))
    cols = list(docs[0])
    with db.tx() as conn:
        conn.executemany(f"insert into documents ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                         [[d[c] for c in cols] for d in docs])
        conn.executemany("insert into document_pages (document_id, url, role, first_seen) values (?, ?, ?, ?)", pages)
        conn.executemany("insert into document_files (document_id, url, position, sha256, content_type, bytes, filename)"
                         " values (?, ?, ?, ?, ?, ?, ?)", files)
        conn.executemany("insert into parses (document_id, parser_version, parsed_at, record, errors, input_fingerprint)"
                         " values (?, ?, ?, ?, ?, ?)", parses)


def run(data: Path, out_dir: Path, fmt: str, table: str, filters: tuple[str, ...]) -> dict:
    """The real command in a child process: wall seconds and its peak RSS (sampled every 20 ms)."""
    output = out_dir / f"{table}{'-filtered' if filters else ''}.{fmt}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "budgets.cli", "export", "--format", fmt, "--table", table,
                             "--output", str(output), "--data", str(data), *filters], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"export {fmt}/{table} failed: {proc.stderr.read().decode()}")
    return {"seconds": seconds, "rss_mb": peak_kb / 1024, "bytes": output.stat().st_size,
            "note": proc.stderr.read().decode().strip().splitlines()[-1].split(";")[0]}


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM). Not ru_maxrss: on Linux a child
    inherits its parent's peak across fork, which would hide the child's own."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="Build the archive here (kept) instead of a temporary directory.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        data, out_dir = base / "data", base / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        db = ArchiveDB(data / "archive.db")
        results: dict[tuple[str, str, str], dict[int, dict]] = {}
        done = 0
        for size in (args.small, args.records):
            started = time.perf_counter()
            generate(db, done, size)
            done = size
            print(f"archive with {size:,} records ({time.perf_counter() - started:.1f} s to generate)", flush=True)
            for fmt, table, filters in RUNS:
                r = results.setdefault((fmt, table, " ".join(filters)), {})[size] = run(data, out_dir, fmt, table, filters)
                print(f"  {fmt:8} {table:12} {r['seconds']:7.1f} s  {size / r['seconds']:8,.0f} records/s  "
                      f"{r['bytes'] / 1e6:8.1f} MB  peak RSS {r['rss_mb']:6.1f} MB  ({r['note']}) {' '.join(filters)}",
                      flush=True)
        db.close()
        print(f"\npeak RSS, {args.small:,} vs {args.records:,} records (target: flat):")
        for (fmt, table, selection), by_size in results.items():
            small, large = by_size[args.small]["rss_mb"], by_size[args.records]["rss_mb"]
            print(f"  {fmt:8} {table:12} {small:6.1f} MB -> {large:6.1f} MB  ({large / small:.2f}x)  {selection}")


if __name__ == "__main__":
    main()
