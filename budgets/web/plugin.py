"""The Datasette plugin: routes for search, disclosures and files; links in tables; CSV BOM; errors.

Registered by `budgets.web.app.make_app`. Datasette asks for routes and ASGI wrappers while
it is constructed, before a `Site` can be attached, so those two are unconditional (the
views answer 404 without a site); the other hooks do nothing for an app without one.
"""
from __future__ import annotations

import json
import logging

from datasette import Response, hookimpl
from datasette.filters import FilterArguments
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup, escape

from budgets.web import pages
from budgets.web.browse import AMOUNT_COLUMNS
from budgets.web.csvbom import with_csv_bom
from budgets.web.csvinert import with_inert_csv
from budgets.web.fresh import with_fresh_tables
from budgets.web.labels import format_yuan
from budgets.web.loose import with_loose_filters
from budgets.web.site import DOC_ID, SHA256, site_of

log = logging.getLogger(__name__)
STATIC = "budgets-static"
TABLE_MATCHES = 1000  # search matches a table view can hold (the best by relevance)
DOC_COLUMNS = {("figures", "document_id"), ("flags", "document_id"), ("files", "document_id")}


@hookimpl
def register_routes(datasette):
    return [
        (r"^/$", pages.search_page),
        (r"^/-/search$", pages.search_page),
        (r"^/-/doc/(?P<doc_id>[0-9A-Za-z_.-]{1,128})\.csv$", pages.document_csv),
        (r"^/-/doc/(?P<doc_id>[0-9A-Za-z_.-]{1,128})$", pages.document_page),
        (r"^/-/file/(?P<sha256>[0-9a-f]{64})$", pages.file_download),
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Titles and disclosure ids link to the disclosure's page, attachment hashes to the file.

    (The disclosures table's own `id` is its primary key, which Datasette links to the row.)
    """
    if database != "browse" or site_of(datasette) is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        key = row["key"] if (table, column) == ("figures", "value") else column if table == "disclosures" else None
        return format_yuan(value) if key in AMOUNT_COLUMNS else None
    if not isinstance(value, str):
        return None
    if (table, column) == ("disclosures", "title") and DOC_ID.fullmatch(str(row["id"])):
        return Markup(f'<a href="/-/doc/{escape(row["id"])}">{escape(value)}</a>')
    if (table, column) in DOC_COLUMNS and DOC_ID.fullmatch(value):
        return Markup(f'<a href="/-/doc/{escape(value)}">{escape(value)}</a>')
    if (table, column) == ("files", "sha256") and SHA256.fullmatch(value):
        return Markup(f'<a href="/-/file/{value}" title="download the archived file">{value[:12]}…</a>')
    return None


@hookimpl
def filters_from_request(request, database, table, datasette):
    """`?_q=三公经费` on the disclosures table: the index's matches, with Datasette's facets and CSV."""
    site = site_of(datasette)
    text = (request.args.get("_q") or "").strip()[:pages.MAX_QUERY]
    if site is None or (database, table) != ("browse", "disclosures") or not text:
        return None

    async def matches():
        found = await pages.in_thread(site.matching_ids, text, TABLE_MATCHES)
        if found is None:
            raise DatasetteError("The search index is not available; run `budgets index`.", status=503)
        ids, total = found
        shown = f"matching {text!r}" + (f" (the best {len(ids)} of {total})" if total > len(ids) else "")
        return FilterArguments(["id IN (SELECT value FROM json_each(:budgets_ids))"],
                               {"budgets_ids": json.dumps(ids)}, [shown])

    return matches


@hookimpl
def extra_css_urls(datasette):
    return [f"/{STATIC}/budgets.css"] if site_of(datasette) is not None else []


@hookimpl
def menu_links(datasette):
    if site_of(datasette) is None:
        return []
    return [{"href": "/-/search", "label": "搜索 Search"},
            {"href": "/browse/disclosures", "label": "全部公开 All disclosures"}]


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def fresh_then_app(scope, receive, send):
            site = site_of(datasette)
            handler = with_fresh_tables(app, site.refresher) if site and site.refresher else app
            if site is not None:
                handler = with_loose_filters(handler, site.resolve_filters)
            await handler(scope, receive, send)
        return with_csv_bom(with_inert_csv(fresh_then_app))
    return wrap


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    """Errors as a short page: a request's own error says what was wrong; anything else is
    logged (one line plus traceback in the server log) and the page says only that it failed.

    It stands in for Datasette's default handler (unregistered by make_app), which prints
    every 404 as a traceback with local variables and fails outright on some error paths.
    """
    if isinstance(exception, Base400):
        status, message, title = exception.status, str(exception.args[0]), None
    elif isinstance(exception, DatasetteError):
        status, title = exception.status, exception.title
        message = Markup(exception.message) if exception.message_is_html else exception.message
    else:
        log.error("error serving %s", request.path, exc_info=exception)
        status, message, title = 500, "Internal error: the server log has the details.", None

    async def page():
        info = {"ok": False, "error": message, "status": status, "title": title}
        if request.path.endswith(".json"):
            return Response.json({**info, "error": str(message)}, status=status)
        return Response.html(await datasette.render_template(["error.html"], info, request=request),
                             status=status)

    return page
