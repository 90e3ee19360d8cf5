"""OCR of page images with RapidOCR, and table rows rebuilt from the text boxes.

RapidOCR 3.x ships its ONNX models inside the wheel, so nothing is fetched at run time.
Budget tables are ruled: the grid lines found in the image give the column and row
boundaries, and each recognised character is placed in the cell under its centre. Text
outside the grid (title, unit line, notes) comes back as lines. Without ruling, boxes are
clustered by y into rows and the x gaps between them make the columns. The text is kept exactly
as recognised; repairing misread digits needs the table sums, which extraction knows.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_LINE_SHARE = 0.3  # a ruling line runs across at least this share of the table
MERGE_PX = 6  # ruling lines closer than this are one (double lines, thick strokes)
ONNX_THREADS = 1


class OcrUnavailable(RuntimeError):
    """The OCR engine could not be loaded (package or model missing)."""


@dataclass
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    chars: list[tuple[str, float, float]] = field(default_factory=list)  # (char, x centre, y centre)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class OcrContent:
    """What one image holds: table rows (if ruled), and the lines above and below them."""

    rows: list[list[str]]
    lines_above: list[str]
    lines_below: list[str]


_engine = None
_lock = threading.Lock()


def engine():
    """The RapidOCR engine, loaded once per process (loading takes about a second).

    One thread per model: onnxruntime's second thread spends as much CPU spinning as working
    (a quarter of OCR's CPU on two cores, same text), and files are read in parallel instead.
    """
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr import RapidOCR

                _engine = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False,
                                           "EngineConfig.onnxruntime.intra_op_num_threads": ONNX_THREADS,
                                           "EngineConfig.onnxruntime.inter_op_num_threads": ONNX_THREADS})
            except Exception as exc:  # ImportError, missing model file, onnxruntime failure
                raise OcrUnavailable(str(exc)) from exc
        return _engine


def recognise(image) -> list[Box]:
    """Text boxes of a PIL image, each with its characters' centres."""
    array = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR takes BGR like OpenCV
    out = engine()(array, return_word_box=True)
    if out.txts is None or out.boxes is None:
        return []
    boxes = []
    for text, quad, words in zip(out.txts, out.boxes, out.word_results):
        xs, ys = quad[:, 0], quad[:, 1]
        chars = [
            (w[0], float(np.mean([p[0] for p in w[2]])), float(np.mean([p[1] for p in w[2]])))
            for w in words
            if w and w[2] is not None
        ]
        boxes.append(Box(text, float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), chars))
    return boxes


def _positions(mask: np.ndarray, axis: int, min_length: int) -> list[int]:
    """Centres of the ruling lines in a binary line mask (axis 0: vertical lines' x)."""
    counts = mask.sum(axis=axis) // 255
    hits = np.nonzero(counts >= min_length)[0]
    lines: list[list[int]] = []
    for p in hits:
        if lines and p - lines[-1][-1] <= MERGE_PX:
            lines[-1].append(int(p))
        else:
            lines.append([int(p)])
    return [sum(group) // len(group) for group in lines]


@dataclass
class Grid:
    """Ruling found in an image: line positions and the masks to tell merged cells."""

    xs: list[int]
    ys: list[int]
    vertical: np.ndarray
    horizontal: np.ndarray

    def has_vertical(self, x: int, top: int, bottom: int) -> bool:
        """Whether a vertical line runs at `x` over most of top..bottom (else cells merge)."""
        band = self.vertical[top + 2 : max(bottom - 1, top + 3), max(x - 3, 0) : x + 4]
        return band.size > 0 and (band.max(axis=1) > 0).mean() > 0.5

    def has_horizontal(self, y: int, left: int, right: int) -> bool:
        band = self.horizontal[max(y - 3, 0) : y + 4, left + 2 : max(right - 1, left + 3)]
        return band.size > 0 and (band.max(axis=0) > 0).mean() > 0.5


def ruling(image, text_height: float) -> Grid:
    """Vertical and horizontal ruling lines of the image.

    A line must be longer than a few text heights, so that strokes of characters (the
    vertical stroke of 1 or 中) are not taken for ruling.
    """
    import cv2

    gray = np.asarray(image.convert("L"))
    binary = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)
    height, width = binary.shape
    long_h = max(width // 30, int(3 * text_height), 10)
    long_v = max(height // 40, int(1.6 * text_height), 10)
    horizontal = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long_h, 1)))
    vertical = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long_v)))
    ys = _positions(horizontal, 1, int(width * MIN_LINE_SHARE))
    xs: list[int] = []
    if len(ys) >= 2:
        xs = _positions(vertical[ys[0] : ys[-1] + 1], 0, long_v)
    return Grid(xs, ys, vertical, horizontal)


def _index(bounds: Sequence[float], value: float) -> int | None:
    for i in range(len(bounds) - 1):
        if bounds[i] <= value < bounds[i + 1]:
            return i
    return None


