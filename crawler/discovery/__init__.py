"""Pure functions the spider calls to find what to fetch next (no network); pages are decoded
by the project's one charset decoder, `charsets.decode_html`.

- ``extract_links``: every URL a page links to, scripts and TRS ``OLDSRC`` included.
- ``extract_pager_urls``: the other pages of a list page (TRS ``createPageHTML`` & co).
- ``extract_datastore_links`` / ``find_jpage_sources`` / ``dataproxy_requests`` /
  ``parse_dataproxy``: Hanweb column pages and their jpage dataproxy.
- ``filename_from_headers``: a download's name from Content-Disposition or its URL.
"""

from crawler.discovery.disposition import filename_from_headers, sanitize_filename
from crawler.discovery.hanweb import (
    DataproxyPage,
    DataproxyRequest,
    JpageSource,
    dataproxy_requests,
    extract_datastore_links,
    find_jpage_sources,
    parse_dataproxy,
)
from crawler.discovery.links import Link, extract_links, is_attachment_url
from crawler.discovery.pagers import extract_pager_urls

__all__ = [
    "DataproxyPage",
    "DataproxyRequest",
    "JpageSource",
    "Link",
    "dataproxy_requests",
    "extract_datastore_links",
    "extract_links",
    "extract_pager_urls",
    "filename_from_headers",
    "find_jpage_sources",
    "is_attachment_url",
    "parse_dataproxy",
    "sanitize_filename",
]
