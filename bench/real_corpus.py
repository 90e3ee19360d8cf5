"""What today's parser makes of real portal files: each file parsed on its own, as `budgets parse FILE --json`.

    .venv/bin/python bench/real_corpus.py [DIR] [--jobs N] [--limit N] [--json OUT] [--compare OLD.json]

The tests say the parser reads what we wrote; this says what it makes of what portals
really publish (default DIR: ../shared/realdata/national beside the repository). Prints
what the files are, per-key coverage, corroboration, identity failures, unrecognised table
titles, flags, CPU per page and the metadata found. `--json OUT` keeps all of it plus one
line per file, so two parser versions can be diffed; `--compare OLD.json` prints coverage
before → after and the files whose figures changed, to check a rule change for regressions.
There is no same-process baseline: the baseline is an earlier run, given with --compare.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import sys
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from budgets.progress import Progress  # noqa: E402
from parsers.sniff import sniff  # noqa: E402
from parsers.version import PARSER_VERSION  # noqa: E402

# The contract's 19 figure keys, fixed there (CONTRACT.md: never renamed or dropped); named here
# rather than imported, so runs of two parser versions, whose modules move, count the same keys.
FIGURE_KEYS = (
    "income_total", "income_general_budget", "income_gov_fund", "income_other", "income_carryover",
    "expenditure_total", "expenditure_basic", "expenditure_project",
    "three_public_total", "three_public_overseas", "three_public_vehicle_purchase",
    "three_public_vehicle_operation", "three_public_reception",
    "operating_expenses", "procurement_total", "meeting_expenses", "training_expenses",
    "staff_authorized", "staff_actual",
)
DEFAULT_DIR = ROOT.parent / "shared" / "realdata" / "national"
CORPUS_NOTES = {"README.md", "SOURCES.tsv"}  # the corpus's own description, not part of it
IDENTITY_FLAGS = ("parts_do_not_sum", "cross_table_mismatch", "text_table_mismatch", "column_total_mismatch",
                  "conflicting_values")
STATUSES = ("budget", "final account", "disclosure, kind unknown", "not a disclosure", "unreadable")
SEVERITIES = ("error", "minor", "info")
GIVE_UP_S = 900  # beyond the readers' own 300 s limit: only a hang in the extraction step reaches it
TOP_TITLES = 25


# ---------------------------------------------------------------- worker side

def _init_worker(log_path: str) -> None:
    """Send the readers' tracebacks (this worker's and its isolated reader's) to a log, not the terminal."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a live process and of the children it has reaped (utime+stime+cutime+cstime)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _cpu_now() -> float:
    """This worker's CPU so far: itself, its reaped children, and its live children.

    The isolated reader is reused across files, so RUSAGE_CHILDREN only sees its CPU once it
    is reaped; its running total is read from /proc instead. A reader reaped between two
    readings moves from the live term to RUSAGE_CHILDREN, so differences stay exact.
    """
    own = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    live = 0.0
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        live += sum(_proc_cpu(int(pid)) for pid in pids)
    return own + live


def _pdf_pages(data: bytes) -> int | None:
    import pypdfium2

    try:
        return len(pypdfium2.PdfDocument(data))
    except Exception:  # the reader's error says what is wrong with it
        return None


def _give_up(*_) -> None:
    raise TimeoutError(f"benchmark gave up after {GIVE_UP_S} s")


def _is_disclosure(record: dict) -> bool:
    # Transition: the lead is adding `is_disclosure` to the record; until it exists, a record
    # with neither a kind nor a figure counts as not a disclosure. Drop the fallback then.
    if "is_disclosure" in record:
        return bool(record["is_disclosure"])
    return bool(record.get("kind") or record.get("figures"))


