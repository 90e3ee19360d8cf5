"""Benchmark of parsing: CPU per page against bare text extractors, wall time on every core, OCR.

    .venv/bin/python bench/parse.py [--pdfs DIR] [--limit N] [--jobs N] [--ocr-pages N]

Text PDFs (DIR, default ../shared/realdata/national beside the repository, else the Jiangsu
PDFs in tests/data/jiangsu; `--limit` files spread over DIR):

- CPU seconds per page of our readers against pdfminer's bare `extract_text` (target: at
  most 1.5x) and pypdfium2's bare text extraction, on the same files in this process;
- wall time of parsing them as `budgets reparse` does (one document per file, each file in an
  isolated worker, records extracted there) with 1 job and with `--jobs` (default: every core),
  and the scaling ratio (target: at least 0.8 x cores); the records must be the same;
- OCR seconds per scanned page (target: at most 4 s on 2 cores), and the peak RSS.

Other programs on the machine take cores from the workers: the load average is printed
with the figures so that a noisy run can be told apart.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402
from pdfminer.high_level import extract_text as pdfminer_extract_text  # noqa: E402

from archive.blobs import BlobStore  # noqa: E402
from budgets.parse_job import DocumentJob  # noqa: E402
from budgets.parse_pool import ParsePool, default_jobs  # noqa: E402
from parsers.model import Context  # noqa: E402
from parsers.readers import read_file  # noqa: E402
from tests.docgen import pdfgen  # noqa: E402
from tests.paths import JIANGSU  # noqa: E402

REAL_PDFS = ROOT.parent / "shared" / "realdata" / "national"


def _timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def extract_text(path: Path) -> str:
    """pdfminer.six's bare text extraction."""
    return pdfminer_extract_text(str(path))


