"""What the spider hands to the archive pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageItem:
    """An HTML page read by the spider, with the detection decision made on it."""

    url: str
    host: str
    role: str  # "article" or "list"
    sha256: str | None
    encoding: str
    title: str | None = None
    published_date: str | None = None
    page_metadata: dict = field(default_factory=dict)
    text: str | None = None
    decision: dict | None = None  # is_disclosure, reason, detail, kind, fiscal_year, department
    offsite_links: list[str] = field(default_factory=list)


@dataclass
class AttachmentResult:
    """One attachment as fetched (or the reason it could not be)."""

    url: str  # exactly as requested
    sha256: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    filename: str | None = None
    error: str | None = None

    def as_row(self) -> dict:
        return {"url": self.url, "sha256": self.sha256, "content_type": self.content_type,
                "bytes": self.bytes, "filename": self.filename, "error": self.error}


@dataclass
class DocumentItem:
    """An article page judged to be a disclosure, with all its attachments resolved."""

    page_url: str
    portal: str
    title: str | None
    published_date: str | None
    page_metadata: dict
    text: str | None
    kind: str | None
    fiscal_year: int | None
    department: str | None
    files: list[AttachmentResult]
    page_sha256: str | None = None


@dataclass
class PageGoneItem:
    """A page the archive knows answered 404 or 410: its document may have been withdrawn."""

    url: str
    status: int
