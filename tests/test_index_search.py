"""The same search behaviour from both backends (SQLite FTS5 and a real Meilisearch).

The corpus is built from the two seed disclosures, moved to other regions, years and
kinds, plus two hand-written records: one that says 三公里 but never 三公, and one with
督查 in its title (the designed best hit for 督查).  Expected hits are computed from the
records' normalised text, not from either backend.
"""
from __future__ import annotations

import pytest

from index.base import KINDS, Backend, Filters, SearchQuery
from index.fts import FtsBackend
from index.meili import MeiliBackend
from index.segment import normalise
from tests.paths import SEEDS

CITY_SEED = "000_9c8a412db31f4eb6.txt"  # 株洲市人民政府办公室
COUNTY_SEED = "004_9902a30b8655e055.txt"  # 通道县政务服务中心

# (seed, province, city, county, admin_code, replacements of place names in the text)
REGIONS = (
    (CITY_SEED, "湖南省", "株洲市", None, "430200", ()),
    (COUNTY_SEED, "湖南省", "怀化市", "通道侗族自治县", "431230", ()),
    (CITY_SEED, "江西省", "九江市", None, "360400", (("株洲", "九江"),)),
    (COUNTY_SEED, "江西省", "南昌市", "进贤县", "360124", (("通道", "进贤"), ("侗族自治", ""))),
)
YEARS = (2019, 2020, 2021)


def _seed_record(seed: str, province: str, city: str, county: str | None, code: str,
                 places: tuple, year: int, kind: str) -> dict:
    text = (SEEDS / seed).read_text(encoding="utf-8").replace("2020", str(year))
    for old, new in places:
        text = text.replace(old, new)
    if kind == "final_account":
        text = text.replace("部门预算", "部门决算").replace("预算数", "决算数")
    department = text.strip().splitlines()[0].lstrip("# ").split(" ")[0].split(str(year))[0]
    title = f"{department}{year}年{'部门预算' if kind == 'budget' else '部门决算'}公开"
    month = 3 if kind == "budget" else 9
    published = f"{year if kind == 'budget' else year + 1}-{month:02d}-{(int(code) % 27) + 1:02d}"
    return {
        "id": f"{code}-{year}-{kind}", "title": title, "department": department,
        "region": {"province": province, "city": city, "county": county, "admin_code": code},
        "fiscal_year": year, "kind": kind, "published_date": published,
        "detail_url": f"http://127.0.0.1/{code}/{year}/{kind}.html", "text": text,
    }


