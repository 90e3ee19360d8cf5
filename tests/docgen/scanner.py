"""Make an image-only "scan" of a text PDF, as an office scanner would.

    scan_pdf(src, out, seed=0, pages=None, dpi=170)

Each page is rendered with pypdfium2 at `dpi`, turned to grayscale, rotated by a small
random skew (0.3–1.5°, either way, white fill), given a faint paper tone, sensor noise,
dark speckle and a slight blur. Pillow's PDF writer assembles the pages into a PDF with
no text layer, storing each grayscale page as a JPEG (one quality in 50–70 per document)
and no dates. Everything random comes from `random.Random(seed)` and a numpy generator
seeded from it, so the same source, pages and seed give the same bytes.

Command line (from the repository root):

    python -m tests.docgen.scanner SRC.pdf OUT.pdf --seed N [--pages 1,4-9] [--dpi 170]

`--pages` takes 1-based page numbers and ranges; without it every page is scanned.
"""
from __future__ import annotations

import argparse
import random

import numpy as np
import pypdfium2
from PIL import Image, ImageFilter


def _scan_page(image: Image.Image, rng: random.Random, nrng: np.random.Generator) -> Image.Image:
    """One rendered page → a grayscale, skewed, noisy, slightly blurred image."""
    gray = image.convert("L")
    skew = rng.uniform(0.3, 1.5) * rng.choice((-1, 1))
    gray = gray.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    a = np.asarray(gray, dtype=np.float32)
    a = a * rng.uniform(0.90, 0.96) + rng.uniform(4, 10)       # paper tone, ink not pure black
    a += nrng.normal(0.0, rng.uniform(5, 9), a.shape)         # sensor noise
    speckle = nrng.random(a.shape) < rng.uniform(0.0004, 0.0012)
    a[speckle] = nrng.uniform(0, 90, int(speckle.sum()))      # dust / toner specks
    gray = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    return gray.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))


def parse_pages(spec: str | None) -> list[int] | None:
    """'1,4-9' → [0, 3, 4, …, 8] (0-based); None → None (all pages)."""
    if not spec:
        return None
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.strip().partition("-")
        out.extend(range(int(a) - 1, int(b or a)))
    return out


def scan_pdf(src: str, out: str, seed: int = 0, pages: list[int] | None = None, dpi: int = 170) -> int:
    """Write an image-only scan of `src` (0-based `pages`, default all) to `out`; returns the page count."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(rng.getrandbits(64))
    quality = rng.randint(50, 70)
    pdf = pypdfium2.PdfDocument(src)
    try:
        indices = pages if pages is not None else list(range(len(pdf)))
        images = []
        for i in indices:
            page = pdf[i]
            images.append(_scan_page(page.render(scale=dpi / 72).to_pil(), rng, nrng))
            page.close()
    finally:
        pdf.close()
    # Pillow writes grayscale pages as DCTDecode (JPEG) streams with this quality; no dates
    # or title, so the bytes depend on the seed only.
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi),
                   quality=quality, title=None, creationDate=None, modDate=None)
    return len(images)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pages", help="1-based pages and ranges, e.g. 1,4-9 (default: all)")
    ap.add_argument("--dpi", type=int, default=170)
    args = ap.parse_args(argv)
    n = scan_pdf(args.src, args.out, seed=args.seed, pages=parse_pages(args.pages), dpi=args.dpi)
    print(f"{args.out}: {n} scanned pages")


if __name__ == "__main__":
    main()
