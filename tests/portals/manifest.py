"""What the tests assert against: per portal, the URLs of everything that matters.

URLs are absolute and exactly as a browser (or Scrapy) requests them: paths
percent-encoded as UTF-8, query strings as written in the page.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .model import Article, Disclosure, Portal


@dataclass(frozen=True)
class AttachmentEntry:
    url: str
    filename: str  # the real name: from the URL, or from Content-Disposition for downfile.jsp
    format: str  # pdf, xls, xlsx, docx


@dataclass(frozen=True)
class DisclosureEntry:
    """One genuine disclosure. `detail_url` is the 财政预决算 column's page; a crawler may
    meet the duplicate first, so compare {detail_url, *duplicate_urls} as a set."""

    detail_url: str
    duplicate_urls: list[str]
    attachment_urls: list[str]  # of the page at detail_url
    duplicate_attachment_urls: list[str]  # of the duplicate pages, where they differ
    attachments: list[AttachmentEntry]
    title: str
    department: str
    region: dict
    kind: str  # budget | final_account
    fiscal_year: int
    published_date: str  # YYYY-MM-DD
    page_metadata: dict  # index_no, publisher, publish_date, doc_no, source: those the page gives
    inline: bool  # published as HTML tables in the page, no attachment


@dataclass
class PortalManifest:
    name: str
    cms: str
    base_url: str
    start_urls: list[str]
    robots_url: str
    disclosures: list[DisclosureEntry]
    decoys: dict[str, list[str]]  # kind → article URLs: notice, qa, interpretation, index, government_budget
    decoy_attachment_urls: list[str]
    news_urls: list[str]
    disallowed_urls: list[str]  # linked from the portal, disallowed by robots.txt
    external_urls: list[str]  # other hosts linked from the portal: must never be fetched
    not_found_url: str
    slow_url: str  # answers after 2 s
    retry_once_url: str  # 503 + Retry-After: 1 the first time, then 200

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Manifest:
    portals: list[PortalManifest] = field(default_factory=list)

    @property
    def disclosures(self) -> list[DisclosureEntry]:
        return [d for p in self.portals for d in p.disclosures]

    def as_dict(self) -> dict:
        return {"portals": [p.as_dict() for p in self.portals]}


def _urls(article: Article, base: str) -> list[str]:
    return [base + a.target for a in article.attachments]


def disclosure_entry(d: Disclosure, base: str) -> DisclosureEntry:
    art = d.article
    dup_atts = [u for dup in d.duplicates for u in _urls(dup, base) if u not in _urls(art, base)]
    return DisclosureEntry(
        detail_url=base + art.target,
        duplicate_urls=[base + dup.target for dup in d.duplicates],
        attachment_urls=_urls(art, base),
        duplicate_attachment_urls=dup_atts,
        attachments=[AttachmentEntry(base + a.target, a.filename, a.fmt) for a in art.attachments],
        title=art.title,
        department=d.department,
        region=dict(d.region),
        kind=d.kind,
        fiscal_year=d.fiscal_year,
        published_date=art.published.isoformat(),
        page_metadata=dict(art.metadata),
        inline=not art.attachments,
    )


def portal_manifest(p: Portal, base: str) -> PortalManifest:
    with p.lock:
        return PortalManifest(
            name=p.name, cms=p.cms, base_url=base,
            start_urls=[base + t for t in p.start_targets],
            robots_url=base + "/robots.txt",
            disclosures=[disclosure_entry(d, base) for d in p.disclosures],
            decoys={k: [base + t for t in v] for k, v in p.decoys.items()},
            decoy_attachment_urls=[base + t for t in p.decoy_attachments],
            news_urls=[base + t for t in p.news],
            disallowed_urls=[base + t for t in p.disallowed],
            external_urls=list(p.external_urls),
            not_found_url=base + p.not_found,
            slow_url=base + p.slow,
            retry_once_url=base + p.retry_once,
        )
