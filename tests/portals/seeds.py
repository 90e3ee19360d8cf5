"""Read the seed disclosures and derive new ones from them.

The imitation portals publish documents whose text and tables come from the two real
seed disclosures, so parsers meet real wording and real inconsistencies; variations move
a seed to another department, fiscal year or kind (预算/决算) by rewriting names and
years, keeping every figure as printed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

ZHUZHOU_SEED = "000_9c8a412db31f4eb6.txt"
TONGDAO_SEED = "004_9902a30b8655e055.txt"


@dataclass(frozen=True)
class SeedTable:
    """One table as printed: its title and its rows of cell text."""

    title: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Document:
    """A disclosure's content: 说明 paragraphs and tables, plus who and what it is for."""

    department: str
    fiscal_year: int
    kind: str  # "budget" or "final_account"
    title: str
    paragraphs: tuple[str, ...]
    tables: tuple[SeedTable, ...] = field(default=())
    aliases: tuple[str, ...] = ()  # short names of the department used in the text


def _clean(line: str) -> str:
    """Drop the markdown marks the seed text extraction left (headings, bold, bullets)."""
    line = re.sub(r"^\s*(#+|-)\s*", "", line)
    return line.replace("**", "").replace("[bookmark: _GoBack]", "").strip()


def _rows(lines: list[str]) -> tuple[tuple[str, ...], ...]:
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.rstrip("\n").split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append(tuple(cells))
    return tuple(rows)


def _zhuzhou(text: str) -> Document:
    """Seed 000: markdown-ish 说明, then `第二部分：` and tables each headed `附件N` + title."""
    head, _, tail = text.rpartition("第二部分：")
    body = head.split("第一部分：", 1)[-1]
    paragraphs = tuple(p for p in (_clean(line) for line in body.splitlines()) if p)
    tables: list[SeedTable] = []
    title: str | None = None
    lines: list[str] = []
    for line in tail.splitlines():
        if re.fullmatch(r"附件\d+", line.strip()):
            if title:
                tables.append(SeedTable(title, _rows(lines)))
            title, lines = "", []
        elif title == "" and line.strip() and "\t" not in line:
            title = _clean(line)
        elif title and "\t" in line:
            lines.append(line)
    if title:
        tables.append(SeedTable(title, _rows(lines)))
    return Document(
        department="株洲市人民政府办公室", fiscal_year=2020, kind="budget",
        title="株洲市人民政府办公室2020年部门预算", paragraphs=paragraphs, tables=tuple(tables),
        aliases=("市人民政府办公室",),
    )


def _tongdao(text: str) -> Document:
    """Seed 004: plain 说明 then `附件：预算公开表` and one block per .xls sheet."""
    head, _, tail = text.partition("附件：预算公开表")
    paragraphs = tuple(p for p in (_clean(line) for line in head.splitlines()) if p)
    tables: list[SeedTable] = []
    name: str | None = None
    lines: list[str] = []
    source = [s for s in tail.splitlines() if s.strip() and not s.strip().startswith("第 &P")]
    for i, line in enumerate(source):
        stripped = line.strip()
        starts_sheet = i + 1 < len(source) and source[i + 1].startswith("\t")
        if "\t" not in line and len(stripped) <= 16 and "。" not in stripped and starts_sheet:
            if name:
                tables.append(SeedTable(name, _rows(lines)))
            name, lines = stripped, []
        elif name:
            lines.append(line)
    if name:
        tables.append(SeedTable(name, _rows(lines)))
    return Document(
        department="通道县政务服务中心", fiscal_year=2020, kind="budget",
        title="通道县政务服务中心2020年部门预算", paragraphs=paragraphs, tables=tuple(tables),
        aliases=("政务中心",),
    )


def load_seeds(seed_dir: Path) -> dict[str, Document]:
    """The two seeds as documents, keyed "zhuzhou" and "tongdao"."""
    return {
        "zhuzhou": _zhuzhou((seed_dir / ZHUZHOU_SEED).read_text(encoding="utf-8")),
        "tongdao": _tongdao((seed_dir / TONGDAO_SEED).read_text(encoding="utf-8")),
    }


_FINAL_WORDS = (
    ("部门预算", "部门决算"), ("预算公开", "决算公开"), ("年初预算数", "决算数"),
    ("本年预算", "本年决算"), ("预算数", "决算数"), ("预算表", "决算表"), ("预算说明", "决算说明"),
    ("上年结转", "年初结转和结余"),
)


def kind_label(kind: str) -> str:
    return "部门预算" if kind == "budget" else "部门决算"


def vary(doc: Document, department: str, fiscal_year: int, kind: str) -> Document:
    """The same document told of another department, year and kind; figures unchanged."""
    shift = fiscal_year - doc.fiscal_year
    year_re = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")

    def rewrite(text: str) -> str:
        # full name and short names at once: a short name inside the full one ("市人民政府办公室" in
        # "株洲市人民政府办公室") is not replaced again, which printed "株洲株洲市人民政府办公室"
        names = "|".join(re.escape(n) for n in sorted({doc.department, *doc.aliases}, key=len, reverse=True))
        text = re.sub(names, lambda m: department, text)
        text = year_re.sub(lambda m: str(int(m.group(1)) + shift), text)
        if kind == "final_account" and doc.kind == "budget":
            for old, new in _FINAL_WORDS:
                text = text.replace(old, new)
        return text

    tables = tuple(SeedTable(rewrite(t.title), tuple(tuple(rewrite(c) for c in r) for r in t.rows)) for t in doc.tables)
    return replace(
        doc, department=department, fiscal_year=fiscal_year, kind=kind,
        title=f"{department}{fiscal_year}年{kind_label(kind)}",
        paragraphs=tuple(rewrite(p) for p in doc.paragraphs), tables=tables, aliases=(),
    )


def excerpt(doc: Document, paragraphs: int = 12, tables: int = 1) -> Document:
    """A short form of a document (first paragraphs and tables), for bulk-generated files."""
    return replace(doc, paragraphs=doc.paragraphs[:paragraphs], tables=doc.tables[:tables])
