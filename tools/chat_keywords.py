"""Emergency keywords in house group chats (plain Python, no Odoo).

A keyword matches at the start of a word, with the endings Russian gives
it: "газ" finds "газ", "газа", "газом", not "магазин" nor "газета". A
keyword ending in ``*`` is a stem: "затоп*" finds "затопило", "затопили".
A phrase matches word by word ("запах газа", "застрял* в лифте"). Case and
ё/е do not matter.
"""

import re

# What a new bot listens for (mail.gateway's default, editable per bot).
DEFAULT = (
    "потоп, затоп*, прорвал*, протека*, протекл*, протечк*, течёт, течь, пожар, "
    "дым, запах газа, газ, искрит, замыкани*, застрял* в лифте, нет света, "
    "нет воды, нет электричества"
)
# Endings of Russian nouns and adjectives in their cases and numbers (and
# of short verb forms): enough for a word to be found in a sentence, few
# enough not to turn it into another word.
ENDINGS = (
    "а",
    "я",
    "у",
    "ю",
    "е",
    "и",
    "ы",
    "о",
    "ом",
    "ем",
    "ой",
    "ей",
    "ою",
    "ею",
    "ам",
    "ям",
    "ах",
    "ях",
    "ов",
    "ев",
    "ами",
    "ями",
)
_ENDING = "(?:" + "|".join(sorted(ENDINGS, key=len, reverse=True)) + ")?"
_SPLIT = re.compile(r"[,;\n]+")


def normalise(text):
    return (text or "").lower().replace("ё", "е")


def _word(word):
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    return re.escape(word) + _ENDING


def parse(keywords_text):
    """The keywords of a comma- or line-separated list, as written
    (lowercase), without empty ones or repeats."""
    seen = []
    for raw in _SPLIT.split(keywords_text or ""):
        keyword = " ".join(normalise(raw).split())
        if keyword and keyword.strip("*") and keyword not in seen:
            seen.append(keyword)
    return seen


def compile_keywords(keywords):
    """``[(keyword, pattern)]`` for ``parse``'s keywords."""
    return [
        (
            keyword,
            re.compile(
                r"(?<!\w)"
                + r"\s+".join(_word(word) for word in keyword.split())
                + r"(?!\w)"
            ),
        )
        for keyword in keywords
    ]


def match(text, compiled):
    """The first keyword found in ``text``, or None."""
    text = normalise(text)
    if not text:
        return None
    return next((keyword for keyword, regex in compiled if regex.search(text)), None)
