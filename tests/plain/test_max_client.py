"""The MAX Bot API client against the fake MAX, which checks every request
body against the OpenAPI file."""

import ssl
from urllib.parse import urlsplit

import pytest
from hgzm.tests.fakes.fake_max import FakeMaxServer
from hgzm.tools import max_client
from hgzm.tools.max_client import (
    MaxBotClient,
    Throttle,
    callback_button,
    link_button,
    request_contact_button,
    split_text,
    trusted_ca_bundle,
)
from hgzm.tools.max_errors import (
    MaxApiError,
    MaxAuthError,
    MaxConfigError,
    MaxFileTooLarge,
    MaxRequestError,
    MaxTransportError,
)
from hypothesis import given
from hypothesis import strategies as st

TOKEN = "test-bot-token_0123456789"
RESIDENT = 51001


@pytest.fixture
def server(max_openapi):
    with FakeMaxServer(TOKEN, openapi=max_openapi) as server:
        yield server
    assert server.fake.invalid == [], server.fake.invalid


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


def client_for(server, sleeps=None, **kwargs):
    kwargs.setdefault("timeout", (2, 5))
    kwargs.setdefault("rate", 0)
    return MaxBotClient(
        TOKEN,
        base_url=server.url,
        sleep=sleeps if sleeps is not None else Sleeps(),
        **kwargs,
    )


def test_me_and_the_raw_token_header(server):
    me = client_for(server).get_me()
    assert me["is_bot"] and me["user_id"] == 900000001
    with pytest.raises(MaxAuthError) as err:
        MaxBotClient("wrong", base_url=server.url, rate=0).get_me()
    assert err.value.code == "verify.token" and not err.value.transient


def test_send_a_message_with_a_keyboard(server):
    client = client_for(server)
    message = client.send_message(
        user_id=RESIDENT,
        text="Здравствуйте! Что случилось?",
        keyboard=[
            [callback_button("Авария", "menu:emergency")],
            [request_contact_button("Поделиться номером")],
            [link_button("Официальное обращение", "https://max.ru/gis_zhkh_bot")],
        ],
    )
    assert message["recipient"]["user_id"] == RESIDENT
    sent = server.fake.messages[-1]["body"]
    assert sent["text"] == "Здравствуйте! Что случилось?"
    buttons = sent["attachments"][0]["payload"]["buttons"]
    assert [b[0]["type"] for b in buttons] == ["callback", "request_contact", "link"]


def test_what_cannot_be_sent_is_refused_before_sending(server):
    client = client_for(server)
    with pytest.raises(MaxRequestError):
        client.send_message(user_id=RESIDENT, text="x" * 4001)
    with pytest.raises(MaxRequestError):
        client.send_message(user_id=RESIDENT, chat_id=-5, text="both")
    with pytest.raises(MaxRequestError):
        client.send_message(user_id=RESIDENT)
    with pytest.raises(MaxRequestError):
        callback_button("", "x")
    with pytest.raises(MaxRequestError):
        callback_button("ok", "x" * 1025)
    with pytest.raises(MaxRequestError):
        link_button("ok", "javascript:alert(1)")
    assert server.fake.sent == []


@pytest.mark.parametrize("status", [500, 503])
def test_the_api_saying_later_is_retried_with_back_off(server, sleeps, status):
    server.fake.fail_next(2, status=status, code="service.unavailable")
    client = client_for(server, sleeps)
    client.send_message(user_id=RESIDENT, text="Ответ")
    assert sleeps == [1.0, 2.0]
    assert server.fake.texts_to(RESIDENT) == ["Ответ"]


@pytest.mark.parametrize(
    "header, seconds",
    [("7", 7.0), ("Wed, 21 Oct 2037 07:28:00 GMT", None), (None, None)],
)
def test_429_is_raised_at_once_with_its_retry_after(server, sleeps, header, seconds):
    server.fake.fail_next(
        status=429, code="too.many.requests", path="/messages", retry_after=header
    )
    with pytest.raises(MaxApiError) as err:
        client_for(server, sleeps).send_message(user_id=RESIDENT, text="Ответ")
    # Nobody sleeps through a rate limit: the caller comes back later.
    assert sleeps == []
    assert err.value.rate_limited and err.value.transient
    if header and header[0].isdigit():
        assert err.value.retry_after == seconds
    elif header:
        assert err.value.retry_after == max_client.MAX_RETRY_AFTER
    else:
        assert err.value.retry_after is None
    assert server.fake.texts_to(RESIDENT) == []


def test_a_long_retry_after_of_a_5xx_is_raised_not_slept(server, sleeps):
    server.fake.fail_next(status=503, path="/messages", retry_after="120")
    with pytest.raises(MaxApiError) as err:
        client_for(server, sleeps).send_message(user_id=RESIDENT, text="Ответ")
    assert sleeps == [] and err.value.retry_after == 120.0


