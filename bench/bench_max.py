"""MAX webhook benchmarks, against a real Odoo HTTP server and the fake MAX.

Run through ``bench/run_bench.sh max [N]`` (fresh database, fake MAX in its
own process, Odoo started by this script). Prints, from one run:

(a) latency of the webhook at 200 requests/s on loopback, p50 and p99, and
    the same for two trivial Odoo routes in the same run (``/web/health``,
    no database; ``/web/manifest.webmanifest``, public, with the database),
    as ratios; and OCA ``mail_gateway_telegram``'s synchronous webhook when
    that addon is installed;
(b) N updates each delivered twice, concurrently, with the job runner on:
    how many were processed (exactly N expected) and the time until the
    queue is empty;
(c) N fuzzed deliveries: status codes (no 5xx expected) and whether the
    invalid ones created anything;
(d) N staff replies to residents sent through the job runner (2 Odoo
    workers), once with MAX answering every call, once while it answers
    30 % of them with HTTP 429 or 5xx and the worker running a send job is
    killed with ``kill -9`` once mid-run: deliveries per reply (each must
    be exactly 1), time to drain, and the ratio of the two runs;
(e) (a) again against Odoo's prefork server with 2 HTTP workers, at a rate
    of its own (``--prefork-rate``, 50/s by default: 2 workers on a shared
    2-core machine do not take (a)'s 200/s), runner off;
(f) a storm: ``--storm`` updates (3,600 by default) from a quarter as many
    residents POSTed as fast as the prefork server takes them, its job
    runner on: messages per second processed (every update in its ticket)
    and drained (every answer of the bot sent to MAX too, at the bot's pace
    of 25 calls/s by default), and everything counted (nothing lost).
"""

import argparse
import concurrent.futures
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import requests
from bench_odoo import registry_of, superuser_env  # bench/, beside this script
from fake_control import control  # bench/, beside this script

ADDON_DIR = Path(__file__).resolve().parents[1]
TOKEN = "bench-max-token"
RATE = 200
TIMELINE = []  # (offset s, latency ms) of the last open loop, for --dump


def load_tools():
    """The addon's plain-Python tools and the fake MAX, without importing
    Odoo's addon (``bench/plain_tools.py``)."""
    import plain_tools  # noqa: F401 pylint: disable=unused-import  bench/, beside this script
    from hgzm.tests.fakes import fake_max
    from hgzm.tools import max_updates

    return types.SimpleNamespace(fake_max=fake_max, max_updates=max_updates)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class OdooServer:
    """``python -m odoo`` in its own process: the real HTTP stack (with
    ``workers``, Odoo's prefork server: jobs run in worker processes)."""

    def __init__(self, conf, port, channels, workers=0):
        self.port = port
        env = dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=channels)
        # The prefork server starts its websocket process again from its own
        # command (sys.argv[0]): a script, not ``-m odoo``'s __main__.py.
        script = Path(sys.executable).with_name("odoo")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "odoo"]
        self.process = subprocess.Popen(
            [
                *command,
                "-c",
                conf,
                "--http-port",
                str(port),
                "--max-cron-threads",
                "0",
                "--workers",
                str(workers),
                # Prefork starts the websocket process too: on a free port,
                # not 8072 (another server on the machine may hold it).
                "--gevent-port",
                str(free_port()),
                "--load",
                "base,web,queue_job",
                "--log-level",
                "warn",
            ],
            env=env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url("/web/health"), timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.5)
        raise RuntimeError("Odoo did not start")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def open_loop(send, count, rate=RATE, workers=64):
    """Fire ``send(i)`` at ``rate`` per second (not waiting for answers);
    return the latencies in ms and the status codes."""
    latencies, statuses = [], []
    lock = threading.Lock()
    start = time.perf_counter()

    def one(index):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        began = time.perf_counter()
        status = send(index)
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            latencies.append(elapsed)
            statuses.append(status)
            TIMELINE.append((began - start, elapsed))

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    return latencies, statuses


def report(name, latencies, statuses, floor=None):
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    codes = {code: statuses.count(code) for code in sorted(set(statuses), key=str)}
    line = f"  {name:<34} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {codes}"
    if floor:
        line += f"  ratio p50 {p50 / floor[0]:.2f}  p99 {p99 / floor[1]:.2f}"
    print(line, flush=True)
    return p50, p99


def setup(env, fake, base_url):
    env["ir.config_parameter"].set_param("web.base.url", base_url)
    gateway = env["mail.gateway"].create(
        {
            "name": "Bench MAX bot",
            "gateway_type": "max",
            "token": TOKEN,
            "max_api_url": fake,
        }
    )
    gateway.action_max_subscribe()
    return gateway.webhook_url, gateway.webhook_secret


def telegram_setup(env, base_url):
    if "mail.gateway.telegram" not in env:
        return None
    gateway = env["mail.gateway"].create(
        {
            "name": "Bench Telegram bot",
            "gateway_type": "telegram",
            "token": "123456:BENCH-telegram-token",
            "webhook_key": "bench-telegram",
            "webhook_secret": "bench-telegram-secret",
            "integrated_webhook_state": "integrated",
        }
    )
    return gateway.webhook_url


def telegram_update(index):
    return {
        "update_id": index,
        "message": {
            "message_id": index,
            "date": int(time.time()),
            "chat": {"id": 500000 + index % 500, "type": "private", "first_name": "A"},
            "from": {"id": 500000 + index % 500, "is_bot": False, "first_name": "A"},
            "text": f"Сообщение {index}",
        },
    }


def part_latency(
    server, tools, webhook, secret, telegram_url, seconds, rate=RATE, label="(a)"
):
    fake = tools.fake_max.FakeMax(TOKEN)
    count = rate * seconds
    print(f"{label} latency at {rate} requests/s, {count} requests each", flush=True)
    session = threading.local()

    def http():
        if not hasattr(session, "s"):
            session.s = requests.Session()
        return session.s

    def get(path):
        return lambda _i: http().get(server.url(path), timeout=30).status_code

    # Each route is warmed up by one second of the same load, not counted:
    # caches filled, threads started, as in a server that has been running.
    warm = rate
    open_loop(get("/web/health"), warm, rate)
    health = report(
        "trivial route /web/health", *open_loop(get("/web/health"), count, rate)
    )
    open_loop(get("/web/manifest.webmanifest"), warm, rate)
    manifest = report(
        "trivial route /web/manifest.webmanifest",
        *open_loop(get("/web/manifest.webmanifest"), count, rate),
    )
    headers = {"Content-Type": "application/json", "X-Max-Bot-Api-Secret": secret}
    # 500 residents writing, each a few times: the first update of each
    # queues a job in the measured run (the warm-up uses other residents).
    warm_bodies = [
        json.dumps(fake.resident_message(60000 + i, f"Привет {i}")).encode()
        for i in range(warm)
    ]
    bodies = [
        json.dumps(fake.resident_message(80000 + i % 500, f"Сообщение {i}")).encode()
        for i in range(count)
    ]

    def post_warm(index):
        return (
            http().post(webhook, data=warm_bodies[index], headers=headers, timeout=30)
        ).status_code

    def post(index):
        return (
            http().post(webhook, data=bodies[index], headers=headers, timeout=30)
        ).status_code

    open_loop(post_warm, warm, rate)
    TIMELINE.clear()
    report(
        "MAX webhook (stores, queues)", *open_loop(post, count, rate), floor=manifest
    )
    if os.environ.get("BENCH_DUMP"):
        Path(os.environ["BENCH_DUMP"]).write_text(json.dumps(sorted(TIMELINE)))
    print(
        f"  (against /web/health: see the p50/p99 above; floor {health[0]:.2f} / "
        f"{health[1]:.2f} ms)",
        flush=True,
    )
    if telegram_url:
        telegram_headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": "bench-telegram-secret",
        }

        def post_telegram(index):
            return (
                http()
                .post(
                    telegram_url,
                    data=json.dumps(telegram_update(index)),
                    headers=telegram_headers,
                    timeout=30,
                )
                .status_code
            )

        open_loop(lambda i: post_telegram(count + i), warm, rate)
        report(
            "mail_gateway_telegram (synchronous)",
            *open_loop(post_telegram, count, rate),
            floor=manifest,
        )
    elif telegram_url is None:
        print("  mail_gateway_telegram: not installed, not measured", flush=True)


def queue_empty(env):
    env.invalidate_all()
    busy = env["queue.job"].search_count(
        [("state", "in", ("pending", "enqueued", "started", "wait_dependencies"))]
    )
    pending = env["max.update"].search_count([("state", "=", "pending")])
    return busy == 0 and pending == 0


def part_duplicates(registry, server, tools, webhook, secret, count):
    fake = tools.fake_max.FakeMax(TOKEN)
    residents = max(1, count // 10)
    updates = [
        fake.resident_message(90000 + i % residents, f"Сообщение {i}")
        for i in range(count)
    ]
    deliveries = [json.dumps(u).encode() for u in updates] * 2
    random.Random(8).shuffle(deliveries)
    headers = {"Content-Type": "application/json", "X-Max-Bot-Api-Secret": secret}
    print(
        f"(b) {count} updates from {residents} residents, each delivered twice, "
        "16 senders, job runner on",
        flush=True,
    )
    local = threading.local()

    def post(body):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s.post(webhook, data=body, headers=headers, timeout=60).status_code

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(post, deliveries))
    delivered = time.perf_counter() - started
    print(
        f"  delivered {len(deliveries)} in {delivered:.1f} s "
        f"({len(deliveries) / delivered:.0f}/s): "
        f"{ {code: statuses.count(code) for code in set(statuses)} }",
        flush=True,
    )
    with registry.cursor() as cr:
        env = superuser_env(cr)
        while not queue_empty(env):
            cr.commit()  # see the runner's work
            time.sleep(2)
        elapsed = time.perf_counter() - started
        done = env["max.update"].search_count([("state", "=", "done")])
        failed = env["max.update"].search_count([("state", "=", "failed")])
        comments = env["mail.message"].search_count(
            [("gateway_type", "=", "max"), ("model", "=", "helpdesk.ticket")]
        )
        jobs_failed = env["queue.job"].search_count([("state", "=", "failed")])
    print(
        f"  processed {done} updates (failed {failed}), {comments} resident "
        f"messages in tickets; queue empty after {elapsed:.1f} s; failed jobs "
        f"{jobs_failed}; exactly once: {done == count and comments == count}",
        flush=True,
    )


def fuzzed(rng, fake, tools, index):
    """A delivery: (body bytes, secret ok, expected to be stored)."""
    valid = fake.resident_message(70000 + index % 300, f"Фраза {index}")
    choice = rng.random()
    if choice < 0.15:
        body = json.dumps(valid).encode()
    elif choice < 0.30:
        data = json.loads(json.dumps(valid))
        target = rng.choice([data, data["message"], data["message"]["body"]])
        target.pop(rng.choice(list(target)), None)
        body = json.dumps(data).encode()
    elif choice < 0.45:
        data = json.loads(json.dumps(valid))
        target = rng.choice(
            [data, data["message"], data["message"]["body"], data["message"]["sender"]]
        )
        key = rng.choice(list(target))
        target[key] = rng.choice(
            [None, 1, -1, 2**70, "x", True, [], {}, [1, "a"], {"a": {}}, 1.5]
        )
        body = json.dumps(data).encode()
    elif choice < 0.55:
        raw = json.dumps(valid).encode()
        body = raw[: rng.randrange(len(raw))]
    elif choice < 0.65:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
    elif choice < 0.70:
        body = b"[" * 50000 + b"]" * 50000
    elif choice < 0.75:
        body = json.dumps({"update_type": "x" * 10000, "timestamp": 1}).encode()
    elif choice < 0.80:
        body = b'{"a": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    elif choice < 0.90:
        return json.dumps(valid).encode(), False
    else:
        data = json.loads(json.dumps(valid))
        data["update_type"] = rng.choice(
            ["message_created", "message_callback", "bot_started", "chat_title_changed"]
        )
        body = json.dumps(data).encode()
    return body, True


def expected_stored(tools, body):
    """The key under which a delivery is kept, or None: a JSON object that
    cannot be read is kept too (failed), unknown types and group events are
    not."""
    updates = tools.max_updates
    try:
        data = updates.read_body(body)
    except updates.UpdateError:
        return None
    try:
        update = updates.parse_update(data)
    except (updates.UpdateError, TypeError, ValueError):
        return updates.dedup_key(data)
    if not update.known or update.update_type in updates.GROUP_EVENTS:
        return None
    if update.chat_type in ("chat", "channel"):
        chat = update.chat_id
    else:
        chat = update.user.user_id if update.user else update.chat_id
    return update.key if chat is not None else None


def part_fuzz(registry, server, tools, webhook, secret, count):
    rng = random.Random(2026)
    fake = tools.fake_max.FakeMax(TOKEN)
    cases = [fuzzed(rng, fake, tools, i) for i in range(count)]
    with registry.cursor() as cr:
        env = superuser_env(cr)
        before = env["max.update"].search_count([])
        before_keys = set(env["max.update"].search([]).mapped("dedup_key"))
    expected = {
        key
        for body, secret_ok in cases
        if secret_ok and (key := expected_stored(tools, body))
    } - before_keys
    local = threading.local()

    def post(case):
        body, secret_ok = case
        if not hasattr(local, "s"):
            local.s = requests.Session()
        headers = {
            "Content-Type": "application/json",
            "X-Max-Bot-Api-Secret": secret if secret_ok else "forged-secret",
        }
        try:
            response = local.s.post(webhook, data=body, headers=headers, timeout=60)
        except requests.RequestException as error:
            return error.__class__.__name__, ""
        return response.status_code, response.text

    print(f"(c) {count} fuzzed deliveries, 8 senders", flush=True)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, cases))
    elapsed = time.perf_counter() - started
    statuses = [status for status, _text in results]
    tracebacks = sum("Traceback" in text for _status, text in results)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        stored = env["max.update"].search_count([]) - before
    codes = {code: statuses.count(code) for code in sorted(set(statuses), key=str)}
    print(
        f"  in {elapsed:.1f} s: {codes}; 5xx: "
        f"{sum(isinstance(s, int) and s >= 500 for s in statuses)}; tracebacks "
        f"returned: {tracebacks}; stored {stored}, expected {len(expected)} "
        f"(the valid, distinct ones): {stored == len(expected)}",
        flush=True,
    )


def post_replies(registry, gateway_id, count, residents, run):
    """``count`` staff replies on the tickets of ``residents`` bot users,
    committed at once; returns their texts."""
    with registry.cursor() as cr:
        env = superuser_env(cr)
        gateway = env["mail.gateway"].browse(gateway_id)
        tickets = []
        for index in range(residents):
            user_id = 300000 + run * 10000 + index
            partner = env["res.partner"].create({"name": f"Жилец {run}-{index}"})
            dialog = env["max.dialog"].create(
                {
                    "name": partner.name,
                    "gateway_id": gateway.id,
                    "max_user_id": str(user_id),
                    "max_chat_id": str(user_id),
                    "partner_id": partner.id,
                }
            )
            values = gateway._max_ticket_values(f"Заявка {run}-{index}", "Течёт")
            values.update(partner_id=partner.id, max_dialog_id=dialog.id)
            tickets.append(env["helpdesk.ticket"].create(values))
        texts = [f"Ответ {run}-{index}" for index in range(count)]
        for index, text in enumerate(texts):
            tickets[index % residents].message_post(
                body=text, message_type="comment", subtype_xmlid="mail.mt_comment"
            )
    return texts


def outbox_counts(registry, first_id=0):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM max_outbox WHERE id > %s GROUP BY state",
            [first_id],
        )
        return dict(cr.fetchall())


def last_outbox_id(registry):
    with registry.cursor() as cr:
        cr.execute("SELECT coalesce(max(id), 0) FROM max_outbox")
        return cr.fetchone()[0]


def kill_a_sending_worker(registry):
    """``kill -9`` the worker process running a send job (None if none
    runs right now)."""
    with registry.cursor() as cr:
        cr.execute(
            """SELECT worker_pid, uuid FROM queue_job
                WHERE state = 'started' AND method_name = '_job_send_lane'
                  AND worker_pid IS NOT NULL LIMIT 1"""
        )
        row = cr.fetchone()
    if not row:
        return None
    try:
        os.kill(row[0], signal.SIGKILL)
    except ProcessLookupError:
        return None
    return row


def one_replies_run(registry, args, gateway_id, count, run, faults):
    control(args.fake, "reset")
    control(args.fake, "chaos", {"share": 0.3 if faults else 0, "seed": run})
    port = free_port()
    # The server is up before the replies are committed: the time measured
    # is the sending, not Odoo's start.
    server = OdooServer(args.config, port, "root:4", workers=2)
    killed = None
    first_id = last_outbox_id(registry)
    try:
        texts = post_replies(registry, gateway_id, count, max(1, count // 10), run)
        started = time.perf_counter()
        while True:
            counts = outbox_counts(registry, first_id)
            waiting = counts.get("queued", 0) + counts.get("sending", 0)
            if faults and not killed and counts.get("sent", 0) >= count // 3:
                killed = kill_a_sending_worker(registry)
                if killed:
                    print(
                        f"  kill -9 of worker {killed[0]} while it sent (job "
                        f"{killed[1][:8]}), {counts.get('sent', 0)} sent so far",
                        flush=True,
                    )
            if not waiting:
                break
            if time.perf_counter() - started > args.timeout:
                print(f"  NOT DRAINED after {args.timeout} s: {counts}", flush=True)
                break
            time.sleep(0.5)
        drained = time.perf_counter() - started
    finally:
        server.stop()
    result = control(args.fake, "counts")
    seen = result["counts"]
    per_reply = [seen.get(text, 0) for text in texts]
    exact = sum(1 for n in per_reply if n == 1)
    states = outbox_counts(registry, first_id)
    print(
        f"  {'faults' if faults else 'no faults'}: {count} replies drained in "
        f"{drained:.1f} s; deliveries per reply: min {min(per_reply)}, max "
        f"{max(per_reply)}, exactly once {exact}/{count}; outbox {states}; "
        f"MAX calls {result['calls']}, answered 429/5xx {result['chaos_answers']}"
        + (f"; worker killed: {'yes' if killed else 'NO'}" if faults else ""),
        flush=True,
    )
    return drained, exact == count


def part_replies(registry, args, gateway_id, count):
    print(
        f"(d) {count} staff replies to {max(1, count // 10)} residents, 2 Odoo "
        "workers, job runner on",
        flush=True,
    )
    calm, calm_ok = one_replies_run(registry, args, gateway_id, count, 1, False)
    bad, bad_ok = one_replies_run(registry, args, gateway_id, count, 2, True)
    print(
        f"  ratio with faults / without: {bad / calm:.2f}; every reply delivered "
        f"exactly once in both runs: {calm_ok and bad_ok}",
        flush=True,
    )


def part_storm(registry, args, tools, webhook, secret, port):
    """(f) ``count`` updates POSTed as fast as a prefork server (2 workers)
    takes them, its job runner on: the time until every one is processed,
    every resident has their ticket and every answer of the bot reached
    MAX; messages per second drained, everything counted."""
    count = args.storm
    fake = tools.fake_max.FakeMax(TOKEN)
    residents = max(1, count // 4)
    # Residents of their own: the other parts' dialogs are not counted.
    first_user = 500000
    updates = [
        json.dumps(
            fake.resident_message(first_user + i % residents, f"Шторм {i}")
        ).encode()
        for i in range(count)
    ]
    headers = {"Content-Type": "application/json", "X-Max-Bot-Api-Secret": secret}
    control(args.fake, "reset")
    with registry.cursor() as cr:
        cr.execute("SELECT coalesce(max(id), 0) FROM max_update")
        first_update = cr.fetchone()[0]
        cr.execute("SELECT coalesce(max(id), 0) FROM max_outbox")
        first_outbox = cr.fetchone()[0]
    print(
        f"(f) storm: {count} updates from {residents} residents POSTed by "
        f"{args.storm_senders} senders as fast as a prefork server (2 workers) "
        f"takes them, job runner on ({args.storm_channels})",
        flush=True,
    )
    server = OdooServer(args.config, port, args.storm_channels, workers=2)
    local = threading.local()

    def post(body):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        try:
            return local.s.post(
                webhook,
                data=body,
                headers=headers,
                timeout=120,
            ).status_code
        except requests.RequestException as error:
            return error.__class__.__name__

    try:
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.storm_senders) as pool:
            statuses = list(pool.map(post, updates))
        posted = time.perf_counter() - started
        codes = {code: statuses.count(code) for code in sorted(set(statuses), key=str)}
        print(
            f"  POSTed {count} in {posted:.1f} s ({count / posted:.0f}/s): {codes}",
            flush=True,
        )
        processed = None
        while True:
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT state, count(*) FROM max_update WHERE id > %s "
                    "GROUP BY state",
                    [first_update],
                )
                states = dict(cr.fetchall())
                cr.execute(
                    "SELECT count(*) FROM max_outbox WHERE id > %s "
                    "AND state IN ('queued', 'sending')",
                    [first_outbox],
                )
                waiting = cr.fetchone()[0]
                cr.execute(
                    "SELECT count(*) FROM queue_job WHERE state IN "
                    "('pending', 'enqueued', 'started', 'wait_dependencies')"
                )
                busy = cr.fetchone()[0]
            if not states.get("pending") and processed is None:
                processed = time.perf_counter() - started
            if not states.get("pending") and not waiting and not busy:
                break
            if time.perf_counter() - started > args.timeout:
                print(
                    f"  NOT DRAINED after {args.timeout} s: updates {states}, "
                    f"outbox waiting {waiting}, jobs busy {busy}",
                    flush=True,
                )
                break
            time.sleep(0.5)
        drained = time.perf_counter() - started
    finally:
        server.stop()
    with registry.cursor() as cr:
        env = superuser_env(cr)
        users = [str(first_user + i) for i in range(residents)]
        dialogs = env["max.dialog"].search([("max_user_id", "in", users)])
        tickets = env["helpdesk.ticket"].search_count(
            [("max_dialog_id", "in", dialogs.ids)]
        )
        comments = env["mail.message"].search_count(
            [
                ("gateway_type", "=", "max"),
                ("model", "=", "helpdesk.ticket"),
                ("body", "like", "Шторм"),
            ]
        )
        cr.execute(
            "SELECT state, count(*) FROM max_outbox WHERE id > %s GROUP BY state",
            [first_outbox],
        )
        outbox = dict(cr.fetchall())
        jobs_failed = env["queue.job"].search_count([("state", "=", "failed")])
        pace = (
            env["mail.gateway"]
            .search([("name", "=", "Bench MAX bot")], limit=1)
            .max_rate
        )
    result = control(args.fake, "state")
    per_resident = {}
    for user in range(first_user, first_user + residents):
        dialog = control(args.fake, "dialog", {"user_id": user})["entries"]
        per_resident[user] = sum(1 for e in dialog if e["who"] == "bot")
    unanswered = sum(1 for n in per_resident.values() if n == 0)
    done = states.get("done", 0)
    sent = outbox.get("sent", 0)
    answers_lost = sent != sum(outbox.values()) or unanswered
    print(
        f"  every update processed (tickets opened, messages in them) "
        f"{processed or drained:.1f} s after the first POST: "
        f"{count / (processed or drained):.1f} messages/s",
        flush=True,
    )
    print(
        f"  drained in {drained:.1f} s: {count / drained:.1f} messages/s "
        f"(POSTing included; the bot's {sent} answers leave at its pace, "
        f"{pace}/s at most); updates {states}; "
        f"tickets {tickets}/{residents}; "
        f"resident messages in tickets {comments}/{count}; outbox {outbox}; "
        f"residents the bot answered {residents - unanswered}/{residents}; "
        f"failed jobs {jobs_failed}; invalid calls to MAX "
        f"{len(result['invalid'])}; nothing lost: "
        f"{done == count and tickets == residents and comments == count}"
        f"{', ANSWERS LOST' if answers_lost else ''}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument(
        "--replies", type=int, default=0, help="replies in (d) (default: count)"
    )
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--parts",
        default="latency,prefork,duplicates,fuzz,replies,storm",
        help="comma-separated",
    )
    parser.add_argument(
        "--timeout", type=int, default=1800, help="seconds (d), (f) may take to drain"
    )
    parser.add_argument(
        "--prefork-rate", type=int, default=50, help="requests/s of (e)"
    )
    parser.add_argument("--storm", type=int, default=3600, help="updates of (f)")
    parser.add_argument(
        "--storm-senders", type=int, default=8, help="concurrent senders of (f)"
    )
    parser.add_argument(
        "--storm-channels",
        default="root:2,root.max:1,root.max_send:1",
        help="queue_job channels of (f): the deployment guide's split (the "
        "updates received apart from the sends) by default; root:2 to share",
    )
    args = parser.parse_args()
    tools = load_tools()
    control(args.fake, "reset")
    registry = registry_of(args.config)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        webhook, secret = setup(env, args.fake, base_url)
        telegram_url = telegram_setup(env, base_url)
    parts = args.parts.split(",")
    if "latency" in parts:
        # Jobs wait: the webhook alone is measured (the runner is off).
        server = OdooServer(args.config, port, "root:0")
        try:
            part_latency(server, tools, webhook, secret, telegram_url, args.seconds)
        finally:
            server.stop()
    if "prefork" in parts:
        # (e) As (a), against Odoo's prefork server: 2 HTTP workers, each
        # request served by one process at a time; the runner is off.
        server = OdooServer(args.config, port, "root:0", workers=2)
        try:
            part_latency(
                server,
                tools,
                webhook,
                secret,
                False,
                args.seconds,
                rate=args.prefork_rate,
                label="(e) prefork, 2 workers:",
            )
        finally:
            server.stop()
    if {"latency", "prefork"} & set(parts):
        with registry.cursor() as cr:
            # Start (b) from an empty queue.
            cr.execute("DELETE FROM queue_job")
            cr.execute("DELETE FROM max_update")
    if "duplicates" in parts:
        server = OdooServer(args.config, port, "root:2")
        try:
            part_duplicates(registry, server, tools, webhook, secret, args.count)
        finally:
            server.stop()
    if "fuzz" in parts:
        server = OdooServer(args.config, port, "root:0")
        try:
            part_fuzz(registry, server, tools, webhook, secret, args.count)
        finally:
            server.stop()
    if "replies" in parts:
        with registry.cursor() as cr:
            gateway_id = (
                superuser_env(cr)["mail.gateway"]
                .search([("name", "=", "Bench MAX bot")], limit=1)
                .id
            )
        part_replies(registry, args, gateway_id, args.replies or args.count)
    if "storm" in parts:
        part_storm(registry, args, tools, webhook, secret, port)


if __name__ == "__main__":
    main()
