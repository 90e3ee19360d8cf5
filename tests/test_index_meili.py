"""Meilisearch backend against a real server: errors a person can read, keys used right."""
from __future__ import annotations

from typing import Any

import meilisearch
import pytest
from meilisearch.errors import MeilisearchApiError

from index import open_backend
from index.base import SearchQuery
from index.meili import MeiliBackend, MeiliError

RECORD: dict[str, Any] = {
    "id": "k1", "title": "测试县财政局2022年部门预算", "department": "测试县财政局",
    "region": {"province": "湖南省", "city": "怀化市", "county": "测试县", "admin_code": "431299"},
    "fiscal_year": 2022, "kind": "budget", "published_date": "2022-02-01",
    "detail_url": "http://127.0.0.1/k1.html", "text": "本年“三公”经费预算数为12.5万元。",
}


def test_server_down_is_a_clear_error(start_meili):
    url, key, stop = start_meili()
    backend = MeiliBackend(url, key, index_uid="down")
    backend.upsert([RECORD])
    stop()
    with pytest.raises(MeiliError, match="not reachable"):
        backend.search(SearchQuery("三公"))
    with pytest.raises(MeiliError, match="not reachable"):
        backend.upsert([RECORD])
    with pytest.raises(MeiliError, match=f"Meilisearch at {url} is not reachable"):
        open_backend(None, meili_url=url, meili_key=key)


def test_wrong_key_is_a_clear_error(meili_server):
    url, _ = meili_server
    with pytest.raises(MeiliError, match="refused the API key"):
        MeiliBackend(url, "not-the-master-key", index_uid="wrongkey")
    with pytest.raises(MeiliError, match="refused the API key"):
        MeiliBackend(url, None, index_uid="wrongkey")


def test_queries_use_a_search_only_key(meili_server):
    url, master = meili_server
    backend = MeiliBackend(url, master, index_uid="keys")
    backend.upsert([RECORD])
    search_key = backend.search_key
    assert search_key and search_key != master
    assert [h.id for h in backend.search(SearchQuery("三公")).hits] == ["k1"]
    limited = meilisearch.Client(url, search_key).index("keys")
    with pytest.raises(MeilisearchApiError):
        limited.add_documents([{"key": "x", "id": "x"}])
    assert limited.search("")["hits"]  # what it is for still works
    again = MeiliBackend(url, master, index_uid="keys")
    assert again.search_key == search_key  # found by name, not made anew


def test_given_search_key_is_used(meili_server):
    url, master = meili_server
    made = MeiliBackend(url, master, index_uid="given")
    made.upsert([RECORD])
    backend = open_backend(None, meili_url=url, meili_key=master, meili_search_key=made.search_key)
    assert isinstance(backend, MeiliBackend) and backend.search_key == made.search_key
    with pytest.raises(MeiliError, match=r"refused the API key .check the search key"):
        open_backend(None, meili_url=url, meili_key=master, meili_search_key="bad").search(SearchQuery("三公"))


def test_ids_with_any_characters(meili_server):
    url, master = meili_server
    backend = MeiliBackend(url, master, index_uid="oddids")
    odd = [dict(RECORD, id=i) for i in ("a/b:c#1", 'q"uote\\', "空 格", "x" * 300)]
    backend.upsert(odd)
    assert backend.count() == 4
    assert {h.id for h in backend.search(SearchQuery("三公")).hits} == {r["id"] for r in odd}
    backend.delete([odd[1]["id"], odd[2]["id"]])
    assert {h.id for h in backend.search(SearchQuery("三公")).hits} == {odd[0]["id"], odd[3]["id"]}
    backend.clear()
    assert backend.count() == 0
