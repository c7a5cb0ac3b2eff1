"""Names decide whether a shared phone number is the same person."""

import pytest
from hgzm.tools.person_names import agree, words
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "first, second",
    [
        ("Анна Иванова", "Иванова Анна"),
        ("Анна", "Иванова Анна Петровна"),
        ("Иванова Анна Петровна", "ИВАНОВА АННА"),
        ("Пётр Сергеевич", "Петр Сергеевич Смирнов"),
        ("А. П. Иванова", "Иванова Анна Петровна"),
        ("Иванова А.П.", "Анна Петровна Иванова"),
        ("", "Анна Иванова"),
        ("Жилец", "Анна Иванова"),
        ("MAX user 70001", "Анна Иванова"),
        ("GIS ZhKKh applicant", "Пётр Иванов"),
    ],
)
def test_names_that_may_be_one_person(first, second):
    assert agree(first, second) and agree(second, first)


@pytest.mark.parametrize(
    "first, second",
    [
        ("Анна Иванова", "Пётр Иванов"),  # one family, one phone
        ("Иванова Анна Петровна", "Иванова Мария Петровна"),
        ("Анна Иванова", "Анна Смирнова"),  # a reused number
        ("ООО «Уют»", "Анна Иванова"),
    ],
)
def test_names_of_other_people(first, second):
    assert not agree(first, second) and not agree(second, first)


names = st.lists(
    st.text(alphabet="абвгдежзиклмнопрстуфхцчшщэюяё -.", min_size=1, max_size=12),
    min_size=0,
    max_size=4,
).map(" ".join)


@given(names, names)
def test_agreeing_is_symmetric_and_reflexive(first, second):
    assert agree(first, first)
    assert agree(first, second) == agree(second, first)


@given(names, st.sampled_from(["Жилец", "", "  ", "MAX user 5"]))
def test_a_name_that_says_nothing_agrees(name, placeholder):
    assert agree(name, placeholder)


def test_words_are_normalised():
    assert words("  Ёлкина-Петрова, Алёна ") == ["елкина", "петрова", "алена"]
