"""Drive an Odoo prefork server from outside, as MAX, GIS ZhKKh and the staff
would: run by ``scripts/prefork_smoke.sh``, which starts the server (2 HTTP
workers, queue_job's runner, a cron worker, the gevent process) on a fresh
database and the two fakes, and kills everything afterwards.

Configuration goes through the web client's JSON-RPC as the administrator,
the staff's actions as a helpdesk user; every wait is bounded. Exits non-zero
with the reason on the first thing that does not happen.
"""

import argparse
import concurrent.futures
import json
import sys
import time
import uuid

import requests

TOKEN = "smoke-max-token"
RESIDENT = 71001
ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ANSWERER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REPLY = "Бригада будет сегодня к 15:00"
ANSWER = "Протечку устранили, акт у диспетчера."


class Failed(Exception):
    pass


def step(text):
    print(f"  {text}", flush=True)


class Session:
    """A user of the web client: a session cookie and ``call_kw``."""

    def __init__(self, url, db, login, password):
        self.url = url
        self.http = requests.Session()
        result = self.rpc(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        if not result.get("uid"):
            raise Failed(f"{login} could not log in")

    def rpc(self, path, params):
        response = self.http.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=60,
        )
        response.raise_for_status()
        data = response.json()
        if data.get("error"):
            error = data["error"]
            raise Failed(f"{path}: {error.get('data', {}).get('message') or error}")
        return data["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def wait_for(what, probe, timeout=60, every=0.5):
    """``probe()``'s first true value within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"{what}: not within {timeout} s")
        time.sleep(every)


def control(fake, path, data=None):
    response = requests.post(f"{fake}/control/{path}", json=data or {}, timeout=30)
    response.raise_for_status()
    return response.json()


def gis_state(fake):
    response = requests.get(f"{fake}/control/state", timeout=30)
    response.raise_for_status()
    return response.json()


def resident_message(text):
    """A ``message_created`` of a resident in their dialog with the bot, as
    MAX delivers it (the fake MAX's shape)."""
    now = int(time.time() * 1000)
    return {
        "update_type": "message_created",
        "timestamp": now,
        "message": {
            "sender": {
                "user_id": RESIDENT,
                "first_name": "Анна",
                "last_name": None,
                "name": "Анна",
                "username": None,
                "is_bot": False,
                "last_activity_time": now,
            },
            "recipient": {
                "chat_id": RESIDENT,
                "chat_type": "dialog",
                "user_id": 900000001,
            },
            "timestamp": now,
            "link": None,
            "body": {
                "mid": f"mid.{uuid.uuid4().hex}",
                "seq": 1,
                "text": text,
                "attachments": None,
                "link": None,
                "markup": None,
            },
        },
        "user_locale": "ru",
    }


def configure(admin, args):
    step("configure as admin over JSON-RPC: team, dispatcher, GIS connection, MAX bot")
    admin.call(
        "ir.config_parameter", "set_param", "web.base.url", args.odoo.rstrip("/")
    )
    group = admin.call(
        "ir.model.data",
        "check_object_reference",
        "helpdesk_mgmt",
        "group_helpdesk_user",
    )[1]
    dispatcher = admin.call(
        "res.users",
        "create",
        {
            "name": "Диспетчер Смоук",
            "login": "smoke_dispatcher",
            "password": "smoke-dispatcher-pw",
            "group_ids": [(4, group)],
        },
    )
    team = admin.call(
        "helpdesk.ticket.team",
        "create",
        {"name": "Smoke team", "user_ids": [(4, dispatcher)]},
    )
    backend = admin.call(
        "gis.zhkh.backend",
        "create",
        {
            "name": "Smoke GIS",
            "endpoint_url": args.gis,
            "org_ppa_guid": ORG,
            "timeout": 10,
            "team_id": team,
            "initial_days": 10,
            "refresh_interval": 0,
        },
    )
    admin.call(
        "gis.zhkh.answerer",
        "create",
        {"backend_id": backend, "user_id": dispatcher, "answerer_guid": ANSWERER},
    )
    gateway = admin.call(
        "mail.gateway",
        "create",
        {
            "name": "Smoke MAX bot",
            "gateway_type": "max",
            "token": TOKEN,
            "max_api_url": args.max,
            "max_team_id": team,
        },
    )
    admin.call("mail.gateway", "action_max_subscribe", [gateway])
    webhook = admin.call("mail.gateway", "read", [gateway], ["webhook_url"])[0][
        "webhook_url"
    ]
    subscriptions = control(args.max, "state")["subscriptions"]
    mine = [s for s in subscriptions if s["url"] == webhook]
    if not mine:
        raise Failed(f"the fake MAX has no subscription for {webhook}")
    return dispatcher, backend, gateway, webhook, mine[0]["secret"]


def max_part(admin, dispatcher_session, args, webhook, secret):
    step(f"MAX: a resident's update POSTed to {webhook.split('/gateway')[1]} twice")
    update = json.dumps(resident_message("Течёт кран на кухне")).encode()
    headers = {"Content-Type": "application/json", "X-Max-Bot-Api-Secret": secret}
    # MAX repeats itself: two deliveries at the same instant, two workers.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(
                lambda _i: (
                    requests.post(
                        webhook, data=update, headers=headers, timeout=30
                    ).status_code
                ),
                range(2),
            )
        )
    if statuses != [200, 200]:
        raise Failed(f"webhook answered {statuses}")
    forged = requests.post(
        webhook,
        data=update,
        headers={**headers, "X-Max-Bot-Api-Secret": "forged-secret"},
        timeout=30,
    )
    if forged.status_code != 403:
        raise Failed(f"a forged secret got {forged.status_code}")
    domain = [("max_dialog_id.max_user_id", "=", str(RESIDENT))]
    tickets = wait_for(
        "a ticket of the MAX update (job runner → worker)",
        lambda: admin.call("helpdesk.ticket", "search_read", domain, ["name"]),
    )
    step(f"ticket {tickets[0]['id']} «{tickets[0]['name']}» opened by the job")
    if len(tickets) != 1:
        raise Failed(f"{len(tickets)} tickets for one update delivered twice")
    updates = admin.call("max.update", "search_count", [])
    if updates != 1:
        raise Failed(f"{updates} updates stored for one delivered twice")
    step("staff reply posted as the dispatcher (message_post over JSON-RPC)")
    dispatcher_session.call(
        "helpdesk.ticket",
        "message_post",
        [tickets[0]["id"]],
        body=REPLY,
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )

    def delivered():
        outbox = admin.call(
            "max.outbox",
            "search_read",
            [("state", "in", ("queued", "sending"))],
            ["id"],
        )
        counts = control(args.max, "counts")["counts"]
        return not outbox and counts.get(REPLY)

    try:
        times = wait_for("the staff reply at the fake MAX", delivered)
    except Failed:
        # What became of it, for the log of a failed run.
        outbox = admin.call("max.outbox", "search_read", [], ["state", "lane"])
        notifications = admin.call(
            "mail.notification",
            "search_read",
            [("notification_type", "=", "gateway")],
            ["notification_status", "failure_reason"],
        )
        step(f"outbox {outbox}; gateway notifications {notifications}")
        step(f"the fake MAX counts {control(args.max, 'counts')}")
        raise
    if times != 1:
        raise Failed(f"the fake MAX got the reply {times} times")
    step("the fake MAX received the reply exactly once")