def parse_one(path: str, root: str) -> dict:
    """Parse one file as `budgets parse FILE --json` does; return what the report needs of it."""
    from budgets.process import parse_local_files

    data = Path(path).read_bytes()
    fmt = sniff(data)
    signal.signal(signal.SIGALRM, _give_up)
    error = None
    cpu, wall = _cpu_now(), time.perf_counter()
    signal.alarm(GIVE_UP_S)
    try:
        record = parse_local_files([Path(path)])
    except Exception as exc:  # a parser bug: recorded for this file, the run goes on
        record, error = {}, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.alarm(0)
    wall, cpu = time.perf_counter() - wall, _cpu_now() - cpu
    files = record.get("files") or [{}]
    error = error or files[0].get("error")
    pages = files[0].get("pages")
    if pages is None and fmt == "pdf" and not error:
        pages = _pdf_pages(data)
    row = {
        "path": os.path.relpath(path, root), "type": fmt if fmt in ("pdf", "html") else "other",
        "format": files[0].get("format") or fmt, "bytes": len(data),
        "kind": record.get("kind"), "is_disclosure": _is_disclosure(record),
        "not_disclosure_reason": record.get("not_disclosure_reason"),
        "department": record.get("department"), "fiscal_year": record.get("fiscal_year"),
        "figures": record.get("figures") or {},
        "flags": [{"type": f.get("type"), "key": f.get("key"), "severity": f.get("severity")}
                  for f in record.get("flags") or []],
        "figure_confidence": record.get("figure_confidence"),
        "tables": None if "tables" not in record else [{"title": t.get("title") or "", "kind": t.get("kind")}
                                                       for t in record["tables"] or []],
        "text_chars": len(record.get("text") or ""), "ocr": bool(record.get("ocr")),
        "cpu": round(cpu, 3), "wall": round(wall, 3), "pages": pages, "error": error,
    }
    return {**row, "status": status_of(row)}


# ---------------------------------------------------------------- summary

def status_of(row: dict) -> str:
    """One of STATUSES: unreadable (an error or no text) first, then what the record says it is."""
    if row["error"] or not row["text_chars"]:
        return "unreadable"
    if not row["is_disclosure"]:
        return "not a disclosure"
    return {"budget": "budget", "final_account": "final account"}.get(row["kind"], "disclosure, kind unknown")


def normalise_title(title: str) -> str:
    """NFKC, no whitespace, no leading 表N / 附表N / 一、 numbering, years as YYYY: so variants group."""
    text = unicodedata.normalize("NFKC", title).strip()
    # a table number ends where a year (表3-12026年) or a non-digit begins
    numbering = re.compile(r"^(附?表\s*[0-9一二三四五六七八九十]{1,3}(\s*[-—]\s*[0-9]{1,2})?"
                           r"(?=(19|20)[0-9]{2}年|[^0-9]|$)\s*[、.:]?|\(?[0-9一二三四五六七八九十]+[)、.])\s*")
    while (stripped := numbering.sub("", text)) != text:
        text = stripped
    return re.sub(r"(19|20)[0-9]{2}", "YYYY", re.sub(r"\s+", "", text))


def _reason(reason: str | None) -> str:
    """The reason without the document's own words it quotes (…: “title”), so reasons group."""
    return re.split(r"[:：]\s*[“\"]", reason)[0] if reason else "(no reason given)"


def _coverage(rows: list[dict]) -> dict:
    """Per figure key, how many of the budgets, of the final accounts and of all disclosures state it."""
    groups = {"budget": ("budget",), "final_account": ("final account",), "all": STATUSES[:3]}
    counts = {}
    for group, statuses in groups.items():
        members = [r for r in rows if r["status"] in statuses]
        counts[group] = {"n": len(members), "keys": {k: sum(k in r["figures"] for r in members) for k in FIGURE_KEYS}}
    return counts


def _corroboration(disclosures: list[dict]) -> dict | None:
    if not any(r["figure_confidence"] is not None for r in disclosures):
        return None
    per_key = {k: [0, 0] for k in FIGURE_KEYS}
    for r in disclosures:
        confidence = r["figure_confidence"] or {}
        for key in r["figures"]:
            counts = per_key.setdefault(key, [0, 0])
            counts[1] += 1
            counts[0] += bool((confidence.get(key) or {}).get("corroborated"))
    return {k: {"corroborated": c, "figures": n} for k, (c, n) in per_key.items()}


def _flag_counts(rows: list[dict]) -> dict:
    by_severity: dict[str, Counter] = {}
    for r in rows:
        for f in r["flags"]:
            by_severity.setdefault(f["type"], Counter())[f["severity"]] += 1
    return {t: dict(c) for t, c in sorted(by_severity.items(), key=lambda kv: -sum(kv[1].values()))}


def _identity(disclosures: list[dict]) -> dict:
    per_key: dict[str, Counter] = {}
    for r in disclosures:
        for f in r["flags"]:
            if f["type"] in IDENTITY_FLAGS:
                per_key.setdefault(f["key"] or "(no key)", Counter())[f["type"]] += 1
    return {k: dict(per_key[k]) for k in [*FIGURE_KEYS, *sorted(set(per_key) - set(FIGURE_KEYS))] if k in per_key}


