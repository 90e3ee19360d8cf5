"""The embedded backend's own behaviour: persistence, substring fallback, segmentation."""
from __future__ import annotations

import sqlite3

import pytest

from index import open_backend
from index.base import Filters, SearchQuery
from index.fts import FtsBackend
from index.segment import normalise, words
from index.snippet import make_snippet
from index.terms import parse_query


def record(rid: str, text: str, title: str = "某单位2020年部门预算", **extra) -> dict:
    return {
        "id": rid, "title": title, "department": extra.pop("department", "某单位"),
        "region": {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"},
        "fiscal_year": 2020, "kind": "budget", "published_date": "2020-03-01",
        "detail_url": f"http://127.0.0.1/{rid}", "text": text, **extra,
    }


@pytest.mark.parametrize("text, expected", [
    ("一般公共预算“三公”经费预算", ["一般公共预算", "三公经费", "预算"]),
    ("公务接待费和机关运行经费", ["公务接待费", "和", "机关运行经费"]),
    ("部门决算与部门预算", ["部门决算", "与", "部门预算"]),
    ("跑三公里", ["跑", "三", "公里"]),
    ("科目２０１０３０１，ＡＢＣ", ["科目", "2010301", "abc"]),
    ("「三公」经费", ["三公经费"]),
])
def test_segmentation(text, expected):
    assert words(normalise(text)) == expected


def test_query_parsing():
    parsed = parse_query('"部门 预算" 株洲 三公')
    assert [t.words for t in parsed.terms] == [("部门", "预算"), ("株洲",), ("三公",)]
    assert parse_query("三公").segmentation_trusted
    assert not parse_query("洲市").segmentation_trusted  # single characters: jieba did not know it
    assert not parse_query("20103").segmentation_trusted
    assert sum(len(t.words) for t in parse_query("甲乙 " * 100 + "三公 经费 预算 支出 收入 " * 10).terms) <= 10


def test_snippet_marks_match_in_original_text():
    text = "前言" * 40 + "本年“三公”经费预算数为ＡＢＣ。" + "后记" * 40
    snippet = make_snippet(text, "", ("三公经费", "abc"))
    assert "【三公”经费】" in snippet and "【ＡＢＣ】" in snippet
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 70
    assert make_snippet("短文", "标题", ("无关",)) == "短文"


def test_persists_and_reopens(tmp_path):
    backend = open_backend(tmp_path)
    backend.upsert([record("a", "三公经费"), record("b", "公务接待费")])
    backend.close()
    assert (tmp_path / "search.db").is_file()
    again = open_backend(tmp_path)
    assert again.count() == 2
    assert [h.id for h in again.search(SearchQuery("公务接待费")).hits] == ["b"]


def test_other_format_is_rebuilt_empty(tmp_path):
    FtsBackend(tmp_path / "search.db").upsert([record("a", "三公经费")])
    with sqlite3.connect(tmp_path / "search.db") as conn:
        conn.execute("UPDATE meta SET value = 'older' WHERE key = 'format'")
    backend = FtsBackend(tmp_path / "search.db")
    assert backend.count() == 0
    backend.upsert([record("a", "三公经费")])
    assert backend.search(SearchQuery("三公")).total == 1


def test_repeated_upserts_keep_index_exact(tmp_path):
    backend = FtsBackend(tmp_path / "search.db")
    for i in range(3):
        backend.upsert([record("a", f"第{i}版 三公经费"), record("a", "公务接待费")])
    assert backend.count() == 1
    assert backend.search(SearchQuery("三公")).total == 0
    assert backend.search(SearchQuery("公务接待费")).total == 1
    with sqlite3.connect(tmp_path / "search.db") as conn:
        conn.execute("INSERT INTO words(words, rank) VALUES('integrity-check', 1)")
        conn.execute("INSERT INTO grams(grams, rank) VALUES('integrity-check', 1)")
    backend.clear()
    assert backend.count() == 0 and backend.search(SearchQuery("公务接待费")).total == 0


def test_replacing_the_newest_record_beside_a_new_one(tmp_path):
    """A batch that lists a new record before a replacement of the row with the highest rowid."""
    backend = FtsBackend(tmp_path / "search.db")
    backend.upsert([record("a", "三公经费"), record("b", "公务接待费")])
    backend.upsert([record("c", "机关运行经费"), record("b", "会议费")])
    assert backend.count() == 3
    assert backend.search(SearchQuery("公务接待费")).total == 0
    assert {h.id for h in backend.search(SearchQuery("会议费")).hits} == {"b"}


def test_fast_cutter_matches_jieba_precise_mode():
    """The re-implemented cutter must cut exactly as jieba (precise mode, no HMM) does."""
    from index.segment import cutter, runs, tokenizer
    from tests.paths import SEEDS

    text = normalise("".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))))
    for run in runs(text):
        assert cutter().cut(run) == list(tokenizer().cut(run, HMM=False)), run


