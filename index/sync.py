"""Keep a search index equal to the archive, whatever happened to the index in between.

Every indexed record carries a stamp: a hash of the archive rows it is built from (its
document row and its latest parse). Comparing the archive's stamps with the index's says
exactly which records are missing (a run killed between parsing and indexing, a deleted
or half-built index), out of date, or gone from the archive; `converge` mends all three, so
each run leaves the index answering for everything the archive holds. `rebuild` fills a
fresh index aside and swaps it in whole: killed mid-way, it leaves the old index as it was.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from archive.db import ArchiveDB
from archive.export import build_record

# the document columns a record's indexed fields are read from (index.base.flatten)
_STAMPED = ("title", "department", "fiscal_year", "kind", "published_date", "page_metadata", "detail_url",
            "region_hint", "text")
BATCH = 500


def archive_stamps(db: ArchiveDB) -> dict[str, str]:
    """Per document id, the stamp its index entry must carry."""
    cols = ", ".join(f"d.[{c}]" for c in _STAMPED)
    rows = db.db.execute(f"select d.id, {cols}, p.parser_version, p.parsed_at from documents d "
                         "left join parses p on p.document_id = d.id")
    return {row[0]: _stamp(row[1:]) for row in rows}


def _stamp(values: Iterable) -> str:
    return hashlib.sha256(json.dumps(list(values), ensure_ascii=False, default=str).encode()).hexdigest()[:32]


@dataclass
class IndexGaps:
    """How an index differs from the archive, by document id."""

    missing: list[str] = field(default_factory=list)  # in the archive, not in the index
    stale: list[str] = field(default_factory=list)  # indexed from rows that have changed since
    extra: list[str] = field(default_factory=list)  # in the index, no longer in the archive

    @property
    def none(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def index_gaps(db: ArchiveDB, backend) -> IndexGaps:
    wanted, held = archive_stamps(db), backend.stamps()
    return IndexGaps(missing=sorted(wanted.keys() - held.keys()),
                     stale=sorted(i for i in wanted.keys() & held.keys() if wanted[i] != held[i]),
                     extra=sorted(held.keys() - wanted.keys()))


def stamped_records(db: ArchiveDB, ids: set[str] | None = None) -> Iterator[dict]:
    """The export records of `ids` (every document when None), each with its index stamp."""
    stamps = archive_stamps(db)
    for doc in db.documents():
        if ids is None or doc["id"] in ids:
            yield {**build_record(db, doc), "stamp": stamps[doc["id"]]}


def index_records(db: ArchiveDB, backend, ids: set[str] | None = None,
                  advance: Callable[[int], None] = lambda n: None) -> int:
    """Upsert the records of `ids` (all when None) in batches; returns how many were written."""
    n = 0
    chunk: list[dict] = []
    for record in stamped_records(db, ids):
        chunk.append(record)
        if len(chunk) >= BATCH:
            n += backend.upsert(chunk)
            advance(len(chunk))
            chunk = []
    if chunk:
        n += backend.upsert(chunk)
        advance(len(chunk))
    return n


def converge(db: ArchiveDB, backend, advance: Callable[[int], None] = lambda n: None) -> int:
    """Index what the index lacks or holds out of date, drop what the archive no longer has."""
    gaps = index_gaps(db, backend)
    if gaps.extra:
        backend.delete(gaps.extra)
    wanted = set(gaps.missing) | set(gaps.stale)
    return index_records(db, backend, wanted, advance) if wanted else 0


def rebuild(db: ArchiveDB, backend, advance: Callable[[int], None] = lambda n: None) -> int:
    """Fill a new index aside from the archive, then put it in the place of the old one at once."""
    aside = backend.build_aside()
    try:
        n = index_records(db, aside, None, advance)
        backend.swap_in(aside)
    finally:
        aside.close()
    return n
