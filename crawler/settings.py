"""Scrapy settings for the portal crawler: polite by default, safe against hostile portals.

The one home of the crawl's defaults: the sessions, the middlewares, the distributed worker
and `budgets verify --repair`'s refetch (crawler/refetch.py) read them from here, and
`crawl_settings` assembles them with a command's overrides.
"""
from __future__ import annotations

import typing  # `typing.TYPE_CHECKING`: Scrapy would take a bare TYPE_CHECKING here for a setting
from pathlib import Path

if typing.TYPE_CHECKING:
    from scrapy.settings import Settings

BOT_NAME = "budgets"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "budgets-archiver/0.1 (+research crawler for public budget disclosures)"
ROBOTSTXT_OBEY = True

# Politeness: a few requests per host at a time, adapted to the host's latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60

# robots.txt is read up to this many bytes (Google's 500 KiB); the cut is recorded.
BUDGETS_MAX_ROBOTSTXT = 500 * 1024

# Disclosure tables are rarely beyond tens of MB; refuse monsters and record the refusal.
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024

# A page with more links than this has only its first ones followed, and a crawl process asks for
# at most this many pages; each cap is recorded (in the fetch log, with the page) when hit.
BUDGETS_MAX_LINKS_PER_PAGE = 5000
BUDGETS_MAX_PAGES = 200_000

# A breadth-first crawl finds column pages before deep archives; depth bounds calendar pagers.
DEPTH_LIMIT = 8
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_AFTER_MAX_SECONDS = 300
RETRY_BACKOFF_BASE = 1.0
# a request that fails for good is recorded in the archive with its reason: a warning, not a crawl error
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# A host whose Retry-After asks for a longer pause than this many seconds is set aside for the
# rest of the run (recorded with the reason; a later pass asks again) instead of holding the crawl.
BUDGETS_MAX_RETRY_AFTER = 300

REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
HTTPERROR_ALLOW_ALL = True  # 404s and 5xx reach the spider, which records them

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # Scrapy's, applying robots.txt to every request that waited for it too (see the module)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsTxtMiddleware": 100,
    "crawler.middlewares.guard.HostGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 550,
    "crawler.middlewares.archive.ArchiveMiddleware": 585,
    # after decompression (590), before the archive (585): the robots.txt archived and parsed is the cut one
    "crawler.middlewares.robots_cap.RobotsTxtCapMiddleware": 587,
    # see a redirect's Location (after RedirectMiddleware, 600) and a meta refresh (between
    # decompression, 590, and MetaRefreshMiddleware, 580) as written, before Scrapy rewrites them
    "crawler.middlewares.guard.RedirectGuardMiddleware": 610,
    "crawler.middlewares.guard.RefreshGuardMiddleware": 583,
    "crawler.middlewares.host_limit.HostLimitMiddleware": 950,
    "crawler.middlewares.set_aside.SetAsideMiddleware": 960,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}

EXTENSIONS = {
    # keeps the crawl's session, of the class BUDGETS_SESSION_CLASS names
    "crawler.sessions.SessionExtension": 0,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
TELNETCONSOLE_ENABLED = False

# every address a connection is made to is checked against the private-address rule (DNS rebinding)
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"

LOG_LEVEL = "INFO"
LOG_INSTALL_ROOT_HANDLER = True
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# Where the archive lives; `budgets crawl --data` and `scrapy crawl -s BUDGETS_DATA=...` set it.
BUDGETS_DATA = "data"
# Region of each portal host ("host:port" -> province/city/county/admin_code), from the registry.
BUDGETS_PORTAL_REGIONS: dict = {}
# Path prefixes never fetched per portal host ("host:port" -> ["/search/", ...]), beside robots.txt.
BUDGETS_EXCLUDE: dict = {}
# Archived article pages and attachments checked less than this many seconds ago are
# answered from the archive; older ones get a conditional request (0: check every pass).
BUDGETS_REVALIDATE_AFTER = 7 * 86400
# Fetches between two WARC checkpoints.
BUDGETS_WARC_EVERY = 200
# Seconds between two commits of the crawl's writes (crawler/batching.py): at most this much
# of a crawl is fetched again after kill -9.
BUDGETS_COMMIT_EVERY = 0.5
# Private, loopback and link-local addresses: "auto" (allowed only when a start URL is one),
# "never", or a comma-separated list of host:port allowed and no other.
BUDGETS_ALLOW_PRIVATE = "auto"

# The session the spider and middlewares talk to (crawler.sessions): the archive of one process;
# a distributed worker's settings name crawler.distributed.session.RedisSession.
BUDGETS_SESSION_CLASS = "crawler.session.CrawlSession"

# A distributed worker (crawler/distributed/): its Redis keys' prefix, the seconds its heartbeat
# lasts (its leased requests go back to the frontier when it lapses), and the seconds of an
# empty frontier after which it stops (0: keep waiting for crawls).
BUDGETS_REDIS_PREFIX = "budgets"
BUDGETS_WORKER_TTL = 30.0
BUDGETS_IDLE_EXIT = 0.0


def crawl_settings(data_dir: Path, overrides: dict | None = None) -> Settings:
    """The project's settings (these, unless a scrapy.cfg names others) for a crawl into
    `data_dir`, with a command's overrides on top."""
    from scrapy.utils.project import get_project_settings  # not for those that only read a default here

    settings = get_project_settings()
    if "BOT_NAME" not in settings or settings.get("BOT_NAME") == "scrapybot":
        settings.setmodule(__name__, priority="project")
    settings.set("BUDGETS_DATA", str(data_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings
