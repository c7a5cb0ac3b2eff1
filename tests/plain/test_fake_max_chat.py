"""The fake MAX's chat page and controls, which the demo's resident uses."""

import base64

import pytest
import requests
from hgzm.tests.fakes.fake_max import FakeMaxServer
from hgzm.tools.max_client import MaxBotClient, callback_button, request_contact_button

TOKEN = "chat-page-token_0123456789"


@pytest.fixture
def server(max_openapi):
    with FakeMaxServer(TOKEN, openapi=max_openapi) as server:
        yield server


def control(server, path, body):
    response = requests.post(f"{server.url}/control/{path}", json=body, timeout=5)
    return response.status_code, response.json()


def test_the_page_is_served(server):
    response = requests.get(f"{server.url}/chat", timeout=5)
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    assert "/control/say" in response.text


def test_a_resident_chats_and_sees_the_bots_buttons(server):
    fake = server.fake
    assert (
        control(server, "start", {"user_id": 5, "user": {"first_name": "Анна"}})[0]
        == 200
    )
    photo = base64.b64encode(b"JPEG").decode()
    status, _ = control(
        server,
        "say",
        {
            "user_id": 5,
            "text": "Течёт",
            "file": {"name": "a.jpg", "type": "image/jpeg", "content": photo},
        },
    )
    assert status == 200
    # No webhook subscribed: kept for long polling, as MAX does.
    assert len(fake.updates) == 2
    sent = fake.updates[-1][1]["message"]["body"]["attachments"][0]
    assert sent["type"] == "image"
    client = MaxBotClient(TOKEN, base_url=server.url, sleep=lambda _s: None)
    client.send_message(
        user_id=5,
        text="Поделитесь номером",
        keyboard=[
            [request_contact_button("Номер")],
            [callback_button("Меню", "m:menu")],
        ],
    )
    control(server, "press", {"user_id": 5, "payload": "m:menu", "label": "Меню"})
    control(server, "contact", {"user_id": 5, "phone": "+79161234567"})
    _status, dialog = control(server, "dialog", {"user_id": 5})
    entries = dialog["entries"]
    assert [e["who"] for e in entries] == ["me", "me", "bot", "me", "me"]
    assert entries[1]["text"] == "Течёт [a.jpg]"
    assert [b["type"] for row in entries[2]["buttons"] for b in row] == [
        "request_contact",
        "callback",
    ]
    contact = fake.updates[-1][1]["message"]["body"]["attachments"][0]
    assert contact["type"] == "contact"
    assert fake.invalid == []


def test_bad_controls_are_refused(server):
    assert control(server, "say", {"text": "no user"})[0] == 400
    assert control(server, "nope", {"user_id": 1})[0] == 404
    response = requests.post(f"{server.url}/control/say", data=b"{bad", timeout=5)
    assert response.status_code == 400