def pdfium_text(path: Path) -> str:
    """pypdfium2's text of every page: the cheapest text extraction there is."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        pdf.close()


def is_pdf(path: Path) -> bool:
    """Portals serve HTML error and redirect pages under .pdf names: only real PDFs count."""
    with path.open("rb") as f:
        return b"%PDF-" in f.read(1024)


def chosen_pdfs(directory: Path, limit: int) -> list[Path]:
    """Up to `limit` PDFs spread evenly over the sorted list (so over the folder's cities)."""
    files = [path for path in sorted(directory.rglob("*.pdf")) if is_pdf(path)]
    if not files:
        sys.exit(f"no PDF under {directory}: give a folder of text PDFs with --pdfs DIR")
    if limit and len(files) > limit:
        files = [files[i * len(files) // limit] for i in range(limit)]
    return files


def _baseline(function, path: Path) -> float | None:
    """CPU seconds of a bare extractor on `path`, None when it cannot read the file."""
    try:
        return _timed(function, path)[2]
    except Exception as exc:  # a broken or mislabelled file (real portals serve some)
        print(f"  {path.name[:40]:40} {function.__name__} failed: {type(exc).__name__}: {exc}"[:160])
        return None


def cpu_per_page(files: list[Path]) -> None:
    """Our readers against the bare extractors, on the files all three read (imports loaded first)."""
    read_file(files[0].name, files[0].read_bytes())
    pages = ocr_pages = skipped = text_pages = 0
    cpu = miner_cpu = pdfium_cpu = text_cpu = text_miner = 0.0
    for path in files:
        result, _, c = _timed(read_file, path.name, path.read_bytes())
        m = _baseline(extract_text, path)
        p = _baseline(pdfium_text, path)
        if result.error or m is None or p is None:
            skipped += 1
            print(f"  {path.name[:40]:40} left out: {result.error or 'a bare extractor failed'}"[:160])
            continue
        pages += result.pages or 0
        ocred = sum("OCR" in warning for warning in result.warnings)
        ocr_pages += ocred
        cpu, miner_cpu, pdfium_cpu = cpu + c, miner_cpu + m, pdfium_cpu + p
        if not ocred:  # the same work as the bare extractors: text and ruled tables, no picture to OCR
            text_pages, text_cpu, text_miner = text_pages + (result.pages or 0), text_cpu + c, text_miner + m
        print(f"  {path.name[:40]:40} {result.pages or 0:4} pages  {c:6.2f} s cpu  "
              f"(pdfminer {m:5.2f} s, pdfium {p:5.2f} s)  {len(result.tables)} tables, {len(result.paragraphs)} paragraphs")
    print(f"text PDFs: {len(files) - skipped} documents ({skipped} left out), {pages} pages "
          f"({ocr_pages} OCR pictures/pages among them)")
    print(f"  CPU s/page (readers)   {cpu / pages:8.3f}")
    print(f"  CPU s/page (pdfminer)  {miner_cpu / pages:8.3f}   pdfminer.high_level.extract_text")
    print(f"  CPU s/page (pypdfium2) {pdfium_cpu / pages:8.3f}   PdfTextPage.get_text_range")
    print(f"  ratio readers/pdfminer {cpu / miner_cpu:8.2f}   all files (OCR of pictures included)")
    if text_pages:
        print(f"  ratio, files with no OCR {text_cpu / text_miner:6.2f}   target <= 1.5 "
              f"({text_pages} pages: {text_cpu / text_pages:.3f} against {text_miner / text_pages:.3f} CPU s/page)")
    print(f"  ratio readers/pdfium   {cpu / pdfium_cpu:8.1f}")


def _workers_cpu() -> float:
    """CPU seconds of the ended worker processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _parse_all(blobs: BlobStore, jobs: list[DocumentJob], workers: int) -> tuple[dict[str, str], float]:
    """Parse `jobs` with `workers`; prints the wall time and how many cores the workers got."""
    wall, cpu = time.perf_counter(), _workers_cpu()
    with ParsePool(blobs, workers) as pool:
        records = {result.job.doc_id: result.record for result in pool.results(jobs)}
    wall, cpu = time.perf_counter() - wall, _workers_cpu() - cpu
    busy = cpu / wall
    print(f"  --jobs {workers:<16}{wall:8.1f} s   {len(jobs) / wall:6.2f} documents/s   workers' CPU {cpu:.0f} s: "
          f"{busy:.2f} cores busy on average" + (" (the machine gave fewer than jobs)" if busy < 0.9 * workers else ""))
    return records, wall


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def machine_cores(processes: int, seconds: float = 3.0) -> float:
    """Cores the machine gives `processes` busy loops now: on a shared machine, what any
    scaling measured here is bounded by."""
    context = multiprocessing.get_context("spawn")
    wall, cpu = time.perf_counter(), _workers_cpu()
    loops = [context.Process(target=_burn, args=(seconds,)) for _ in range(processes)]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join()
    return (_workers_cpu() - cpu) / (time.perf_counter() - wall)


def wall_time(files: list[Path], cores: int) -> None:
    """The files parsed as one document each, as `budgets reparse` parses, with 1 job and `cores`."""
    with tempfile.TemporaryDirectory() as tmp:
        blobs = BlobStore(Path(tmp))
        # largest first, so that the run ends with small files on every worker: with a few dozen
        # files, one large file parsed last would measure the tail instead of the throughput
        jobs = [DocumentJob(doc_id=str(path), fingerprint="", input_fingerprint="", page_sha256=None,
                            files=[(path.name, blobs.put(path.read_bytes()))], context=Context())
                for path in sorted(files, key=lambda path: -path.stat().st_size)]
        print(f"wall time, {len(jobs)} documents parsed as `budgets reparse` does "
              f"(load average {os.getloadavg()[0]:.1f} before):")
        one, one_s = _parse_all(blobs, jobs, 1)
        if cores > 1:
            many, many_s = _parse_all(blobs, jobs, cores)
            print(f"  scaling                {one_s / many_s:8.2f}x  = {one_s / many_s / cores:.2f} x {cores} cores"
                  f"   target >= 0.8 x cores   (load average {os.getloadavg()[0]:.1f} after)")
            free = machine_cores(cores) / machine_cores(1)
            print(f"  the machine's own      {free:8.2f}x   busy loops, {cores} processes against 1, just now: "
                  "the bound of any scaling measured here")
            print(f"  same records           {'yes' if one == many else 'NO: they differ with the number of jobs'}")
        else:
            print("  one core only: no scaling to measure (give --jobs N to try more workers)")
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS of a worker   {worker:8.0f} MB")


def ocr(pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, scan = Path(tmp) / "seed.pdf", Path(tmp) / "scan.pdf"
        printed = pdfgen.seed_pdf(source)
        chosen = sorted({t.pages[0] for t in printed if not t.picture})[:pages]
        pdfgen.scanned_pdf(source, scan, pages=chosen)
        read_file("warm-up.pdf", scan.read_bytes())  # loads the OCR models once
        result, w, c = _timed(read_file, scan.name, scan.read_bytes())
    print(f"OCR: {len(chosen)} scanned table pages (144 dpi), {len(result.tables)} tables read")
    print(f"  wall s/page            {w / len(chosen):8.2f}   target <= 4")
    print(f"  CPU s/page             {c / len(chosen):8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=None,
                        help=f"folder of text PDFs, searched recursively (default: {REAL_PDFS} if present, "
                             "else the Jiangsu PDFs in tests/data/jiangsu)")
    parser.add_argument("--limit", type=int, default=40, help="at most this many PDFs, spread over the folder (0: all)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="workers for the wall-time run (default: every core)")
    parser.add_argument("--ocr-pages", type=int, default=4, help="scanned pages to OCR")
    args = parser.parse_args()
    folder = args.pdfs
    if folder is None:
        folder = REAL_PDFS if REAL_PDFS.is_dir() else JIANGSU
        if folder == JIANGSU:
            print(f"{REAL_PDFS} is absent: measuring the 22 Jiangsu PDFs of tests/data/jiangsu instead, "
                  "which are not the real corpus")
    files = chosen_pdfs(folder, args.limit)
    print(f"PDFs: {len(files)} from {folder}")
    cpu_per_page(files)
    wall_time(files, args.jobs)
    ocr(args.ocr_pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (this process)  {peak:8.0f} MB")


if __name__ == "__main__":
    main()
