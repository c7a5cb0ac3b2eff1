"""Plain helpers that turn GIS appeal data into what tickets need.

Phone and e-mail normalisation (to match residents to contacts) and the
first guess of a category and priority for a theme GIS has just introduced.
"""

import re

import phonenumbers

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Keys of the categories the addon ships (data/helpdesk_ticket_category_data.xml).
CATEGORY_EMERGENCY = "emergency"
CATEGORY_REPAIR = "repair"
CATEGORY_UTILITIES = "utilities"
CATEGORY_BILLING = "billing"
CATEGORY_INFORMATION = "information"
CATEGORY_OTHER = "other"

# First match wins: emergencies before repairs, and so on. Stems, lower case.
THEME_KEYWORDS = (
    (
        CATEGORY_EMERGENCY,
        "3",
        (
            "авари",
            "прорыв",
            "затоп",
            "залив",
            "запах газа",
            "утечк",
            "пожар",
            "обрушен",
        ),
    ),
    (
        CATEGORY_REPAIR,
        "2",
        ("протеч", "кровл", "засор", "лифт", "ремонт", "неисправ", "мусоропровод"),
    ),
    (
        CATEGORY_UTILITIES,
        "2",
        (
            "качеств",
            "отоплен",
            "горяч",
            "холодн",
            "водоснабж",
            "электроснабж",
            "отключен",
            "коммунальн",
        ),
    ),
    (
        CATEGORY_BILLING,
        "1",
        ("начислен", "оплат", "платеж", "платёж", "перерасч", "задолжен", "квитанц"),
    ),
    (
        CATEGORY_INFORMATION,
        "0",
        ("информац", "запрос", "сведени", "раскрыт", "график", "часы прием"),
    ),
)


def normalize_phone(raw, region="RU"):
    """Return the E.164 form of a phone number, or None when it is not one."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw):
    if not raw:
        return None
    email = raw.strip().lower()
    return email if EMAIL_RE.match(email) else None


def applicant_email(applicant):
    """The e-mail the resident gave with the appeal, else the cabinet one."""
    return normalize_email(applicant.appeal_email) or normalize_email(applicant.email)


def guess_theme_defaults(name):
    """Guess ``(category key, priority)`` for a theme from its name."""
    text = (name or "").lower()
    for category, priority, stems in THEME_KEYWORDS:
        if any(stem in text for stem in stems):
            return category, priority
    return CATEGORY_OTHER, "1"
