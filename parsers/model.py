"""What readers hand to the extraction step: text and tables with where each was read.

Every format (PDF, OCR, XLS/XLSX, DOC/DOCX, HTML) is reduced to this one shape so that
figures are located, and their provenance written, the same way whatever the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Where:
    """A place in a source file: `file` plus a page (PDF, 1-based) or a sheet name."""

    file: str
    page: int | None = None
    sheet: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in (("file", self.file), ("page", self.page), ("sheet", self.sheet)) if v is not None}


@dataclass
class Paragraph:
    """One paragraph (or line block) of running text, e.g. of the 说明."""

    text: str
    where: Where
    ocr: bool = False


@dataclass
class Table:
    """A table as printed: its title and unit line if found nearby, and its rows of cell text.

    Cells are strings exactly as printed (merged cells repeated into every cell they span);
    `row_offset` is the 1-based row number of `rows[0]` in the source (sheet row, or row
    within the page's table), so provenance can name a row.
    """

    rows: list[list[str]]
    where: Where
    title: str | None = None
    unit: str | None = None  # "元" or "万元" as stated for this table, None if not stated
    header_rows: int = 0  # how many leading rows are column headings
    row_offset: int = 1
    ocr: bool = False
    # (index into rows, page) where the table goes on over a page break, so each row's page is known
    continued: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class ExtractedFile:
    """A whole file's content in reading order, or the reason it could not be read."""

    name: str
    format: str  # pdf, pdf-ocr, xls, xlsx, docx, doc, html, text, ...
    sha256: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pages: int | None = None
    ocr: bool = False
    error: str | None = None  # set when the file could not be read; the rest of the disclosure goes on
    warnings: list[str] = field(default_factory=list)
    # parts left unread (pages past a limit): what was read is used, and the record's errors say what was not
    omitted: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        """What the record's errors say of this file: why it could not be read, or what of it was not."""
        return self.error or ("read in part: " + "; ".join(self.omitted) if self.omitted else None)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


@dataclass
class InputFile:
    """One file of a disclosure as archived: its bytes and what the crawl knows of it."""

    name: str
    data: bytes
    url: str | None = None
    sha256: str = ""
    content_type: str | None = None


@dataclass
class Context:
    """What the article page says around its files; used for metadata the files leave out."""

    title: str | None = None
    detail_url: str | None = None
    article_html: bytes | None = None  # the article page itself, for disclosures published inline
    article_text: str | None = None
    published_date: str | None = None  # YYYY-MM-DD
    page_metadata: dict = field(default_factory=dict)
    region_hint: dict = field(default_factory=dict)  # from the portal registry: province, city, county, admin_code
