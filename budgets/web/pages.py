"""The plugin's own pages: search (the index's Chinese segmentation), a disclosure, its files.

User input reaches the index only as a SearchQuery (whose backends bind or encode all
text) and the templates only through Jinja's autoescaping; snippets are escaped first and
only then get their 【match】 markers turned into <mark>.
"""
from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urlencode

from datasette import Response
from datasette.utils.asgi import AsgiFileDownload, NotFound
from markupsafe import Markup, escape

from budgets.filter_names import KIND_NAMES, Ambiguous
from budgets.web.files import download_headers, media_type, safe_filename
from budgets.web.labels import (
    KIND_LABELS,
    METADATA_LABELS,
    SEVERITY_ORDER,
    WHERE_PARTS,
    figure_label,
    format_value,
    is_headcount,
    where_text,
)
from budgets.web.site import Site, site_of
from index import Filters, SearchQuery
from parsers.flag_types import SEVERITY_LABELS, flag_label, flag_sentence

MAX_QUERY = 200  # characters; longer text is cut (the index caps it further)
PAGE_SIZE = 20
MAX_PAGE = 500
FACETS = ("province", "city", "county", "department", "fiscal_year", "kind")
FACET_LABELS = {"province": "省", "city": "市", "county": "县", "department": "部门", "fiscal_year": "年度",
                "kind": "类型"}
TYPED = ("province", "city", "county", "department")  # filters a person may type loosely (湖南, 财政局)
_MARKED = re.compile(r"【([^【】]*)】")


def _site(datasette) -> Site:
    site = site_of(datasette)
    if site is None:
        raise NotFound("not a budgets site")
    return site


async def in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


@dataclass(frozen=True)
class SearchForm:
    """What the search page was asked, read defensively from the query string."""

    q: str = ""
    province: str | None = None
    city: str | None = None
    county: str | None = None
    department: str | None = None
    fiscal_year: int | None = None
    kind: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> SearchForm:
        def text(name: str) -> str | None:
            value = (args.get(name) or "").strip()[:MAX_QUERY]
            return value or None

        year = text("fiscal_year")
        page = text("page")
        kind = text("kind")
        return cls(q=(args.get("q") or "")[:MAX_QUERY], province=text("province"), city=text("city"),
                   county=text("county"), department=text("department"),
                   fiscal_year=int(year) if year and year.isdigit() and len(year) == 4 else None,
                   kind=KIND_NAMES.get(kind or ""),
                   page=min(max(int(page), 1), MAX_PAGE) if page and page.isdigit() and len(page) < 6 else 1)

    def query(self) -> SearchQuery:
        filters = Filters(province=self.province, city=self.city, county=self.county, year=self.fiscal_year,
                          kind=self.kind, department=self.department)
        return SearchQuery(text=self.q, filters=filters, facets=FACETS, limit=PAGE_SIZE,
                           offset=(self.page - 1) * PAGE_SIZE, sort="relevance" if self.q.strip() else "date")

    def params(self, **changes) -> dict:
        values = {"q": self.q, **{f: getattr(self, f) for f in FACETS}, "page": None, **changes}
        return {k: v for k, v in values.items() if v not in (None, "")}

    def url(self, **changes) -> str:
        params = self.params(**changes)
        return "/-/search" + ("?" + urlencode(params) if params else "")


def marked_snippet(snippet: str) -> Markup:
    """The snippet escaped, with the index's 【match】 markers as <mark> elements."""
    return Markup(_MARKED.sub(r"<mark>\1</mark>", str(escape(snippet))))


def _facet_values(form: SearchForm, field: str, counts: dict) -> list[dict]:
    chosen = getattr(form, field)
    out = []
    for value, n in counts.items():
        selected = str(value) == str(chosen)
        out.append({"label": KIND_LABELS.get(value, value) if field == "kind" else value, "count": n,
                    "selected": selected, "url": form.url(**{field: None if selected else value})})
    return out