def gis_part(admin, dispatcher_session, args, dispatcher, backend):
    step("GIS ZhKKh: one appeal registered at the fake, import queued by the button")
    control(args.gis, "generate", {"count": 1, "seed": "prefork-smoke"})
    admin.call("gis.zhkh.backend", "action_import_appeals", [backend])
    domain = [("gis_backend_id", "=", backend)]
    tickets = wait_for(
        "the appeal imported into a ticket",
        lambda: admin.call(
            "helpdesk.ticket", "search_read", domain, ["gis_appeal_guid", "name"]
        ),
        timeout=90,
    )
    ticket = tickets[0]
    step(f"ticket {ticket['id']} for appeal {ticket['gis_appeal_guid'][:8]}…")
    admin.call("helpdesk.ticket", "write", [ticket["id"]], {"user_id": dispatcher})
    step("the dispatcher answers through the operation wizard")
    wizard = dispatcher_session.call(
        "gis.zhkh.operation.wizard",
        "create",
        {"ticket_id": ticket["id"], "operation": "answer", "text": ANSWER},
    )
    dispatcher_session.call("gis.zhkh.operation.wizard", "action_confirm", [wizard])

    def accepted():
        operations = admin.call(
            "gis.zhkh.operation",
            "search_read",
            [("appeal_guid", "=", ticket["gis_appeal_guid"])],
            ["state"],
        )
        states = {op["state"] for op in operations}
        if states & {"rejected", "cancelled"}:
            raise Failed(f"the answer was {states}")
        return states == {"accepted"}

    wait_for("the answer accepted by the fake GIS", accepted, timeout=90)
    applied = [
        item
        for item in gis_state(args.gis)["applied"]
        if item[1] == ticket["gis_appeal_guid"]
    ]
    if [item[0] for item in applied] != ["answer"]:
        raise Failed(f"the fake GIS applied {applied}")
    step("the fake GIS applied the answer once")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--gevent", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--db", required=True)
    parser.add_argument("--gis", required=True)
    parser.add_argument("--max", required=True)
    parser.add_argument("--odoo-pid", type=int, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    try:
        wait_for(
            "Odoo answering /web/health",
            lambda: _ok(f"{args.odoo}/web/health"),
            timeout=90,
        )
        # The websocket process was started again from Odoo's own command.
        wait_for(
            "the gevent process (websocket, bus) answering: see its output above",
            lambda: _ok(f"{args.gevent}/web/health"),
        )
        admin = Session(args.odoo, args.db, "admin", "admin")
        dispatcher, backend, _gateway, webhook, secret = configure(admin, args)
        dispatcher_session = Session(
            args.odoo, args.db, "smoke_dispatcher", "smoke-dispatcher-pw"
        )
        max_part(admin, dispatcher_session, args, webhook, secret)
        gis_part(admin, dispatcher_session, args, dispatcher, backend)
        # Everything queued ran, in the workers, not in the main process.
        jobs = wait_for(
            "every job done",
            lambda: (
                (jobs := admin.call("queue.job", "search_read", [], JOB_FIELDS))
                and all(job["state"] in ("done", "failed") for job in jobs)
                and jobs
            ),
            timeout=60,
        )
        failed = [job for job in jobs if job["state"] != "done"]
        if failed:
            reasons = [(job["method_name"], job["exc_info"]) for job in failed]
            raise Failed(f"failed jobs: {reasons}")
        pids = {job["worker_pid"] for job in jobs}
        if not all(pids) or args.odoo_pid in pids:
            raise Failed(f"jobs ran in {pids}, the main process is {args.odoo_pid}")
        step(f"{len(jobs)} jobs done, in worker processes {sorted(pids)}")
    except (Failed, requests.RequestException) as error:
        print(f"PREFORK SMOKE FAILED: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"  prefork smoke passed in {time.monotonic() - started:.0f} s", flush=True)
    return 0


JOB_FIELDS = ["state", "worker_pid", "method_name", "exc_info"]


def _ok(url):
    try:
        return requests.get(url, timeout=5).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
