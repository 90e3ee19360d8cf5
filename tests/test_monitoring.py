"""Watching portals: new disclosures listed, saved searches fire and notify, Atom feeds written."""
from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.crawlrun import FAST, budgets
from tests.portals import build_portals, serve_portals

ATOM = "{http://www.w3.org/2005/Atom}"


class Hook(BaseHTTPRequestHandler):
    """A webhook receiver standing in for DingTalk / WeCom / Feishu (Apprise json:// posts here)."""

    received: ClassVar[list[dict]] = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        with serve_portals(build_portals()) as servers:
            _trs, hanweb = servers
            registry = data.parent / "portals.toml"
            registry.write_text("".join(
                f'[[portal]]\nname = "{s.portal.name}"\nstart_urls = {json.dumps(s.manifest().start_urls)}\n'
                f'province = "湖南省"\n' for s in servers), encoding="utf-8")
            budgets("watch", "--portals", str(registry), "--passes", "1", "--every", "0s", data=data)
            budgets("alert", "add", "部门预算", "--county", "通道侗族自治县", "--notify",
                    f"json://127.0.0.1:{hook.server_address[1]}/hook", data=data)
            budgets("alert", "add", "部门预算", "--city", "株洲市", data=data)
            added = hanweb.add_disclosure()
            second = budgets("crawl", "--portals", str(registry), *FAST, data=data)
    finally:
        hook.shutdown()
    return {"data": data, "added": added, "second": second.stdout, "hook": list(Hook.received)}


def test_saved_search_fires_for_the_new_disclosure_only(watched):
    assert "Saved search 1 “部门预算” county=通道侗族自治县: 1 new" in watched["second"]
    assert "Saved search 2 “部门预算” city=株洲市: 0 new" in watched["second"]


def test_notification_pushed_through_apprise(watched):
    (message,) = watched["hook"]
    assert "1 new disclosure" in message["title"]
    assert watched["added"].title in message["message"] and watched["added"].detail_url in message["message"]


def test_new_lists_disclosures_first_seen_since(watched):
    rows = [json.loads(line) for line in
            budgets("new", "--since", date.today().isoformat(), "--json", data=watched["data"]).stdout.splitlines()]
    assert watched["added"].detail_url in {r["detail_url"] for r in rows}
    assert len(rows) == 13
    future = budgets("new", "--since", "2999-01-01", data=watched["data"]).stdout
    assert "No disclosure first seen since 2999-01-01." in future


def test_atom_feeds_per_saved_search(watched):
    out = watched["data"] / "feeds"
    budgets("feed", "--output", str(out), data=watched["data"])
    entries = {f.name: ET.parse(f).getroot().findall(f"{ATOM}entry") for f in out.glob("*.xml")}
    assert set(entries) == {"all.xml", "alert-1.xml", "alert-2.xml"}
    assert len(entries["all.xml"]) == 13
    (hit,) = entries["alert-1.xml"]
    assert hit.find(f"{ATOM}title").text == watched["added"].title
    assert hit.find(f"{ATOM}link").get("href") == watched["added"].detail_url
    assert entries["alert-2.xml"] == []


def test_alert_list_and_remove(watched):
    listed = budgets("alert", "list", data=watched["data"]).stdout
    assert "1: “部门预算” county=通道侗族自治县" in listed
    budgets("alert", "remove", "2", data=watched["data"])
    assert not [line for line in budgets("alert", "list", data=watched["data"]).stdout.splitlines()
                if line.startswith("2:")]
    missing = budgets("alert", "remove", "99", data=watched["data"], check=False)
    assert missing.returncode != 0 and "no saved search 99" in missing.stderr