def test_parse_retry_after():
    import datetime

    now = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.timezone.utc)
    parse = max_client.parse_retry_after
    assert parse("30", now) == 30.0
    assert parse(" 1.5 ", now) == 1.5
    assert parse("Sun, 06 Dec 2026 12:00:42 GMT", now) == 42.0
    assert parse("Sun, 06 Dec 2026 11:00:00 GMT", now) == 0.0  # already past
    assert parse("-5", now) == 0.0
    assert parse("99999999", now) == max_client.MAX_RETRY_AFTER
    for junk in (None, "", "soon", "nan", "inf", "Mon, 99 Foo 2026"):
        assert parse(junk, now) is None


@given(st.one_of(st.text(max_size=40), st.floats(allow_nan=True), st.integers()))
def test_parse_retry_after_never_fails(value):
    seconds = max_client.parse_retry_after(value)
    assert seconds is None or 0.0 <= seconds <= max_client.MAX_RETRY_AFTER


def test_the_throttle_may_be_the_callers(server):
    calls = []

    class Shared:
        def wait(self):
            calls.append(1)

    client = client_for(server, throttle=Shared())
    client.get_me()
    client.send_message(user_id=RESIDENT, text="x")
    assert len(calls) == 2


def test_a_chats_messages_newest_first(server):
    client = client_for(server)
    client.send_message(user_id=RESIDENT, text="первое")
    client.send_message(user_id=RESIDENT, text="второе")
    messages = client.get_messages(RESIDENT)
    assert [m["body"]["text"] for m in messages] == ["второе", "первое"]
    assert client.get_messages(RESIDENT, count=1)[0]["body"]["text"] == "второе"


def test_a_lost_answer_leaves_the_message_sent(server, sleeps):
    # MAX took it, the answer never came back: the client cannot know.
    server.fake.fail_next(lost_answer=True, path="/messages")
    with pytest.raises(MaxTransportError):
        client_for(server, sleeps).send_message(user_id=RESIDENT, text="Ответ")
    assert server.fake.texts_to(RESIDENT) == ["Ответ"]
    assert sleeps == []


def test_out_of_retries_the_error_is_transient(server, sleeps):
    server.fake.fail_next(5, status=503)
    with pytest.raises(MaxApiError) as err:
        client_for(server, sleeps, retries=2).send_message(user_id=RESIDENT, text="x")
    assert err.value.transient and err.value.status == 503
    assert len(sleeps) == 2


def test_success_false_is_an_error(server):
    server.fake.fail_next(success_false=True, code="chat.denied", message="Нет доступа")
    with pytest.raises(MaxApiError) as err:
        client_for(server).send_message(user_id=RESIDENT, text="x")
    assert err.value.code == "chat.denied" and not err.value.transient


def test_a_dropped_post_is_not_sent_again_blindly(server, sleeps):
    server.fake.fail_next(drop=True, path="/messages")
    with pytest.raises(MaxTransportError) as err:
        client_for(server, sleeps).send_message(user_id=RESIDENT, text="x")
    assert err.value.transient and sleeps == []
    # A read is retried.
    server.fake.fail_next(drop=True, path="/me")
    assert client_for(server, sleeps).get_me()["is_bot"]


def test_no_answer_in_time_is_transient():
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    client = MaxBotClient(
        TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=(1, 0.5), rate=0, retries=0
    )
    with pytest.raises(MaxTransportError) as err:
        client.send_message(user_id=RESIDENT, text="x")
    listener.close()
    assert err.value.transient


def test_upload_then_attachment_not_ready_is_retried(server, sleeps):
    client = client_for(server, sleeps)
    attachment = client.upload("image", "leak.jpg", b"\xff\xd8\xff", "image/jpeg")
    assert attachment["type"] == "image"
    token = attachment["payload"]["token"]
    assert server.fake.uploads[token] == b"\xff\xd8\xff"
    server.fake.not_ready.add(token)
    client.send_message(user_id=RESIDENT, text="Фото", attachments=[attachment])
    assert sleeps == [1.0]
    document = client.upload("file", "act.pdf", b"%PDF-1.4", "application/pdf")
    assert document["payload"]["token"] in server.fake.uploads


def test_download_a_residents_file(server):
    attachment = server.fake.file_attachment("leak.jpg", b"JPEG" * 10, "image")
    content, content_type = client_for(server).download(attachment["payload"]["url"])
    assert content == b"JPEG" * 10 and content_type == "application/octet-stream"
    with pytest.raises(MaxFileTooLarge) as err:
        client_for(server).download(attachment["payload"]["url"], max_bytes=5)
    # No retry makes a file smaller.
    assert not err.value.transient


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_a_media_file_without_a_size_stops_at_the_limit(server, kind):
    content = b"\x00" * (300 * 1024)
    attachment = server.fake.file_attachment(None, content, kind)
    assert "size" not in attachment  # MAX says no size for media
    url = attachment["payload"]["url"]
    assert client_for(server).download(url)[0] == content
    with pytest.raises(MaxFileTooLarge):
        client_for(server).download(url, max_bytes=100 * 1024)


def test_a_declared_size_over_the_limit_is_not_read(server):
    attachment = server.fake.file_attachment("plan.pdf", b"%PDF" * 1000, "file")
    with pytest.raises(MaxFileTooLarge) as err:
        client_for(server).download(attachment["payload"]["url"], max_bytes=100)
    assert "4000 bytes" in str(err.value)


