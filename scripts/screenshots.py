"""Take the README's screenshots from the running demo, in headless Chromium.

Start the demo first (``scripts/demo.sh --reset``, Russian, Moscow time), let
it import a minute of appeals, then::

    python3 scripts/screenshots.py [--odoo http://127.0.0.1:8069]
        [--max http://127.0.0.1:8766] [--out static/description]

A resident talks to the demo bot through the fake MAX (so that a MAX ticket
exists), then each screen is opened as the administrator and captured at
1440x900 over Chromium's DevTools protocol. Needs Debian's ``chromium`` and
``websocket-client`` (a test requirement).
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import requests
import websocket

WIDTH, HEIGHT = 1440, 900
RESIDENT = 10001


class Browser:
    """One headless Chromium page, driven over the DevTools protocol."""

    def __init__(self):
        binary = next(
            (
                shutil.which(b)
                for b in ("chromium", "chromium-browser")
                if shutil.which(b)
            ),
            None,
        )
        if not binary:
            raise SystemExit("Chromium is missing: apt install chromium")
        self.profile = tempfile.mkdtemp(prefix="hgzm-shots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.process.stderr:
            if "DevTools listening on" in line:
                devtools = line.split("on ", 1)[1].strip()
                break
        else:
            raise SystemExit("Chromium did not start")
        http = devtools.replace("ws://", "http://").split("/devtools/")[0]
        with urllib.request.urlopen(f"{http}/json") as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"])
        self.ids = 0
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.ids += 1
        self.socket.send(
            json.dumps({"id": self.ids, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{selector} never showed")

    def open(self, url, selector):
        self.call("Page.navigate", url=url)
        time.sleep(1)
        self.wait_for(selector)
        time.sleep(1.5)  # fonts, the bus, the last renders

    def click(self, selector, then):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(then)
        time.sleep(1)

    def shot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        print(f"  {path}")

    def close(self):
        self.socket.close()
        self.process.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def rpc(session, odoo, model, method, *args, **kwargs):
    answer = session.post(
        f"{odoo}/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs,
            },
        },
        timeout=60,
    ).json()
    if "error" in answer:
        raise RuntimeError(answer["error"]["data"]["message"])
    return answer["result"]


def resident_writes(fake_max):
    """A resident's conversation with the demo bot, through the fake MAX."""

    def control(path, **data):
        requests.post(
            f"{fake_max}/control/{path}", json=data, timeout=30
        ).raise_for_status()
        time.sleep(4)  # the webhook stores, a job answers

    user = {"first_name": "Анна"}
    control("start", user_id=RESIDENT, user=user)
    control("say", user_id=RESIDENT, text="Течёт батарея в спальне, кв. 12", user=user)
    control("contact", user_id=RESIDENT, phone="+79161112233", name="Анна Смирнова")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", default="http://127.0.0.1:8069")
    parser.add_argument("--max", default="http://127.0.0.1:8766")
    parser.add_argument("--db", default="gis_zhkh_demo")
    parser.add_argument("--out", default="static/description")
    args = parser.parse_args()
    out = Path(args.out)
    resident_writes(args.max)
    session = requests.Session()
    session.post(
        f"{args.odoo}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "params": {"db": args.db, "login": "admin", "password": "admin"},
        },
        timeout=30,
    ).raise_for_status()
    Ticket = "helpdesk.ticket"
    gis = rpc(
        session,
        args.odoo,
        Ticket,
        "search",
        [["gis_appeal_guid", "!=", False]],
        limit=1,
        order="id",
    )
    emergency = (
        rpc(
            session,
            args.odoo,
            Ticket,
            "search",
            [["gis_appeal_guid", "!=", False], ["priority", "=", "3"]],
            limit=1,
        )
        or gis
    )
    max_ticket = rpc(
        session,
        args.odoo,
        Ticket,
        "search",
        [["max_dialog_id", "!=", False]],
        limit=1,
        order="id desc",
    )
    backend = rpc(session, args.odoo, "gis.zhkh.backend", "search", [], limit=1)
    browser = Browser()
    try:
        browser.call(
            "Network.setCookie",
            name="session_id",
            value=session.cookies["session_id"],
            domain="127.0.0.1",
            path="/",
        )
        odoo = args.odoo
        tickets = f"{odoo}/odoo/action-helpdesk_mgmt.helpdesk_ticket_action"
        print("Screenshots:")
        browser.open(
            f"{odoo}/odoo/action-helpdesk_gis_zhkh_max.action_deadline_cockpit",
            ".o_hgzm_cockpit",
        )
        browser.shot(out / "screenshot_cockpit.png")
        browser.open(f"{tickets}?view_type=list", ".o_list_view .o_data_row")
        browser.shot(out / "screenshot_tickets.png")
        browser.open(f"{tickets}/{gis[0]}", ".o_form_view div[name='gis_official']")
        browser.shot(out / "screenshot_ticket.png")
        browser.open(f"{tickets}/{emergency[0]}", ".o_form_view .o_notebook")
        browser.click(
            ".o_notebook a[name='legal_deadlines']",
            ".o_field_widget[name='deadline_ids'] .o_data_row",
        )
        browser.shot(out / "screenshot_deadlines.png")
        if max_ticket:
            browser.open(
                f"{tickets}/{max_ticket[0]}",
                ".o_form_view div[name='max_non_official']",
            )
            browser.shot(out / "screenshot_max_ticket.png")
        browser.open(
            f"{odoo}/odoo/action-helpdesk_gis_zhkh_max.gis_zhkh_backend_action/{backend[0]}",
            ".o_form_view",
        )
        browser.shot(out / "screenshot_connection.png")
        browser.open(
            f"{odoo}/odoo/action-helpdesk_gis_zhkh_max.helpdesk_request_journal_action",
            ".modal .o_field_widget[name='ticket_count']",
        )
        browser.shot(out / "screenshot_journal.png")
        browser.open(f"{args.max}/chat", "#uid")
        uid = "document.querySelector('#uid')"
        browser.evaluate(f"{uid}.value = {RESIDENT}; {uid}.onchange()")
        time.sleep(2)
        browser.shot(out / "screenshot_max_chat.png")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
