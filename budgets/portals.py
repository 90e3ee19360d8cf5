"""The portal registry: which portals to crawl and the region each belongs to.

    [[portal]]
    name = "通道侗族自治县人民政府"
    start_urls = ["http://www.tongdao.gov.cn/"]
    province = "湖南省"
    city = "怀化市"
    county = "通道侗族自治县"
    admin_code = "431230"
    cms = "hanweb"                 # optional hint: trs | hanweb
    exclude = ["/search/", "/was5/"]   # optional: paths never fetched (beside robots.txt)
    delay = 2.0                    # optional politeness override, seconds between requests
    concurrency = 1                # optional: requests at once
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Portal:
    name: str
    start_urls: list[str]
    province: str | None = None
    city: str | None = None
    county: str | None = None
    admin_code: str | None = None
    cms: str | None = None
    exclude: list[str] = field(default_factory=list)  # URL path prefixes never fetched, beside robots.txt
    delay: float | None = None  # seconds between requests to this portal's hosts
    concurrency: int | None = None  # requests at once to each of its hosts

    def region(self) -> dict:
        return {"province": self.province, "city": self.city, "county": self.county, "admin_code": self.admin_code}


class RegistryError(ValueError):
    pass


def load_portals(path: Path) -> list[Portal]:
    """Read a registry file; say which entry is wrong rather than crawl half a list."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path}: {exc}") from exc
    portals = []
    for i, entry in enumerate(data.get("portal", []), 1):
        urls = entry.get("start_urls") or []
        if not entry.get("name") or not urls or not all(isinstance(u, str) for u in urls):
            raise RegistryError(f"{path}: portal #{i} needs a name and a list of start_urls")
        code = entry.get("admin_code")
        if code is not None and not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
            raise RegistryError(f"{path}: portal #{i} ({entry['name']}): admin_code must be a 6-digit string")
        exclude = entry.get("exclude", [])
        if not isinstance(exclude, list) or not all(isinstance(p, str) and p.startswith("/") for p in exclude):
            raise RegistryError(f"{path}: portal #{i} ({entry['name']}): exclude must be a list of paths starting with /")
        portals.append(Portal(name=entry["name"], start_urls=list(urls), province=entry.get("province"),
                              city=entry.get("city"), county=entry.get("county"), admin_code=code,
                              cms=entry.get("cms"), exclude=exclude, delay=entry.get("delay"),
                              concurrency=entry.get("concurrency")))
    if not portals:
        raise RegistryError(f"{path}: no [[portal]] entries")
    return portals