def build_records() -> list[dict]:
    records = [
        _seed_record(seed, prov, city, county, code, places, year, kind)
        for seed, prov, city, county, code, places in REGIONS for year in YEARS for kind in KINDS
    ]
    records.append({
        "id": "431230-run", "title": "通道县体育局2020年全民健身活动经费说明", "department": "通道县体育局",
        "region": {"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"},
        "fiscal_year": 2020, "kind": "budget", "published_date": "2020-05-02",
        "detail_url": "http://127.0.0.1/431230/run.html",
        "text": "组织全民健身长跑活动，每位参赛者跑三公里，沿途设置补给点。活动经费由一般公共预算安排。",
    })
    records.append({
        "id": "430200/督查:说明#1", "title": "株洲市人民政府办公室关于督查工作经费的说明",
        "department": "株洲市人民政府办公室",
        "region": {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"},
        "fiscal_year": 2021, "kind": "budget", "published_date": "2021-04-01",
        "detail_url": "http://127.0.0.1/430200/duchá.html",
        "text": "督查工作经费主要用于重要决定落实情况的督查、跟踪调研和专项督查。",
    })
    return records


RECORDS = build_records()
BY_ID = {r["id"]: r for r in RECORDS}


def _containing(*parts: str, where=lambda r: True) -> set[str]:
    """Ids of records whose normalised title or text holds every part, and pass `where`."""
    found = set()
    for r in RECORDS:
        body = normalise(r["title"] + "\n" + r["text"])
        if all(p in body for p in parts) and where(r):
            found.add(r["id"])
    return found


@pytest.fixture(scope="module", params=["fts", "meili"])
def backend(request, tmp_path_factory):
    b: Backend
    if request.param == "fts":
        b = FtsBackend(tmp_path_factory.mktemp("fts") / "search.db")
    else:
        url, key = request.getfixturevalue("meili_server")
        b = MeiliBackend(url, key, index_uid="test_search")
        b.clear()
    assert b.upsert(RECORDS) == len(RECORDS)
    yield b
    b.close()


@pytest.fixture(scope="module")
def both(tmp_path_factory, meili_server):
    fts = FtsBackend(tmp_path_factory.mktemp("agree") / "search.db")
    url, key = meili_server
    meili = MeiliBackend(url, key, index_uid="test_agree")
    meili.clear()
    fts.upsert(RECORDS)
    meili.upsert(RECORDS)
    return fts, meili


def ids(result) -> set[str]:
    return {h.id for h in result.hits}


def test_all_records_are_indexed(backend):
    assert backend.count() == len(RECORDS)


def test_two_character_query_does_not_match_longer_word(backend):
    with_substring = _containing("三公")
    assert "431230-run" in with_substring  # 三公里 holds the characters 三公 ...
    res = backend.search(SearchQuery("三公", limit=100))
    assert ids(res) == with_substring - {"431230-run"}  # ... but not the word
    assert res.total == len(with_substring) - 1


def test_two_character_query(backend):
    res = backend.search(SearchQuery("督查", limit=100))
    assert ids(res) == _containing("督查") and res.total == len(_containing("督查"))
    assert len(ids(res)) == 13  # six years/kinds in two regions from the city seed, plus the note


def test_four_character_query_finds_quoted_form(backend):
    # The seeds print “三公”经费; normalisation strips the quotes.
    assert backend.search(SearchQuery("三公经费", limit=100)).total == len(_containing("三公经费")) == 24


def test_four_character_kind_word(backend):
    res = backend.search(SearchQuery("部门决算", limit=100))
    assert ids(res) == {r["id"] for r in RECORDS if r["kind"] == "final_account"}


@pytest.mark.parametrize("text, parts", [
    ('"一般公共预算"', ("一般公共预算",)),
    ("“三公”经费", ("三公经费",)),
    ('"公务接待费" 热线', ("公务接待费", "热线")),
])
def test_quoted_queries(backend, text, parts):
    res = backend.search(SearchQuery(text, limit=100))
    assert ids(res) == _containing(*parts)


def test_multi_word_query_means_all_words(backend):
    res = backend.search(SearchQuery("督查 进贤", limit=100))
    assert ids(res) == set() == _containing("督查", "进贤")
    res = backend.search(SearchQuery("热线 九江", limit=100))
    assert ids(res) == _containing("热线", "九江") and len(ids(res)) == 6


def test_filters(backend):
    res = backend.search(SearchQuery("三公", Filters(province="江西省"), limit=100))
    assert ids(res) == _containing("三公", where=lambda r: r["region"]["province"] == "江西省")
    res = backend.search(SearchQuery("三公", Filters(year=(2020, 2021), kind="final_account"), limit=100))
    assert ids(res) == _containing(
        "三公", where=lambda r: r["fiscal_year"] >= 2020 and r["kind"] == "final_account")
    assert len(ids(res)) == 8
    res = backend.search(SearchQuery("", Filters(county="进贤县", year=2019), limit=100))
    assert ids(res) == {"360124-2019-budget", "360124-2019-final_account"}
    res = backend.search(SearchQuery("督查", Filters(admin_code="430200", department="株洲市人民政府办公室")))
    assert ids(res) == _containing("督查", where=lambda r: r["region"]["admin_code"] == "430200")


def test_facets(backend):
    fields = ["province", "city", "county", "fiscal_year", "kind"]
    res = backend.search(SearchQuery("热线", facets=fields, limit=5))
    expected_ids = _containing("热线")
    assert res.total == len(expected_ids) and len(res.hits) == 5
    for field in fields:
        want: dict = {}
        for i in expected_ids:
            r = BY_ID[i]
            value = r["region"].get(field) if field in r["region"] else r[field]
            if value is not None:
                want[value] = want.get(value, 0) + 1
        assert res.facets[field] == want, field


def test_no_match(backend):
    res = backend.search(SearchQuery("量子计算", facets=["province"]))
    assert res.hits == [] and res.total == 0 and res.facets == {"province": {}}


def test_sort_by_date_and_paging(backend):
    expected = sorted(_containing("督查"), key=lambda i: (-int(BY_ID[i]["published_date"].replace("-", "")), i))
    first = backend.search(SearchQuery("督查", sort="date", limit=5))
    second = backend.search(SearchQuery("督查", sort="date", limit=5, offset=5))
    odd = backend.search(SearchQuery("督查", sort="date", limit=4, offset=3))
    assert [h.id for h in first.hits + second.hits] == expected[:10]
    assert [h.id for h in odd.hits] == expected[3:7]
    assert odd.total == len(expected)


def test_title_match_ranks_first(backend):
    res = backend.search(SearchQuery("督查"))
    assert res.hits[0].id == "430200/督查:说明#1"


def test_hit_fields_and_snippet(backend):
    hit = backend.search(SearchQuery("健身")).hits[0]
    record = BY_ID["431230-run"]
    assert hit.id == record["id"] and hit.title == record["title"] and hit.kind == "budget"
    assert hit.region == record["region"] and hit.fiscal_year == 2020
    assert hit.detail_url == record["detail_url"] and hit.department == "通道县体育局"
    assert "【健身】" in hit.snippet
    snippet = backend.search(SearchQuery("公务接待费")).hits[0].snippet
    assert "【公务接待费】" in snippet and len(snippet) <= 80


def test_upsert_replaces_and_delete_removes(backend):
    note = dict(BY_ID["430200/督查:说明#1"], text="改为植树造林专项经费的说明。", title="植树造林专项经费")
    backend.upsert([note])
    try:
        assert backend.count() == len(RECORDS)
        assert ids(backend.search(SearchQuery("植树造林"))) == {note["id"]}
        assert note["id"] not in ids(backend.search(SearchQuery("督查", limit=100)))
        backend.delete([note["id"], "no-such-id"])
        assert backend.count() == len(RECORDS) - 1
        assert backend.search(SearchQuery("植树造林")).total == 0
    finally:
        backend.upsert([BY_ID[note["id"]]])
    assert backend.search(SearchQuery("督查")).hits[0].id == note["id"]


HOSTILE = [
    '"', '"""', '三公"', '"三公', 'NEAR(三公 经费)', '三公 AND 经费', '三公 OR', 'NOT 三公', '*', '三公*',
    '-三公', '^三公', 'title:三公', "t_title:三公", '{t_body}: 三公', '三公 + (经费)',
    "'; DROP TABLE docs; --", "1' OR '1'='1", "\" OR 1=1 --", 'province = "湖南省" OR 1=1',
    '<script>alert("x")</script>', "<b>三公</b>", "\x00", "\\", "🙂", ")(", "{}[]", "%", "_",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_neither_raise_nor_inject(backend, text):
    res = backend.search(SearchQuery(text, Filters(province=text, department=text), facets=["kind"]))
    assert res.total == 0 and res.hits == []
    res = backend.search(SearchQuery(text, limit=100))
    assert res.total < len(RECORDS)
    assert backend.count() == len(RECORDS)


def test_text_without_words_finds_nothing(backend):
    for text in ['"', "*", "%", "？！", ")("]:
        assert backend.search(SearchQuery(text)).total == 0
    assert backend.search(SearchQuery("  ")).total == len(RECORDS)  # blank lists everything


def test_sql_and_html_find_only_their_words(backend):
    for text in ["'; DROP TABLE docs; --", "1' OR '1'='1", '<script>alert("x")</script>']:
        assert backend.search(SearchQuery(text)).total == 0


def test_very_long_query(backend):
    res = backend.search(SearchQuery("三公" * 5000, limit=100))
    assert ids(res) == ids(backend.search(SearchQuery("三公", limit=100)))
    res = backend.search(SearchQuery("三公 经费 预算 支出 " * 1000))
    assert res.total <= len(RECORDS)


AGREEMENT = [
    SearchQuery("三公", limit=100),
    SearchQuery("督查", limit=100),
    SearchQuery("健身"),
    SearchQuery("三公经费", limit=100),
    SearchQuery("部门决算", limit=100),
    SearchQuery('"一般公共预算"', limit=100),
    SearchQuery("“三公”经费 热线", limit=100),
    SearchQuery("三公", Filters(province="湖南省", year=(2019, 2020)), limit=100),
    SearchQuery("热线", limit=100, facets=["province", "city", "county", "admin_code", "fiscal_year", "kind", "department"]),
    SearchQuery("量子计算", facets=["kind"]),
    SearchQuery("督查", sort="date", limit=100),
    SearchQuery("", Filters(kind="budget"), sort="date", limit=100),
]


@pytest.mark.parametrize("query", AGREEMENT, ids=lambda q: q.text or "<empty>")
def test_backends_agree(both, query):
    fts, meili = (b.search(query) for b in both)
    assert ids(fts) == ids(meili)
    assert fts.total == meili.total
    assert fts.facets == meili.facets
    if query.sort == "date" or not query.text:
        assert [h.id for h in fts.hits] == [h.id for h in meili.hits]
    assert [h.snippet for h in sorted(fts.hits, key=lambda h: h.id)] == \
        [h.snippet for h in sorted(meili.hits, key=lambda h: h.id)]


@pytest.mark.parametrize("text", ["督查", "健身", "督查 经费", "“三公”经费 健身"])
def test_backends_agree_on_top_hit(both, text):
    fts, meili = (b.search(SearchQuery(text)) for b in both)
    assert [h.id for h in fts.hits[:1]] == [h.id for h in meili.hits[:1]]
