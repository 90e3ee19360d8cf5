"""A table's unit is the one it prints, even when the unit line sits inside its grid: a
county's 元 tables must never be read as 万元 because its 说明 speaks in 万元."""
from __future__ import annotations

import urllib.request

import pytest

from parsers.disclosure import parse_disclosure
from parsers.model import Context
from parsers.readers import read_file
from tests.portals import build_portals, serve_portals


@pytest.fixture(scope="module")
def county_final_account():
    """The imitation Hanweb portal's 通道侗族自治县财政局 2020 final account: a PDF whose 收支总表
    prints its title and its `单位：元` line inside the table grid, with a 说明 in 万元."""
    with serve_portals(build_portals()) as servers:
        entry = next(d for d in servers[1].manifest().disclosures if d.title == "通道侗族自治县财政局2020年部门决算")
        data = urllib.request.urlopen(entry.attachment_urls[0]).read()
    return parse_disclosure([read_file("2020年部门决算.pdf", data)], Context())


def test_unit_line_inside_the_grid_is_the_tables_unit(county_final_account):
    record = county_final_account
    assert record["units_in_source"] == "元"
    assert record["figures"]["income_total"] == "2602664.00"
    assert record["figures"]["expenditure_basic"] == "831064.00"
    assert record["figure_sources"]["income_total"]["where"]["page"] == 3


def test_the_rounded_text_is_a_rounding_flag_not_a_conflict(county_final_account):
    flags = {(f["type"], f.get("key")) for f in county_final_account["flags"]}
    assert ("rounding", "income_general_budget") in flags
    assert ("conflicting_values", "income_total") not in flags
