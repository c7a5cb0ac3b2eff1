"""Whether two names may be one person (plain Python, no Odoo).

A phone number or an e-mail address is shared in a family or reused: it
finds a contact, it does not prove the applicant is that contact. Names
decide: they *agree* when one's words are all in the other
(«Анна» and «Иванова Анна Петровна», «Анна Иванова» and «Иванова Анна»),
with case, ё/е, punctuation and initials («А. П. Иванова») taken into account.
They *differ* when each has a word the other lacks
(«Анна Иванова» and «Пётр Иванов»). A name that says nothing (empty, or a
placeholder such as «Жилец») agrees with any.
"""

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Names a system gives a person it does not know yet.
PLACEHOLDERS = frozenset(
    {
        "resident",
        "жилец",
        "житель",
        "заявитель",
        "applicant",
        "gis",
        "zhkh",
        "zhkkh",
        "гис",
        "жкх",
        "max",
        "user",
        "пользователь",
        "no",
        "name",
    }
)


def words(name):
    """The words of a name, normalised (lowercase, ё as е)."""
    text = (name or "").lower().replace("ё", "е")
    return [w for w in _WORD.findall(text) if w not in PLACEHOLDERS]


def _covers(word, others):
    """``word`` is among ``others``, an initial standing for a whole word."""
    for other in others:
        if word == other:
            return True
        if len(word) == 1 and other.startswith(word):
            return True
        if len(other) == 1 and word.startswith(other):
            return True
    return False


def agree(name_a, name_b):
    """Whether ``name_a`` and ``name_b`` may be the same person."""
    a, b = words(name_a), words(name_b)
    if not a or not b:
        return True
    return all(_covers(word, b) for word in a) or all(_covers(word, a) for word in b)