def _titles(rows: list[dict]) -> list | None:
    if not any(r["tables"] is not None for r in rows):
        return None
    titles = Counter(normalise_title(t["title"]) for r in rows for t in r["tables"] or [] if t["kind"] == "other")
    return titles.most_common(TOP_TITLES)


def _cpu(rows: list[dict], wall: float) -> dict:
    by_format: dict[str, dict] = {}
    for r in rows:
        entry = by_format.setdefault(r["format"], {"files": 0, "cpu": 0.0, "pages": 0, "paged_cpu": 0.0})
        entry["files"] += 1
        entry["cpu"] += r["cpu"]
        if r["pages"]:
            entry["pages"] += r["pages"]
            entry["paged_cpu"] += r["cpu"]
    slowest = sorted(rows, key=lambda r: -r["cpu"])[:10]
    return {"wall_s": wall, "cpu_s": sum(r["cpu"] for r in rows), "files": len(rows), "by_format": by_format,
            "slowest": [{k: r[k] for k in ("path", "format", "pages", "cpu", "wall", "status")} for r in slowest]}


def _metadata(disclosures: list[dict]) -> dict:
    return {"disclosures": len(disclosures),
            "department": sum(bool(r["department"]) for r in disclosures),
            "fiscal_year": sum(bool(r["fiscal_year"]) for r in disclosures),
            "kind": sum(bool(r["kind"]) for r in disclosures),
            "no_department": [r["path"] for r in disclosures if not r["department"]]}


def summarise(rows: list[dict], wall: float) -> dict:
    disclosures = [r for r in rows if r["status"] in STATUSES[:3]]
    files = {s: Counter(r["type"] for r in rows if r["status"] == s) for s in STATUSES}
    return {
        "files": {s: dict(c) for s, c in files.items()},
        "unreadable": dict(Counter((r["error"] or "no text")[:70] for r in rows if r["status"] == "unreadable")),
        "not_disclosure_reasons": dict(Counter(_reason(r["not_disclosure_reason"])
                                               for r in rows if r["status"] == "not a disclosure")),
        "coverage": _coverage(disclosures),
        "corroboration": _corroboration(disclosures),
        "identity": _identity(disclosures),
        "unrecognised_titles": _titles(rows),
        "flags": _flag_counts(disclosures),
        "flags_on_non_disclosures": sum(len(r["flags"]) for r in rows if r["status"] not in STATUSES[:3]),
        "cpu": _cpu(rows, wall),
        "metadata": _metadata(disclosures),
    }


# ---------------------------------------------------------------- printing

