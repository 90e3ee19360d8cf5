"""The number normaliser: every printed form of an amount, blanks, malformed numbers, exact 万元."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.numbers import find_amounts, format_yuan, ocr_variants, parse_number, to_yuan, tolerance


@pytest.mark.parametrize("text, value", [
    ("5845.98", "5845.98"),
    ("5,845.98", "5845.98"),
    ("5, 845. 98", "5845.98"),
    ("2,602,664.00", "2602664.00"),
    ("2,602,664.0000", "2602664.0000"),
    ("１２３．４５", "123.45"),
    ("１，２３４．５０", "1234.50"),
    (" 438.7 ", "438.7"),
    ("0", "0"),
    ("0.00", "0.00"),
    ("-12.50", "-12.50"),
    ("91", "91"),
    ("¥1,000.00", "1000.00"),
    ("356.99万元", "356.99"),
    ("275.4元", "275.4"),
    ("10 万", "10"),
])
def test_reads_printed_numbers(text, value):
    n = parse_number(text)
    assert n.status == "ok"
    assert n.value == Decimal(value)


@pytest.mark.parametrize("text, unit", [("356.99万元", "万元"), ("275.4元", "元"), ("10万", "万元"), ("5,845.98", None)])
def test_keeps_the_printed_unit(text, unit):
    assert parse_number(text).unit == unit


@pytest.mark.parametrize("text", ["", "   ", "-", "—", "——", "–", "－", "/", None])
def test_dash_or_empty_is_not_stated_never_zero(text):
    n = parse_number(text)
    assert n.status == "blank"
    assert n.value is None


@pytest.mark.parametrize("text", ["260..27", "260..27万元", "1,2345.00", "5,845,98", "1.2.3", "12,34"])
def test_malformed_numbers_are_reported_not_guessed(text):
    n = parse_number(text)
    assert n.status == "malformed"
    assert n.value is None


@pytest.mark.parametrize("text", ["合计", "97%", "2020年", "**", "政府门户网站"])
def test_words_are_not_numbers(text):
    assert parse_number(text).status == "text"


def test_wan_to_yuan_is_exact():
    assert format_yuan(to_yuan(Decimal("5845.98"), "万元")) == "58459800.00"
    assert format_yuan(to_yuan(Decimal("0.0001"), "万元")) == "1.00"
    assert format_yuan(to_yuan(Decimal("438.7"), "万元")) == "4387000.00"
    assert format_yuan(to_yuan(Decimal("2602664"), "元")) == "2602664.00"


def test_tolerance_is_half_the_last_printed_digit():
    assert tolerance(parse_number("83.11"), "万元") == Decimal("50")
    assert tolerance(parse_number("28.5"), "万元") == Decimal("50")  # 28.50 with the zero dropped
    assert tolerance(parse_number("91"), "万元") == Decimal("50")
    assert tolerance(parse_number("0.0001"), "万元") == Decimal("0.5")
    assert tolerance(parse_number("831064.00"), "元") == 0


def _printed(value: Decimal, sep: str, space: bool, wide: bool) -> str:
    whole, frac = f"{value:.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    s = (sep + (" " if space else "")).join(groups) + "." + (" " if space else "") + frac
    if wide:
        s = s.translate(str.maketrans("0123456789.,", "０１２３４５６７８９．，"))
    return s


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["", ","]),
    st.booleans(),
    st.booleans(),
)
def test_any_printed_form_reads_back_exactly(value, sep, space, wide):
    assert parse_number(_printed(value, sep, space, wide)).value == value


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,", min_size=1, max_size=14))
def test_digits_and_separators_are_read_or_refused_never_guessed(s):
    n = parse_number(s)
    if n.status == "ok":
        # a reading is only ever the digits with the grouping commas dropped
        assert n.value == Decimal(s.replace(",", ""))
    else:
        assert n.value is None


def test_finds_amounts_in_sentences_even_across_a_line_break():
    found = find_amounts("其中，一般公共预算拨款 5845.98\n万元；政府性基金拨款 0 万元；培训费 2.25 万元")
    assert [a.number.value for a in found] == [Decimal("5845.98"), Decimal("0"), Decimal("2.25")]
    assert all(a.number.unit == "万元" for a in found)
    assert [a.number.status for a in find_amounts("拨款260..27万元")] == ["malformed"]
    assert find_amounts("2020 年 12 月 31 日") == []


def test_ocr_variants_offer_swapped_separators():
    assert Decimal("5845.98") in ocr_variants("5.845,98")
    assert Decimal("5845.98") in ocr_variants("5845,98")
    assert Decimal("1234.56") in ocr_variants("1.234.56")
    assert ocr_variants("合计") == []
    assert Decimal("5845.98") not in ocr_variants("5845.98")
