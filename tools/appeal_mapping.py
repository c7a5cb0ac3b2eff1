"""Plain helpers that turn GIS appeal data into what tickets need.

When an appeal reached its status (a GIS date), and the first guess of a
category and priority for a theme GIS has just introduced. Phones and
e-mails are normalised by Odoo itself (``phone_validation``,
``email_normalize``), as its contacts are, so that a resident found once is
found again.
"""

import datetime

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


# History entries that close an appeal (its answer, "no answer required",
# its redirection): GIS marks the appeal executed by one of them.
CLOSING_KINDS = ("answer", "not_required", "redirected")


def _entry_day(entry):
    """The day of a history entry: an answer counts from its sending (a
    sending date GIS wrote wrongly falls back to the entry's date)."""
    sent = entry.data.get("send_date") if entry.kind == "answer" else None
    if not sent:
        return entry.change_date
    try:
        return datetime.date.fromisoformat(sent[:10])
    except ValueError:
        return entry.change_date


def status_reached_on(appeal):
    """The GIS date on which the appeal reached its current status.

    GIS sends dates, not times, and no date of the status itself: the day of
    the history entry that explains the status (for "executed": the answer
    sent, "no answer required" or the redirection), else of the latest entry,
    else the date of receipt. Never later than what GIS knows, so an import
    that comes late does not make the organisation late.
    """
    entries = [e for e in appeal.history if e.change_date]
    if appeal.status == "executed":
        closing = [
            e
            for e in entries
            if e.kind in CLOSING_KINDS and (e.kind != "answer" or e.data.get("is_sent"))
        ]
        entries = closing or entries
    days = [_entry_day(e) for e in entries]
    return max(days) if days else appeal.create_date


def guess_theme_defaults(name):
    """Guess ``(category key, priority)`` for a theme from its name."""
    text = (name or "").lower()
    for category, priority, stems in THEME_KEYWORDS:
        if any(stem in text for stem in stems):
            return category, priority
    return CATEGORY_OTHER, "1"