def test_a_file_max_cannot_find_is_not_transient(server):
    attachment = server.fake.file_attachment("leak.jpg", b"JPEG", "image")
    url = attachment["payload"]["url"]
    server.fake.fail_next(path=urlsplit(url).path, status=404, code="not.found")
    with pytest.raises(MaxApiError) as err:
        client_for(server).download(url)
    assert not err.value.transient
    server.fake.fail_next(path=urlsplit(url).path, status=502)
    with pytest.raises(MaxApiError) as err:
        client_for(server).download(url)
    assert err.value.transient


def test_answer_a_button_press(server):
    client = client_for(server)
    client.answer_callback("cb.1", notification="Принято")
    assert server.fake.callback_answers == [("cb.1", {"notification": "Принято"})]
    with pytest.raises(MaxRequestError):
        client.answer_callback("")


def test_webhook_subscription(server):
    client = client_for(server)
    client.subscribe(
        "https://uk.example.ru/gateway/max/key/update",
        "s3cret-VALUE_1",
        ["message_created", "message_callback", "bot_started"],
    )
    assert [s["url"] for s in client.subscriptions()] == [
        "https://uk.example.ru/gateway/max/key/update"
    ]
    with pytest.raises(MaxRequestError):
        MaxBotClient(TOKEN, rate=0).subscribe("http://uk.example.ru/h", "s3cret-VALUE")
    with pytest.raises(MaxRequestError):
        client.subscribe("https://uk.example.ru/hook", "bad secret")
    client.unsubscribe("https://uk.example.ru/gateway/max/key/update")
    assert client.subscriptions() == []


def test_long_polling_keeps_the_marker(server):
    client = client_for(server)
    fake = server.fake
    fake.deliver(fake.resident_message(RESIDENT, "Течёт кран"))
    fake.deliver(fake.resident_message(RESIDENT, "Срочно"))
    updates, marker = client.get_updates(timeout=0)
    assert [u["message"]["body"]["text"] for u in updates] == ["Течёт кран", "Срочно"]
    updates, same = client.get_updates(marker=marker, timeout=0)
    assert updates == [] and same == marker
    fake.deliver(fake.resident_message(RESIDENT, "Ещё"))
    updates, later = client.get_updates(marker=marker, timeout=1)
    assert len(updates) == 1 and later > marker


def test_the_token_never_shows(server):
    client = client_for(server)
    assert TOKEN not in repr(client)
    with pytest.raises(MaxConfigError):
        MaxBotClient("", base_url=server.url)
    with pytest.raises(MaxConfigError):
        MaxBotClient(TOKEN, base_url="platform-api2.max.ru")


def test_throttle_spaces_the_calls():
    clock = [0.0]
    waited = []

    def sleep(seconds):
        waited.append(round(seconds, 3))
        clock[0] += seconds

    throttle = Throttle(25, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        throttle.wait()
    assert waited == [0.04, 0.04, 0.04, 0.04]


def test_trusted_bundle_adds_the_russian_ca(tmp_path, russian_ca):
    bundle = trusted_ca_bundle(russian_ca, tmp_path)
    assert bundle == trusted_ca_bundle(russian_ca, tmp_path)  # written once
    context = ssl.create_default_context(cafile=bundle)
    subjects = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
    names = {s.get("commonName") for s in subjects}
    assert "Russian Trusted Root CA" in names
    assert len(subjects) > 100  # certifi's authorities too


@given(st.text(max_size=9000))
def test_split_text_keeps_everything_within_the_limit(text):
    chunks = split_text(text, limit=max_client.MAX_TEXT)
    assert all(0 < len(c) <= max_client.MAX_TEXT for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.strip().replace(
        " ", ""
    ).replace("\n", "")


def test_webhook_deliveries_carry_the_secret(server):
    import http.server
    import threading

    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Max-Bot-Api-Secret"), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{hook.server_address[1]}/gateway/max/k/update"
        client_for(server).subscribe(url, "s3cret-VALUE_1", ["message_created"])
        fake = server.fake
        update = fake.resident_message(RESIDENT, "Течёт")
        assert fake.deliver(update, times=2) == [200, 200]
        assert fake.deliver(update, secret="forged") == [200]
    finally:
        hook.shutdown()
        hook.server_close()
    assert [secret for secret, _body in received] == [
        "s3cret-VALUE_1",
        "s3cret-VALUE_1",
        "forged",
    ]
    assert received[0][1] == received[1][1]
    # With a webhook, long polling gives nothing.
    with pytest.raises(MaxApiError):
        client_for(server).get_updates(timeout=0)


def test_split_text_prefers_paragraphs_to_words():
    paragraphs = [f"Пункт {n}. " + "слово " * 450 for n in range(1, 4)]
    chunks = split_text("\n\n".join(paragraphs))
    assert [c.split(".")[0] for c in chunks] == ["Пункт 1", "Пункт 2", "Пункт 3"]
    # A paragraph longer than a message is cut at a word.
    chunks = split_text("слово " * 1000)
    assert all(c.endswith("слово") for c in chunks)