def _rows_of(boxes: list[Box]) -> list[list[Box]]:
    """Boxes clustered by vertical centre into lines, each left to right, top to bottom."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        if rows and abs(rows[-1][-1].cy - box.cy) < (box.y1 - box.y0) / 2:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.x0) for row in rows]


def _lines(boxes: list[Box]) -> list[str]:
    """Boxes outside a table as text lines, top to bottom, left to right."""
    return [" ".join(b.text for b in row) for row in _rows_of(boxes)]


def _separators(rows: list[list[Box]]) -> list[float]:
    """x positions between columns: gaps that no box of the table rows covers."""
    spans = sorted((b.x0, b.x1) for row in rows for b in row)
    gaps, reach = [], spans[0][1]
    heights = sorted(b.y1 - b.y0 for row in rows for b in row)
    min_gap = heights[len(heights) // 2] / 2
    for x0, x1 in spans[1:]:
        if x0 - reach >= min_gap:
            gaps.append((reach + x0) / 2)
        reach = max(reach, x1)
    return gaps


def unruled(boxes: list[Box]) -> OcrContent:
    """A table without ruling: rows from lines of several boxes, columns from the x gaps.

    The table is the run of lines from the first to the last holding two or more boxes
    (at least three such lines, and most lines of the run); the lines before and after it
    stay text. Prose, whose lines are single boxes, stays text.
    """
    rows = _rows_of(boxes)
    multi = [i for i, row in enumerate(rows) if len(row) >= 2]
    if len(multi) < 3 or len(multi) < 0.5 * (multi[-1] - multi[0] + 1):
        return OcrContent([], _lines(boxes), [])
    first, last = multi[0], multi[-1]
    body = rows[first : last + 1]
    bounds = [float("-inf"), *_separators(body), float("inf")]
    if len(bounds) < 3:
        return OcrContent([], _lines(boxes), [])
    table = []
    for row in body:
        cells: list[list[str]] = [[] for _ in range(len(bounds) - 1)]
        for box in row:
            col = _index(bounds, (box.x0 + box.x1) / 2)
            assert col is not None  # the bounds run from -inf to inf
            cells[col].append(box.text)
        table.append(["".join(c) for c in cells])
    above = [" ".join(b.text for b in row) for row in rows[:first]]
    below = [" ".join(b.text for b in row) for row in rows[last + 1 :]]
    return OcrContent(table, above, below)


def _cell_groups(grid: Grid) -> dict[tuple[int, int], tuple[int, int]]:
    """Each grid cell's merged-cell group, named by its top-left cell."""
    xs, ys = grid.xs, grid.ys
    parent = {(i, j): (i, j) for i in range(len(ys) - 1) for j in range(len(xs) - 1)}

    def root(cell):
        while parent[cell] != cell:
            cell = parent[cell]
        return cell

    def union(a, b):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for i in range(len(ys) - 1):
        for j in range(1, len(xs) - 1):
            if not grid.has_vertical(xs[j], ys[i], ys[i + 1]):
                union((i, j - 1), (i, j))
    for i in range(1, len(ys) - 1):
        for j in range(len(xs) - 1):
            if not grid.has_horizontal(ys[i], xs[j], xs[j + 1]):
                union((i - 1, j), (i, j))
    return {cell: root(cell) for cell in parent}


def layout(boxes: list[Box], grid: Grid) -> OcrContent:
    """Place characters in the grid cells (a merged cell's text goes to every cell it spans);
    boxes above and below the grid become lines."""
    xs, ys = grid.xs, grid.ys
    if len(xs) < 3 or len(ys) < 3:
        return unruled(boxes)
    groups = _cell_groups(grid)
    pieces: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    above, below = [], []
    for box in boxes:
        if box.cy < ys[0]:
            above.append(box)
            continue
        if box.cy > ys[-1]:
            below.append(box)
            continue
        row = _index(ys, box.cy)
        parts = box.chars if box.chars else [(box.text, (box.x0 + box.x1) / 2, box.cy)]
        for text, cx, cy in parts:
            col = _index(xs, cx)
            if row is not None and col is not None:
                pieces.setdefault(groups[(row, col)], []).append((cy, cx, text))
    rows = [
        [_join(sorted(pieces.get(groups[(i, j)], []))) for j in range(len(xs) - 1)]
        for i in range(len(ys) - 1)
    ]
    return OcrContent(rows, _lines(above), _lines(below))


def _join(pieces: list[tuple[float, float, str]]) -> str:
    """Characters of one cell in reading order; a space where the recogniser saw a gap."""
    if not pieces:
        return ""
    lines: list[list[tuple[float, float, str]]] = []
    for piece in pieces:
        if lines and abs(lines[-1][0][0] - piece[0]) < 8:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    return "".join("".join(p[2] for p in sorted(line, key=lambda p: p[1])) for line in lines).strip()


def read_image(image) -> OcrContent:
    """OCR one page or picture: its ruled table (if any) and the text around it."""
    boxes = recognise(image)
    heights = sorted(b.y1 - b.y0 for b in boxes) or [10.0]
    return layout(boxes, ruling(image, heights[len(heights) // 2]))