async def search_page(datasette, request):
    site = _site(datasette)
    form = SearchForm.from_args(request.args)
    ambiguous = None
    try:
        typed = await in_thread(site.resolve_filters, {f: getattr(form, f) for f in TYPED})
        form = replace(form, **typed)
        result = await in_thread(site.search, form.query())
    except Ambiguous as exc:  # say which values fit, as links, instead of guessing
        ambiguous = {"label": FACET_LABELS.get(exc.field, exc.field), "typed": exc.typed,
                     "candidates": [(c, form.url(**{exc.field: c})) for c in exc.candidates]}
        result = None
    hits, facets, total = [], [], 0
    if result is not None:
        total = result.total
        for hit in result.hits:
            place = " ".join(v for v in (hit.region.get("province"), hit.region.get("city"),
                                         hit.region.get("county")) if v)
            hits.append({"id": hit.id, "title": hit.title, "department": hit.department, "place": place,
                         "fiscal_year": hit.fiscal_year, "kind": KIND_LABELS.get(hit.kind, hit.kind),
                         "snippet": marked_snippet(hit.snippet), "detail_url": hit.detail_url})
        facets = [{"name": f, "label": FACET_LABELS[f], "values": _facet_values(form, f, result.facets.get(f) or {})}
                  for f in FACETS if result.facets.get(f) or getattr(form, f)]
    last = form.page * PAGE_SIZE
    table_params = {("_q" if k == "q" else k): v for k, v in form.params().items()}
    context = {
        "form": form, "hits": hits, "facets": facets, "total": total, "ambiguous": ambiguous,
        "unavailable": result is None and ambiguous is None,
        "first": (form.page - 1) * PAGE_SIZE + 1, "last": min(last, total),
        "prev_url": form.url(page=form.page - 1) if form.page > 1 else None,
        "next_url": form.url(page=form.page + 1) if last < total and form.page < MAX_PAGE else None,
        "table_url": "/browse/disclosures" + ("?" + urlencode(table_params) if table_params else ""),
    }
    return Response.html(await datasette.render_template("budgets_search.html", context, request=request))


def _figure_rows(record: dict, links: dict[str, str]) -> list[dict]:
    rows = []
    sources = record.get("figure_sources") or {}
    for key, value in (record.get("figures") or {}).items():
        source = sources.get(key) or {}
        where = source.get("where") or {}
        rows.append({"key": key, "label": figure_label(key), "value": value,
                     "display": format_value(key, value), "headcount": is_headcount(key),
                     "where": where, "where_text": where_text({k: v for k, v in where.items() if k != "file"}),
                     "file": where.get("file"), "file_url": links.get(where.get("file") or ""),
                     "text": source.get("text")})
    return rows


def _flag_rows(record: dict) -> list[dict]:
    flags = sorted(record.get("flags") or [], key=lambda f: SEVERITY_ORDER.get(f.get("severity"), 9))
    return [{**f, "label": figure_label(f.get("key")), "type_label": flag_label(f.get("type") or ""),
             "type_note": flag_sentence(f.get("type") or ""),
             "severity_label": SEVERITY_LABELS.get(f.get("severity"), f.get("severity")),
             "readings": [{"value": format_value(f.get("key") or "", r.get("value")), "where": where_text(r.get("where")), "text": r.get("text")}
                          for r in f.get("readings") or []]} for f in flags]


def _file_links(files: list[dict]) -> dict[str, str]:
    """Download URL by the file name a source location uses."""
    return {f["filename"]: f"/-/file/{f['sha256']}" for f in files if f.get("filename") and f.get("sha256")}


async def _document(datasette, request) -> tuple[dict, list[dict]]:
    found = await in_thread(_site(datasette).document, request.url_vars["doc_id"])
    if found is None:
        raise NotFound("No disclosure with this id")
    return found


async def document_page(datasette, request):
    record, files = await _document(datasette, request)
    links = _file_links(files)
    region = record.get("region") or {}
    context = {
        "record": record, "kind": KIND_LABELS.get(record.get("kind") or "", record.get("kind")),
        "place": " ".join(v for v in (region.get("province"), region.get("city"), region.get("county")) if v),
        "figures": _figure_rows(record, links), "flags": _flag_rows(record),
        "files": [{**f, "download": f"/-/file/{f['sha256']}" if f.get("sha256") else None,
                   "name": safe_filename(f.get("filename") or f["url"], f.get("sha256") or "", f.get("content_type"))}
                  for f in files],
        "metadata": [(METADATA_LABELS.get(k, k), v) for k, v in (record.get("page_metadata") or {}).items() if v],
    }
    return Response.html(await datasette.render_template("budgets_document.html", context, request=request))


CSV_COLUMNS = ("key", "label", "value", "unit", *(name for name, _ in WHERE_PARTS), "text")


async def document_csv(datasette, request):
    """The disclosure's figures with their sources, one row per figure (BOM added by csvbom)."""
    record, _ = await _document(datasette, request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in _figure_rows(record, {}):
        value = row["value"] if row["headcount"] else f"{Decimal(str(row['value'])):.2f}"
        writer.writerow([row["key"], row["label"], value, "人" if row["headcount"] else "元",
                         *(row["where"].get(name, "") for name, _ in WHERE_PARTS), row["text"] or ""])
    filename = safe_filename(f"{record['id']}-figures.csv", record["id"], "text/csv")
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


async def file_download(datasette, request):
    found = await in_thread(_site(datasette).attachment, request.url_vars["sha256"])
    if found is None:
        raise NotFound("No archived file with this sha256")
    path, name, content_type = found
    filename = safe_filename(name, request.url_vars["sha256"], content_type)
    return AsgiFileDownload(path, content_type=media_type(content_type), headers=download_headers(filename))