def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: list[str], rows: list[list]) -> None:
    """Print an aligned table: first column left, the others right."""
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        pads = [" " * (w - _width(c)) for c, w in zip(row, widths)]
        print("  " + "  ".join(c + pad if i == 0 else pad + c for i, (c, pad) in enumerate(zip(row, pads))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def _section(title: str) -> None:
    print(f"\n{title}")


def print_files(s: dict) -> None:
    _section("1. What the files are")
    types = ("pdf", "html", "other")
    rows = [[st, *[s["files"][st].get(t, 0) for t in types], sum(s["files"][st].values())] for st in STATUSES]
    rows.append(["total", *[sum(s["files"][st].get(t, 0) for st in STATUSES) for t in types],
                 sum(sum(c.values()) for c in s["files"].values())])
    _table(["", *types, "total"], rows)
    if s["unreadable"]:
        print("  unreadable, why:")
        _table(["reason", "files"], sorted(([k, v] for k, v in s["unreadable"].items()), key=lambda kv: -kv[1]))
    if any(k != "(no reason given)" for k in s["not_disclosure_reasons"]):
        print("  not a disclosure, why:")
        _table(["reason", "files"], sorted(([k, v] for k, v in s["not_disclosure_reasons"].items()),
                                           key=lambda kv: -kv[1]))


def print_coverage(s: dict) -> None:
    c = s["coverage"]
    _section(f"2. Figure keys found, among disclosures ({c['budget']['n']} budgets, "
             f"{c['final_account']['n']} final accounts, {c['all']['n']} in all)")
    rows = [[k, *[x for g in ("budget", "final_account", "all")
                  for x in (c[g]["keys"][k], _pct(c[g]["keys"][k], c[g]["n"]))]] for k in FIGURE_KEYS]
    _table(["key", "budgets", "%", "final acc.", "%", "all", "%"], rows)


def print_corroboration(s: dict) -> None:
    _section("3. Figures corroborated")
    c = s["corroboration"]
    if c is None:
        print("  n/a (parser has no figure_confidence)")
        return
    rows = [[k, v["corroborated"], v["figures"], _pct(v["corroborated"], v["figures"])] for k, v in c.items()]
    rows.append(["all", sum(v["corroborated"] for v in c.values()), sum(v["figures"] for v in c.values()),
                 _pct(sum(v["corroborated"] for v in c.values()), sum(v["figures"] for v in c.values()))])
    _table(["key", "corroborated", "figures", "%"], rows)


def print_identity(s: dict) -> None:
    _section("4. Identity failures among disclosures (flags per key)")
    short = ["parts", "cross_table", "text_table", "col_total", "conflicting"]
    rows = [[k, *[v.get(t, 0) for t in IDENTITY_FLAGS], sum(v.values())] for k, v in s["identity"].items()]
    rows.append(["all", *[sum(v.get(t, 0) for v in s["identity"].values()) for t in IDENTITY_FLAGS],
                 sum(sum(v.values()) for v in s["identity"].values())])
    _table(["key", *short, "total"], rows)


def print_titles(s: dict) -> None:
    _section(f"5. Most frequent unrecognised table titles (top {TOP_TITLES}, normalised)")
    if s["unrecognised_titles"] is None:
        print("  n/a (parser has no tables)")
        return
    _table(["title", "tables"], [[t or "(no title)", n] for t, n in s["unrecognised_titles"]])


def print_flags(s: dict) -> None:
    _section("6. Flags among disclosures, per type and severity")
    rows = [[t, *[c.get(sev, 0) for sev in SEVERITIES], sum(c.values())] for t, c in s["flags"].items()]
    rows.append(["all", *[sum(c.get(sev, 0) for c in s["flags"].values()) for sev in SEVERITIES],
                 sum(sum(c.values()) for c in s["flags"].values())])
    _table(["type", *SEVERITIES, "total"], rows)
    print(f"  (and {s['flags_on_non_disclosures']} flags on files that are not disclosures)")


def print_cpu(s: dict, jobs: int) -> None:
    c = s["cpu"]
    _section("7. Time")
    print(f"  {c['files']} files in {c['wall_s']:.1f} s wall on {jobs} processes: {c['files'] / c['wall_s']:.2f} files/s;"
          f" {c['cpu_s']:.1f} CPU s ({c['cpu_s'] / c['wall_s']:.2f} cores busy on average)")
    rows = [[fmt, e["files"], f"{e['cpu']:.1f}", f"{e['cpu'] / e['files']:.3f}", e["pages"],
             f"{e['paged_cpu'] / e['pages']:.3f}" if e["pages"] else "-"]
            for fmt, e in sorted(c["by_format"].items(), key=lambda kv: -kv[1]["cpu"])]
    _table(["format", "files", "CPU s", "CPU s/file", "pages", "CPU s/page"], rows)
    print("  slowest files (CPU):")
    _table(["path", "format", "pages", "CPU s", "wall s", "status"],
           [[r["path"], r["format"], r["pages"] or "-", f"{r['cpu']:.1f}", f"{r['wall']:.1f}", r["status"]]
            for r in c["slowest"]])


def print_metadata(s: dict) -> None:
    m = s["metadata"]
    _section(f"8. Metadata found among {m['disclosures']} disclosures")
    _table(["field", "found", "%"], [[k, m[k], _pct(m[k], m["disclosures"])] for k in ("department", "fiscal_year", "kind")])
    if m["no_department"]:
        print(f"  department missing ({len(m['no_department'])}; first 20):")
        for path in m["no_department"][:20]:
            print(f"    {path}")


def print_report(s: dict, jobs: int) -> None:
    for part in (print_files, print_coverage, print_corroboration, print_identity, print_titles, print_flags):
        part(s)
    print_cpu(s, jobs)
    print_metadata(s)


def print_comparison(old: dict, rows: list[dict]) -> None:
    """Coverage before → after per key over the files both runs parsed, and the files whose status or figures changed."""
    before = {r["path"]: r for r in old["files"]}
    common = [r for r in rows if r["path"] in before]
    if not common:
        print(f"\nNothing to compare: no file of {old['corpus']} was parsed in this run")
        return
    _section(f"Compared with {old['parser_version']} of {old['date']} over the {len(common)} files both runs parsed")
    oc, nc = _coverage([before[r["path"]] for r in common]), _coverage(common)
    groups = ("budget", "final_account", "all")
    _table(["key", "budgets", "final acc.", "all"],
           [["disclosures", *[f"{oc[g]['n']} → {nc[g]['n']}" for g in groups]],
            *[[k, *[f"{oc[g]['keys'].get(k, 0)} → {nc[g]['keys'][k]}" for g in groups]] for k in FIGURE_KEYS]])
    moved = [(r["path"], before[r["path"]]["status"], r["status"]) for r in common
             if before[r["path"]]["status"] != r["status"]]
    print(f"\n  files whose status changed: {len(moved)}")
    for path, was, now in moved[:40]:
        print(f"    {path}: {was} → {now}")
    changed = [(r["path"], _figure_changes(before[r["path"]]["figures"], r["figures"])) for r in common
               if before[r["path"]]["figures"] != r["figures"]]
    print(f"\n  files whose figures changed: {len(changed)}")
    for path, changes in changed[:40]:
        print(f"    {path}: {'; '.join(changes)}")
    if len(common) < len(before) or len(common) < len(rows):
        print(f"\n  only in the old run: {len(before) - len(common)} files; only in this one: {len(rows) - len(common)}")


def _figure_changes(old: dict, new: dict) -> list[str]:
    return ([f"+{k}" for k in new if k not in old] + [f"-{k}" for k in old if k not in new]
            + [f"{k} {old[k]} → {new[k]}" for k in new if k in old and old[k] != new[k]])


# ---------------------------------------------------------------- running

def corpus_files(directory: Path, limit: int | None) -> list[Path]:
    """Every file under `directory` (but the corpus's own notes); with a limit, spread evenly over them."""
    files = sorted(p for p in directory.rglob("*")
                   if p.is_file() and not (p.parent == directory and p.name in CORPUS_NOTES))
    if limit and limit < len(files):
        files = [files[i * len(files) // limit] for i in range(limit)]
    return files


def run(files: list[Path], root: Path, jobs: int, log_path: Path) -> tuple[list[dict], float]:
    """Parse every file in a pool of spawned, non-daemonic workers (each starts its own isolated reader)."""
    progress = Progress("real corpus: files", total=len(files))
    rows: list[dict] = []
    started = time.perf_counter()
    # Largest first, so one big PDF does not run alone at the end.
    ordered = sorted(files, key=lambda p: -p.stat().st_size)
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(str(log_path),)) as pool:
        for future in as_completed([pool.submit(parse_one, str(p), str(root)) for p in ordered]):
            rows.append(future.result())
            progress.advance()
    progress.finish()
    return sorted(rows, key=lambda r: r["path"]), time.perf_counter() - started


def write_json(out: Path, meta: dict, summary: dict, rows: list[dict]) -> None:
    """The summary, then one line per file, so two runs diff line by line."""
    head = json.dumps({**meta, "summary": summary}, ensure_ascii=False, indent=1)
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows)
    out.write_text(head[:-2] + ',\n "files": [\n' + lines + "\n ]\n}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, help="folder of files (searched recursively)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes (default: all cores)")
    parser.add_argument("--limit", type=int, help="parse only this many files, spread over the sorted list")
    parser.add_argument("--json", dest="json_out", type=Path, help="write the summary and one line per file here")
    parser.add_argument("--compare", type=Path, help="an earlier --json output to compare with")
    args = parser.parse_args()
    if not args.dir.is_dir():
        print(f"no corpus at {args.dir} (give a folder of files as DIR)", file=sys.stderr)
        sys.exit(2)
    old = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None
    root = args.dir.resolve()
    files = corpus_files(root, args.limit)
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"real_corpus.{os.getpid()}.log"
    print(f"{len(files)} files under {root}, parser {PARSER_VERSION}, {args.jobs} processes"
          f" (reader logs: {log_path})")
    rows, wall = run(files, root, args.jobs, log_path)
    summary = summarise(rows, wall)
    print_report(summary, args.jobs)
    if old is not None:
        print_comparison(old, rows)
    if args.json_out:
        meta = {"corpus": str(root), "parser_version": PARSER_VERSION, "jobs": args.jobs,
                "date": time.strftime("%Y-%m-%d %H:%M:%S")}
        write_json(args.json_out, meta, summary, rows)
        print(f"\nwritten to {args.json_out}")


if __name__ == "__main__":
    main()
