"""Search benchmark: build both indexes over generated disclosures and time queries.

    .venv/bin/python bench/search.py            # 100,000 disclosures
    .venv/bin/python bench/search.py --n 5000   # a quick run

Disclosures are generated from the seed texts' lines (with the place names, years and
amounts changed) under made-up departments across provinces, cities and counties.  The
embedded backend (SQLite FTS5) and Meilisearch (its own server started from
.cache/meilisearch/meilisearch on a free loopback port) index the same records; the
report gives build time and docs/s, index size, p50/p95 latency for 2-character,
4-character, filtered and faceted queries (top 20 hits), and how far the two agree.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from index.base import Filters, SearchQuery  # noqa: E402
from index.fts import FtsBackend  # noqa: E402
from index.meili import MeiliBackend  # noqa: E402
from tests.paths import SEEDS  # noqa: E402
from tests.services import meilisearch_binary, start_meilisearch  # noqa: E402

T = TypeVar("T")

PROVINCES = {
    "湖南省": ("43", ["长沙市", "株洲市", "湘潭市", "衡阳市", "怀化市"]),
    "江西省": ("36", ["南昌市", "九江市", "赣州市", "吉安市"]),
    "湖北省": ("42", ["武汉市", "宜昌市", "襄阳市", "荆州市"]),
    "广东省": ("44", ["广州市", "韶关市", "湛江市", "梅州市"]),
    "四川省": ("51", ["成都市", "绵阳市", "宜宾市", "南充市"]),
    "贵州省": ("52", ["贵阳市", "遵义市", "安顺市"]),
    "河南省": ("41", ["郑州市", "洛阳市", "南阳市", "信阳市"]),
    "山东省": ("37", ["济南市", "青岛市", "潍坊市", "临沂市"]),
}
COUNTY_CHARS = "安平宁永新长清丰乐泰和兴阳城山江桃石武通"
DEPARTMENTS = (
    "人民政府办公室", "财政局", "教育局", "卫生健康局", "公安局", "民政局", "自然资源局",
    "住房和城乡建设局", "交通运输局", "农业农村局", "水利局", "商务局", "文化旅游广电体育局",
    "审计局", "统计局", "市场监督管理局", "政务服务中心", "医疗保障局", "退役军人事务局", "应急管理局",
)
TWO = ["三公", "预算", "督查", "热线", "会议", "培训", "采购", "编制"]
FOUR = ["三公经费", "部门决算", "政府采购", "项目支出", "基本支出", "绩效目标", "国有资产", "公务接待"]


def seed_lines() -> list[str]:
    """Lines of running text from the seeds (tables and headings left out)."""
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip().lstrip("#-* ").strip()
            if len(line) >= 15 and "\t" not in line and re.search(r"[\u4e00-\u9fff]{6}", line):
                lines.append(line)
    return lines


def regions(rng: random.Random) -> list[tuple[str, str, str | None, str]]:
    out: list[tuple[str, str, str | None, str]] = []
    for province, (pcode, cities) in PROVINCES.items():
        for ci, city in enumerate(cities, 1):
            out.append((province, city, None, f"{pcode}{ci:02d}00"))
            for k in range(1, 7):
                name = "".join(rng.sample(COUNTY_CHARS, 2)) + "县"
                out.append((province, city, name, f"{pcode}{ci:02d}{20 + k:02d}"))
    return out


def generate(n: int, seed: int = 7) -> Iterator[dict]:
    """`n` disclosure records with realistic text, reproducibly."""
    rng = random.Random(seed)
    lines = seed_lines()
    places = regions(rng)
    number = re.compile(r"\d+(?:\.\d+)?")
    for i in range(n):
        province, city, county, code = rng.choice(places)
        department = (county or city) + rng.choice(DEPARTMENTS)
        year = rng.randint(2016, 2024)
        kind = rng.choice(("budget", "final_account"))
        word = "预算" if kind == "budget" else "决算"
        body = [f"{department}{year}年部门{word}公开说明"]
        for line in rng.sample(lines, rng.randint(10, 18)):
            line = line.replace("株洲市", city).replace("通道县", county or city).replace("2020", str(year))
            body.append(number.sub(lambda m: str(rng.randint(1, 999)), line) if rng.random() < 0.3 else line)
        total = rng.randint(10, 900)
        body.append(f"{year}年一般公共预算“三公”经费{word}数为{total}.{rng.randint(0, 99):02d}万元，"
                    f"其中公务接待费{rng.randint(1, total)}万元，公务用车运行维护费{rng.randint(1, total)}万元。")
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        published = f"{year if kind == 'budget' else year + 1}-{month:02d}-{day:02d}"
        yield {
            "id": f"{code}-{year}-{kind}-{i}", "title": f"{department}{year}年部门{word}",
            "department": department,
            "region": {"province": province, "city": city, "county": county, "admin_code": code},
            "fiscal_year": year, "kind": kind, "published_date": published,
            "detail_url": f"http://127.0.0.1/{code}/{i}.html", "text": "\n".join(body),
        }


def queries(rng: random.Random) -> dict[str, list[SearchQuery]]:
    provinces = list(PROVINCES)
    return {
        "2-char": [SearchQuery(t) for t in TWO],
        "4-char": [SearchQuery(t) for t in FOUR],
        "filtered": [SearchQuery(t, Filters(province=rng.choice(provinces), year=(2019, 2022), kind="budget"))
                     for t in TWO[:4] + FOUR[:4]],
        "faceted": [SearchQuery(t, facets=["province", "fiscal_year", "kind"]) for t in TWO[:4] + FOUR[:4]],
    }


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def latencies(backend, groups: dict[str, list[SearchQuery]], rounds: int) -> dict[str, tuple[float, float]]:
    out = {}
    for q in (q for qs in groups.values() for q in qs):  # warm caches: every group before any is timed
        backend.search(q)
    for name, qs in groups.items():
        samples = [timed(partial(backend.search, q))[0] * 1000 for _ in range(rounds) for q in qs]
        samples.sort()
        out[name] = (statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)])
    return out


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="how many disclosures (default 100000)")
    parser.add_argument("--rounds", type=int, default=20,
                        help="timed runs of each query (p95 of 5 rounds was the 2nd-worst of 40 samples: one hiccup)")
    parser.add_argument("--no-meili", action="store_true", help="embedded backend only")
    args = parser.parse_args()

    gen_s, records = timed(lambda: list(generate(args.n)))
    chars = sum(len(r["text"]) for r in records)
    print(f"generated {len(records):,} disclosures ({chars / len(records):,.0f} chars each) in {gen_s:.1f} s")
    groups = queries(random.Random(3))
    with tempfile.TemporaryDirectory(prefix="bench-search-") as work:
        run(Path(work), records, groups, args)


def run(work: Path, records: list[dict], groups: dict[str, list[SearchQuery]], args: argparse.Namespace) -> None:
    results = {}

    fts = FtsBackend(work / "search.db")

    def build() -> None:
        fts.upsert(records)
        fts.optimize()

    build_s, _ = timed(build)
    size = dir_size(work)
    results["embedded"] = (build_s, size, latencies(fts, groups, args.rounds))

    if not args.no_meili:
        url, key, stop = start_meilisearch(meilisearch_binary())
        try:
            meili = MeiliBackend(url, key, task_timeout_s=7200)
            build_s, _ = timed(lambda: meili.upsert(records))
            results["meilisearch"] = (build_s, meili.database_size(), latencies(meili, groups, args.rounds))
            report(args.n, results, groups)
            agreement(fts, meili, groups)
        finally:
            stop()
    else:
        report(args.n, results, groups)
    fts.close()


def report(n: int, results: dict, groups: dict) -> None:
    print("\nload average (1/5/15 min): " + " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"\n{'backend':<12} {'build s':>8} {'docs/s':>8} {'size MB':>8}  " +
          "  ".join(f"{g + ' p50/p95 ms':>24}" for g in groups))
    for name, (build_s, size, lat) in results.items():
        print(f"{name:<12} {build_s:>8.1f} {n / build_s:>8,.0f} {size / 2**20:>8.1f}  " +
              "  ".join(f"{f'{p50:.1f} / {p95:.1f}':>24}" for p50, p95 in lat.values()))


def agreement(fts, meili, groups: dict[str, list[SearchQuery]]) -> None:
    """Same totals and facets; overlap of the top 20; same top hit; same order by date."""
    same_total = same_facets = same_top = same_date_order = n = 0
    overlap = []
    for qs in groups.values():
        for q in qs:
            a, b = fts.search(q), meili.search(q)
            n += 1
            same_total += a.total == b.total
            same_facets += a.facets == b.facets
            same_top += bool(a.hits and b.hits and a.hits[0].id == b.hits[0].id)
            ids_a, ids_b = {h.id for h in a.hits}, {h.id for h in b.hits}
            overlap.append(len(ids_a & ids_b) / max(1, len(ids_a | ids_b)))
            d = SearchQuery(q.text, q.filters, sort="date")
            same_date_order += [h.id for h in fts.search(d).hits] == [h.id for h in meili.search(d).hits]
    print(f"\nagreement over {n} queries: same total {same_total}/{n}, same facets {same_facets}/{n}, "
          f"same order by date {same_date_order}/{n}, same top hit by relevance {same_top}/{n}, "
          f"mean top-20 overlap by relevance {statistics.mean(overlap):.0%}")


if __name__ == "__main__":
    main()
