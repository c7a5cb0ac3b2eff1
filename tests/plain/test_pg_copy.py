"""COPY text format of the recompute's bulk insert."""

import datetime

from hgzm.tools.pg_copy import copy_text, copy_value
from hypothesis import given
from hypothesis import strategies as st


def parse_copy_line(line):
    """The fields of one line as the server reads them (None for NULL)."""
    fields = []
    for raw in line.rstrip("\n").split("\t"):
        if raw == "\\N":
            fields.append(None)
            continue
        out, index = [], 0
        while index < len(raw):
            char = raw[index]
            if char == "\\":
                index += 1
                char = {"t": "\t", "n": "\n", "r": "\r"}.get(raw[index], raw[index])
            out.append(char)
            index += 1
        fields.append("".join(out))
    return fields


def test_values_as_copy_reads_them():
    assert copy_value(None) == "\\N"
    assert copy_value(True) == "t"
    assert copy_value(False) == "f"
    assert copy_value(100.0) == "100.0"
    assert copy_value(42) == "42"
    moment = datetime.datetime(2026, 3, 1, 12, 30, 5, 120)
    assert copy_value(moment) == "2026-03-01 12:30:05.000120"
    assert copy_value(datetime.date(2026, 3, 1)) == "2026-03-01"
    assert copy_value("a\tb\\c\nd\re") == "a\\tb\\\\c\\nd\\re"


def test_one_line_a_row():
    text = copy_text([(1, "x", None), (2, "y\tz", True)])
    assert text == "1\tx\t\\N\n2\ty\\tz\tt\n"


@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=5))
def test_text_comes_back_as_it_went(values):
    # A literal "\N" text is escaped, so it is not read as NULL.
    text = copy_text([values])
    assert text.count("\n") == 1
    assert parse_copy_line(text) == values