@pytest.fixture
def fallback(tmp_path):
    backend = FtsBackend(tmp_path / "search.db")
    backend.upsert([
        record("code", "2010301 行政运行 56.2", department="株洲市人民政府办公室"),
        record("run", "每天跑三公里。", title="体育局说明", department="体育局"),
    ])
    return backend


def test_substring_fallback_finds_codes_and_parts_of_names(fallback):
    assert [h.id for h in fallback.search(SearchQuery("2010301")).hits] == ["code"]  # a token
    hits = fallback.search(SearchQuery("20103")).hits  # part of a token: trigram fallback
    assert [h.id for h in hits] == ["code"] and "【20103】" in hits[0].snippet
    assert [h.id for h in fallback.search(SearchQuery("洲市")).hits] == ["code"]  # short: department
    assert fallback.search(SearchQuery("20103", Filters(year=2019))).total == 0
    assert fallback.search(SearchQuery("30299")).total == 0


def test_no_fallback_for_dictionary_words(fallback):
    assert fallback.search(SearchQuery("三公")).total == 0  # only 三公里 is there
    assert fallback.search(SearchQuery("公里")).total == 1


def test_very_common_words_rank_title_matches_first_then_newest(tmp_path, monkeypatch):
    monkeypatch.setattr("index.fts.RANK_LIMIT", 3)  # as if every word were in most records
    backend = FtsBackend(tmp_path / "search.db")
    dated = [("t1", "督查经费", "正文", "2020-01-01"), ("t2", "督查说明", "正文", "2021-01-01"),
             ("b1", "说明", "督查工作", "2019-01-01"), ("b2", "说明", "督查工作", "2022-01-01"),
             ("b3", "说明", "督查工作", "2022-01-01"), ("x", "说明", "其他", "2023-01-01")]
    backend.upsert([record(i, body, title=title, published_date=d, fiscal_year=int(d[:4])) for i, title, body, d in dated])
    res = backend.search(SearchQuery("督查", limit=10))
    assert [h.id for h in res.hits] == ["t2", "t1", "b2", "b3", "b1"] and res.total == 5
    assert all(h.score == 0.0 for h in res.hits)  # not ranked by bm25
    pages = [backend.search(SearchQuery("督查", limit=2, offset=o)).hits for o in (0, 2, 4)]
    assert [h.id for page in pages for h in page] == ["t2", "t1", "b2", "b3", "b1"]
    assert [h.id for h in backend.search(SearchQuery("督查", limit=2, offset=3)).hits] == ["b3", "b1"]
    monkeypatch.setattr("index.fts.RANK_LIMIT", 2)
    assert [h.id for h in backend.search(SearchQuery("工作", limit=2, offset=1)).hits] == ["b3", "b1"]  # no title tier
    assert [h.id for h in backend.search(SearchQuery("督查", Filters(year=(2019, 2020)))).hits] == ["t1", "b1"]


def test_facets_same_with_and_without_group_by(tmp_path, monkeypatch):
    backend = FtsBackend(tmp_path / "search.db")
    backend.upsert([record(f"r{i}", "三公经费", department=f"单位{i % 3}", fiscal_year=2018 + i % 4)
                    for i in range(12)])
    query = SearchQuery("三公", facets=["department", "fiscal_year", "county"])
    summed = backend.search(query).facets
    monkeypatch.setattr("index.fts._SUM_LIMIT", 1)
    grouped = backend.search(query).facets
    assert summed == grouped == {"department": {"单位0": 4, "单位1": 4, "单位2": 4},
                                 "fiscal_year": {2018: 3, 2019: 3, 2020: 3, 2021: 3}, "county": {}}


def test_facet_values_written_by_another_connection_are_counted(tmp_path):
    reader = FtsBackend(tmp_path / "search.db")
    writer = FtsBackend(tmp_path / "search.db")
    writer.upsert([record("a", "三公经费", department="甲")])
    assert reader.search(SearchQuery("三公", facets=["department"])).facets == {"department": {"甲": 1}}
    writer.upsert([record("b", "三公经费", department="乙")])
    assert reader.search(SearchQuery("三公", facets=["department"])).facets == {"department": {"甲": 1, "乙": 1}}
