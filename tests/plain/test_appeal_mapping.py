"""Phone/e-mail normalisation and the first guess for new GIS themes."""

import pytest
from hgzm_tools.appeal_mapping import (
    applicant_email,
    guess_theme_defaults,
    normalize_email,
    normalize_phone,
)
from hgzm_tools.gis_xml import Applicant
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 916 555-00-01", "+79165550001"),
        ("8 (916) 555-00-01", "+79165550001"),
        ("89165550001", "+79165550001"),
        ("79165550001", "+79165550001"),
        ("+7(4012)12-34-56", "+74012123456"),  # Kaliningrad landline
        ("+375 29 123-45-67", "+375291234567"),  # a resident abroad
        ("", None),
        (None, None),
        ("не скажу", None),
        ("123", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@given(st.text(max_size=40))
def test_normalize_phone_never_raises(raw):
    result = normalize_phone(raw)
    assert result is None or result.startswith("+")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ivan.Petrov@Mail.RU ", "ivan.petrov@mail.ru"),
        ("ivan@", None),
        ("", None),
        (None, None),
        ("two@at@signs.ru", None),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


def test_appeal_email_wins_over_cabinet_email():
    applicant = Applicant(
        "person", email="cabinet@example.com", appeal_email="Reply@Example.com"
    )
    assert applicant_email(applicant) == "reply@example.com"
    assert (
        applicant_email(Applicant("person", email="cabinet@example.com"))
        == "cabinet@example.com"
    )
    assert applicant_email(Applicant("hcs")) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Аварийная ситуация на инженерных сетях", ("emergency", "3")),
        ("Запах газа в подъезде", ("emergency", "3")),
        ("Протечка кровли", ("repair", "2")),
        ("Неисправность лифта", ("repair", "2")),
        ("Качество горячего водоснабжения", ("utilities", "2")),
        ("Начисление платы за ЖКУ", ("billing", "1")),
        ("Запрос информации об управляющей организации", ("information", "0")),
        ("Содержание газона во дворе", ("other", "1")),
        ("", ("other", "1")),
        (None, ("other", "1")),
    ],
)
def test_guess_theme_defaults(name, expected):
    assert guess_theme_defaults(name) == expected
