"""Benchmark of the readers: text PDFs against bare pdfminer, and OCR of scanned pages.

    .venv/bin/python bench/parse.py [--pdfs DIR] [--ocr-pages N]

Prints documents/s, CPU seconds per page, the ratio against pdfminer's extract_text on the
same files (target: at most 3x), OCR seconds per page (target: at most 4 s on 2 cores) and
the peak resident memory of this process.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pdfminer.high_level import extract_text  # noqa: E402

from parsers.readers import read_file  # noqa: E402
from tests.docgen import pdfgen  # noqa: E402

from tests.paths import JIANGSU  # noqa: E402


def _timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def text_pdfs(directory: Path) -> None:
    files = sorted(directory.rglob("*.pdf"))
    if not files:
        sys.exit(f"no PDF under {directory}: give a folder of text PDFs with --pdfs DIR")
    pages = ocr_pages = 0
    wall = cpu = bare_cpu = 0.0
    for path in files:
        data = path.read_bytes()
        result, w, c = _timed(read_file, path.name, data)
        _, _, b = _timed(extract_text, str(path))
        pages += result.pages or 0
        ocr_pages += sum("OCR" in warning for warning in result.warnings)
        wall, cpu, bare_cpu = wall + w, cpu + c, bare_cpu + b
        status = result.error or f"{len(result.tables)} tables, {len(result.paragraphs)} paragraphs"
        print(f"  {path.name[:40]:40} {result.pages:4} pages  {c:6.2f} s cpu  (bare {b:5.2f} s)  {status}")
    print(f"text PDFs: {len(files)} documents, {pages} pages ({ocr_pages} OCR pictures/pages among them)")
    print(f"  documents/s            {len(files) / wall:8.2f}")
    print(f"  CPU s/page (readers)   {cpu / pages:8.3f}")
    print(f"  CPU s/page (bare)      {bare_cpu / pages:8.3f}   pdfminer.high_level.extract_text")
    print(f"  ratio readers / bare   {cpu / bare_cpu:8.2f}   target <= 3")


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
    parser.add_argument("--pdfs", type=Path, default=JIANGSU, help="folder of text PDFs, searched recursively (default: the Jiangsu PDFs in tests/data/jiangsu)")
    parser.add_argument("--ocr-pages", type=int, default=4, help="scanned pages to OCR")
    args = parser.parse_args()
    text_pdfs(args.pdfs)
    ocr(args.ocr_pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                 {peak:8.0f} MB")


if __name__ == "__main__":
    main()
