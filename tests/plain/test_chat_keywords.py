"""Emergency keywords of house chats: at the start of words, with Russian
endings, never inside another word."""

import pytest
from hgzm.tools import chat_keywords
from hypothesis import given
from hypothesis import strategies as st

SHIPPED = chat_keywords.DEFAULT
COMPILED = chat_keywords.compile_keywords(chat_keywords.parse(SHIPPED))

ORDINARY = [
    "Кто идёт в магазин? Купите хлеба",
    "Газета сегодня не пришла",
    "Газон во дворе подстригли, спасибо",
    "Дымоход почистили в прошлом году",
    "Пожарная часть проводит день открытых дверей",
    "Завтра собрание жильцов в 19:00",
    "Нет, свет в подъезде уже горит",
    "Чья газель перекрыла выезд?",
    "Поток машин во дворе невозможный",
    "Светлана, спасибо за помощь с коляской",
    "Продам дымчатого котёнка",
    "Отдам даром детский велосипед",
    "Протекция не нужна, спасибо",
    "Воду для цветов оставила у двери",
]
ALARMING = [
    ("Пахнет газом в подъезде", "газ"),
    ("Чувствуется запах газа на третьем", "запах газа"),
    ("В подвале ПОТОП", "потоп"),
    ("Нас затопило сверху!", "затоп*"),
    ("Прорвало трубу отопления", "прорвал*"),
    ("Соседи, протекает крыша", "протека*"),
    ("Крыша протекла", "протекл*"),
    ("Опять протечка в ванной", "протечк*"),
    ("Застряли в лифте, второй подъезд", "застрял* в лифте"),
    ("Из розетки искрит", "искрит"),
    ("Дым на лестнице!", "дым"),
    ("Нет воды третий день", "нет воды"),
    ("С потолка течёт", "течёт"),
    ("С потолка течет", "течёт"),
    ("Пожар на пятом этаже", "пожар"),
    ("Короткое замыкание в щитке", "замыкани*"),
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_chat_alerts_nobody(text):
    assert chat_keywords.match(text, COMPILED) is None


@pytest.mark.parametrize("text, keyword", ALARMING)
def test_emergencies_alert_the_dispatcher(text, keyword):
    assert chat_keywords.match(text, COMPILED) == chat_keywords.normalise(keyword)


def test_the_list_is_read_leniently():
    assert chat_keywords.parse(" Газ ,\nгаз;  ЗАПАХ   газа ,, * ,") == [
        "газ",
        "запах газа",
    ]
    assert chat_keywords.match("", COMPILED) is None
    assert chat_keywords.match("газ", []) is None


cyrillic = st.sampled_from("абвгдежзийклмнопрстуфхцчшщъыьэюя")


@given(st.sampled_from(chat_keywords.parse(SHIPPED)), cyrillic, st.text(max_size=5))
def test_a_keyword_never_matches_inside_a_word(keyword, letter, tail):
    # Glued after another letter, the keyword is part of another word.
    text = letter + keyword.replace("*", "") + tail
    assert chat_keywords.match(text, chat_keywords.compile_keywords([keyword])) is None


@given(
    st.sampled_from([k for k in chat_keywords.parse(SHIPPED) if "*" not in k]),
    st.sampled_from(chat_keywords.ENDINGS),
)
def test_a_keyword_matches_with_its_endings(keyword, ending):
    compiled = chat_keywords.compile_keywords([keyword])
    assert chat_keywords.match(f"У нас {keyword}{ending}!", compiled) == keyword
