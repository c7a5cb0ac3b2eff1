"""The Prometheus text format the metrics endpoint answers in: escaping,
HELP and TYPE once per family, and what is written reads back the same."""

import math

import pytest
from hgzm.tools.metrics_text import (
    CONTENT_TYPE,
    Family,
    MetricsTextError,
    escape_label_value,
    format_value,
    parse,
    render,
    samples,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def test_a_family_is_help_type_then_its_samples():
    text = render(
        [
            Family("hgzm_jobs", "Jobs by state.").add(
                3, channel="root", state="failed"
            ),
            Family("hgzm_up", "Up.").add(1),
        ]
    )
    assert text == (
        "# HELP hgzm_jobs Jobs by state.\n"
        "# TYPE hgzm_jobs gauge\n"
        'hgzm_jobs{channel="root",state="failed"} 3\n'
        "# HELP hgzm_up Up.\n"
        "# TYPE hgzm_up gauge\n"
        "hgzm_up 1\n"
    )
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_label_values_and_help_are_escaped():
    assert escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'
    text = render(
        [
            Family("hgzm_x", 'Back\\slash and "quotes"\nsecond line.').add(
                1, name='ТСЖ "Лесная"\\7\n'
            )
        ]
    )
    # In HELP a quote is not escaped; a label value's is.
    assert '# HELP hgzm_x Back\\\\slash and "quotes"\\nsecond line.\n' in text
    assert 'hgzm_x{name="ТСЖ \\"Лесная\\"\\\\7\\n"} 1\n' in text
    assert parse(text)[0].samples == [({"name": 'ТСЖ "Лесная"\\7\n'}, 1.0)]


def test_values():
    assert format_value(0) == "0"
    assert format_value(True) == "1"
    assert format_value(12345678901234) == "12345678901234"
    assert format_value(0.1) == "0.1"
    assert format_value(float("nan")) == "NaN"
    assert format_value(float("inf")) == "+Inf"
    assert format_value(float("-inf")) == "-Inf"
    assert math.isnan(samples("hgzm_x NaN\n")[("hgzm_x", frozenset())])


@pytest.mark.parametrize(
    "family",
    [
        Family("9starts_with_a_digit", "x"),
        Family("has-dash", "x"),
        Family("hgzm_x", "x", type="number"),
        Family("hgzm_x", "x").add(1, **{"bad-label": "v"}),
        Family("hgzm_x", "x").add(1, __reserved="v"),
        Family("hgzm_x", "x").add(1, name=7),
        Family("hgzm_x", "x").add(1, a="1").add(2, a="1"),
    ],
)
def test_what_prometheus_would_refuse_is_not_written(family):
    with pytest.raises(MetricsTextError):
        render([family])


def test_a_family_twice_is_not_written():
    with pytest.raises(MetricsTextError):
        render([Family("hgzm_x", "x"), Family("hgzm_x", "y")])


@pytest.mark.parametrize(
    "text",
    [
        "hgzm_x 1",  # no final line feed
        'hgzm_x{a="1"} 1\nhgzm_y 1\nhgzm_x{a="2"} 1\n',  # not together
        "hgzm_x 1\n# TYPE hgzm_x gauge\n",  # TYPE after samples
        "# TYPE hgzm_x number\n",
        'hgzm_x{a="1} 1\n',
        "hgzm_x{a=1} 1\n",
        "hgzm_x one\n",
        "hgzm_x 1_000\n",
        'hgzm_x{a="1",a="2"} 1\n',
        "hgzm_x 1\nhgzm_x 2\n",
        "hgzm_x1\n",
    ],
)
def test_the_reader_is_strict(text):
    with pytest.raises(MetricsTextError):
        parse(text)


def test_the_reader_takes_a_timestamp_and_other_comments():
    text = '# a comment\nhgzm_x{a="b"} 2 1700000000000\n'
    assert samples(text) == {("hgzm_x", frozenset({("a", "b")})): 2.0}


names = st.from_regex(r"hgzm_[a-z_:][a-z0-9_:]{0,12}", fullmatch=True)
label_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
# Any text a connection or company may be named, line feeds included.
label_values = st.text(max_size=20)
values = st.one_of(
    st.integers(min_value=0, max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=True),
)


@st.composite
def families(draw):
    drawn = draw(st.lists(names, unique=True, max_size=4))
    result = []
    for name in drawn:
        keys = draw(st.lists(label_names, unique=True, max_size=3))
        series = draw(
            st.lists(
                st.fixed_dictionaries({key: label_values for key in keys}),
                max_size=4,
                unique_by=lambda labels: tuple(sorted(labels.items())),
            )
        )
        family = Family(
            name,
            draw(st.text(max_size=30)),
            draw(st.sampled_from(["gauge", "counter"])),
        )
        for labels in series:
            family.add(draw(values), **labels)
        result.append(family)
    return result


@settings(max_examples=300, deadline=None)
@given(families())
def test_what_is_written_reads_back_the_same(written):
    read = parse(render(written))
    # HELP and TYPE name a family even without samples: all come back.
    assert [family.name for family in read] == [family.name for family in written]
    by_name = {family.name: family for family in read}
    for family in written:
        back = by_name[family.name]
        assert (back.help, back.type) == (family.help, family.type)
        assert back.samples == [(labels, float(v)) for labels, v in family.samples]
