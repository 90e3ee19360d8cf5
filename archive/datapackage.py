"""A Frictionless Data Package (`datapackage.json`) describing an export file, written beside it.

Built from the same column lists the writers use (`archive.export_tabular`), by our own
code: the `frictionless` library is only needed to validate the result
(`frictionless validate datapackage.json`). Exports into one directory share one package:
each writes or replaces its own resource and keeps the others whose files still exist.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.export import RECORD_FIELDS
from archive.export_tabular import Column, TableSpec

DESCRIPTOR = "datapackage.json"
PACKAGE = {
    "name": "budget-disclosures",
    "title": "Chinese department budget and final-account disclosures (部门预算、部门决算)",
    "description": ("Department budgets and final accounts as published on government portals, crawled, "
                    "archived and parsed by `budgets`. Amounts are yuan (元) with two decimals, converted "
                    "exactly from the unit the source prints (元 or 万元); headcounts are persons. The record, its "
                    "figure keys and flag types are described in docs/record.md of the budgets repository."),
    "keywords": ["部门预算", "部门决算", "budget", "final account", "China", "public finance"],
    # Official documents of state organs are outside copyright (Copyright Law of the PRC, art. 5)
    # and these are published for the public under the Regulations on Open Government Information.
    "licenses": [{"name": "other-pd",
                  "title": "Official documents of state organs, published under the Regulations on Open "
                           "Government Information (政府信息公开条例); not covered by copyright "
                           "(Copyright Law of the PRC, art. 5). The portals' terms of use apply."}],
}
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl", "parquet": "application/vnd.apache.parquet"}
# the contract record's fields as Table Schema types (JSON lines: nested values stay objects/arrays)
RECORD_TYPES = {
    "duplicate_urls": "array", "attachment_urls": "array", "region": "object", "fiscal_year": "integer",
    "page_metadata": "object", "figures": "object", "figure_sources": "object", "flags": "array",
    "ocr": "boolean", "files": "array", "is_disclosure": "boolean",
    "figure_confidence": "object", "figure_gaps": "object", "tables": "array",
}
RECORD_NOTES = {
    "region": "province, city, county (null where not county level), admin_code (6-digit string).",
    "figures": "Figure key -> amount in yuan as a string with two decimals (e.g. \"58459800.00\"), "
               "or a headcount (integer). A key the document does not state is absent.",
    "units_in_source": "元 or 万元: the unit the document's tables print.",
    "published_date": "YYYY-MM-DD.",
}


def field(column: Column, fmt: str) -> dict:
    """A Table Schema field for a column as the format `fmt` stores it."""
    out: dict = {"name": column.name, "description": column.description}
    if column.type == "amount":
        out.update(type="number", bareNumber=True, decimalChar=".")
    elif column.type == "list":
        if fmt == "csv":
            out.update(type="string", description=column.description + " Space-separated in CSV.")
        else:
            out["type"] = "array"
    else:
        out["type"] = column.type
    constraints: dict[str, str | list[str]] = {}
    if column.pattern:
        constraints["pattern"] = column.pattern
    if column.enum:
        constraints["enum"] = list(column.enum)
    if constraints:
        out["constraints"] = constraints
    return out


def table_schema(spec: TableSpec, fmt: str) -> dict:
    fields = [field(c, fmt) for c in spec.columns]
    for f in fields:
        if f["name"] in spec.primary_key:
            f.setdefault("constraints", {})["required"] = True
    return {"fields": fields, "primaryKey": list(spec.primary_key), "missingValues": [""]}


def record_schema() -> dict:
    """The contract record (JSON lines) as a Table Schema."""
    return {"fields": [{"name": name, "type": RECORD_TYPES.get(name, "string"),
                        **({"description": RECORD_NOTES[name]} if name in RECORD_NOTES else {})}
                       for name in RECORD_FIELDS],
            "primaryKey": ["id"]}


def file_digest(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file, read in blocks."""
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


def resource(path: Path, fmt: str, spec: TableSpec | None, excel: bool = False, selection: str = "") -> dict:
    """The resource descriptor for an export file already written; `spec` None for contract records."""
    size, sha = file_digest(path)
    title = spec.title if spec else "Disclosure records: the record of docs/record.md, one JSON object per line"
    out: dict = {
        "name": _slug(path.name), "path": path.name, "title": title,
        "description": f"{title}." + (f" Selection: {selection}." if selection else " All disclosures in the archive."),
        "format": fmt, "mediatype": MEDIA_TYPES[fmt], "bytes": size, "hash": f"sha256:{sha}",
    }
    if fmt == "parquet" and spec is not None:  # parquet files are always tables
        # described, not read: the schema documents the file; frictionless checks its size and hash
        out.update(type="file", schema=table_schema(spec, fmt))
        return out
    out.update(type="table", encoding="utf-8-sig" if excel else "utf-8",
               schema=table_schema(spec, fmt) if spec else record_schema())
    if fmt == "csv":
        out["dialect"] = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "lineTerminator": "\r\n",
                          "header": True}
    return out


def sources(urls: set[str]) -> list[dict]:
    """One source per portal (scheme and host) the exported disclosures were published on."""
    origins = sorted({f"{p.scheme}://{p.netloc}/" for p in map(urlsplit, urls) if p.netloc})
    return [{"title": f"Government portal {o}", "path": o} for o in origins]


def write_datapackage(output: Path, res: dict, portal_sources: list[dict]) -> Path:
    """Write or update `datapackage.json` beside `output` with the resource `res`; return its path."""
    target = output.parent / DESCRIPTOR
    package: dict[str, Any] = {**PACKAGE, "resources": [], "sources": []}
    if target.exists():
        try:
            old = json.loads(target.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        package["resources"] = [r for r in old.get("resources", [])
                                if r.get("path") != res["path"] and (output.parent / str(r.get("path"))).is_file()]
        package["sources"] = [s for s in old.get("sources", []) if isinstance(s, dict)]
    taken = {r.get("name") for r in package["resources"]}
    name, n = res["name"], 2
    while name in taken:
        name, n = f"{res['name']}-{n}", n + 1
    package["resources"].append({**res, "name": name})
    known = {s.get("path") for s in package["sources"]}
    package["sources"] += [s for s in portal_sources if s["path"] not in known]
    package["created"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    target.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target


def _slug(filename: str) -> str:
    """A resource name Frictionless accepts (lower-case letters, digits, - . _)."""
    return re.sub(r"[^a-z0-9._-]+", "-", filename.lower()).strip("-") or "export"
