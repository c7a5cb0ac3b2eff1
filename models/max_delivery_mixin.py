# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One MAX message sent exactly once, whatever happens to the job sending it.

MAX has no idempotency key: a message POSTed twice is shown twice. So each
outgoing message is a record, and its fate is committed in transactions of
its own around the call:

1. ``sending`` is committed before the call (with the time it started);
2. the call;
3. ``sent`` (with MAX's message id), ``queued`` again (MAX said "later" or
   "not with this token") or ``failed`` is committed after it.

A retried job, a worker killed at ``limit_time_real`` or a serialization
failure of the job's own transaction then finds the record as MAX left it:
``sent`` is never sent again; ``queued`` is sent; ``sending`` means the
answer was never read. Once no answer can still come (``GRACE_SECONDS``),
the sender asks MAX for the chat's latest messages: found, the record is
``sent``; not found, MAX never took it and it is sent. Only one job sends a
chat's messages at a time (an advisory lock), in the order they were made.
"""

import datetime
import logging
import math
from collections import Counter

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools.max_errors import (
    MaxApiError,
    MaxAuthError,
    MaxError,
    MaxPaceWait,
    MaxPaused,
    MaxTransportError,
)
from .max_sending import own_transaction

_logger = logging.getLogger(__name__)

# Longer than the client's read timeout (30 s): an answer this late never
# comes, so MAX either took the message by then or never will.
GRACE_SECONDS = 45
# A message MAX keeps answering "later" to is given up after this many
# attempts (about 3 hours with the back-off below: quick at first, as a
# single 5xx usually passes at once), with its reason.
BACKOFF = (5, 15, 60, 180, 600, 1800, 3600, 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
# MAX's clock and ours: a message MAX dates a little before our "sending".
CLOCK_SKEW = datetime.timedelta(minutes=2)
# Tables whose records hold MAX message ids of sent messages.
SENT_TABLES = ("max_outbox", "max_broadcast_line")
STATES = [
    ("queued", "Waiting"),
    ("sending", "Being sent"),
    ("sent", "Delivered"),
    ("failed", "Not delivered"),
]


class MaxHold(Exception):
    """Not now: come back in ``seconds`` (MAX said "later", or an answer
    may still come)."""

    def __init__(self, seconds, reason):
        super().__init__(reason)
        self.seconds = max(1.0, float(seconds or 1.0))


def backoff(attempts):
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def refused_token(error):
    return isinstance(error, MaxAuthError) or (
        isinstance(error, MaxApiError) and error.status == 401
    )


class MaxDeliveryMixin(models.AbstractModel):
    _name = "max.delivery.mixin"
    _description = "MAX message sent exactly once"

    state = fields.Selection(
        STATES, default="queued", required=True, index=True, readonly=True
    )
    attempts = fields.Integer(readonly=True, help="Calls made to send it.")
    sending_since = fields.Datetime(
        readonly=True, help="When the latest attempt to send it started."
    )
    sent_at = fields.Datetime(readonly=True)
    max_message_id = fields.Char(string="MAX message ID", readonly=True)
    error = fields.Char(readonly=True)

    # -- what a model of messages says --

    def _max_refusal(self):
        """A reason not to call at all (the resident stopped the bot), or
        an empty string."""
        return ""

    def _max_check_chat(self):
        """The chat whose latest messages show whether MAX took this one, or
        None when it cannot be checked."""
        raise NotImplementedError()

    def _max_text(self):
        """The text MAX shows for this message (to recognise it)."""
        raise NotImplementedError()

    def _max_call(self, client):
        """Make the call; return the message MAX created (or {})."""
        raise NotImplementedError()

    def _max_after_sent(self, message):
        """Learn from the message MAX created (in the job's transaction):
        the dialog's chat, where a lost answer is looked for."""
        dialog = self["dialog_id"] if "dialog_id" in self._fields else None
        chat_id = ((message or {}).get("recipient") or {}).get("chat_id")
        if dialog and not dialog.max_chat_id and isinstance(chat_id, int):
            dialog.sudo().max_chat_id = str(chat_id)

    # -- committed in transactions of their own --

    def _max_fresh(self):
        """``(state, sending_since, attempts)`` as committed now."""
        self.ensure_one()
        with own_transaction(self.env) as cr:
            cr.execute(
                SQL(
                    "SELECT state, sending_since, attempts FROM %s WHERE id = %s",
                    SQL.identifier(self._table),
                    self.id,
                )
            )
            row = cr.fetchone()
        state, since, attempts = row or (None, None, 0)
        return state, since, attempts or 0

    def _max_claim(self, state, since):
        """``sending`` if still ``state``/``since`` (nobody else moved it);
        returns whether this sender owns the call."""
        with own_transaction(self.env) as cr:
            cr.execute(
                SQL(
                    """UPDATE %s SET state = 'sending',
                              sending_since = now() at time zone 'UTC',
                              attempts = coalesce(attempts, 0) + 1,
                              write_date = now() at time zone 'UTC'
                        WHERE id = %s AND state = %s
                          AND sending_since IS NOT DISTINCT FROM %s
                    RETURNING id""",
                    SQL.identifier(self._table),
                    self.id,
                    state,
                    since,
                )
            )
            claimed = bool(cr.fetchone())
        self.invalidate_recordset(["state", "sending_since", "attempts"])
        return claimed

    def _max_settle(self, **values):
        values["write_date"] = fields.Datetime.now()
        if values.get("error"):
            values["error"] = str(values["error"])[:250]
        with own_transaction(self.env) as cr:
            cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE id = %s",
                    SQL.identifier(self._table),
                    SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(name), value)
                        for name, value in values.items()
                    ),
                    self.id,
                )
            )
        self.invalidate_recordset(list(values))

    # -- the protocol --

    def _max_deliver_all(self, gateway, client):
        """Send these messages in order, each once. Returns ``(outcomes,
        pause reason or "")``: MAX refused the token, the rest waits for
        *Resume sending*. Raises ``RetryableJobError`` to come back when MAX
        says "later" (not counted as a failed try of the job)."""
        outcomes = Counter()
        try:
            for record in self:
                outcomes[record._max_deliver(gateway, client)] += 1
        except MaxPaused as paused:
            return outcomes, str(paused)
        except MaxHold as hold:
            raise RetryableJobError(
                str(hold), seconds=math.ceil(hold.seconds), ignore_retry=True
            ) from None
        return outcomes, ""

    def _max_deliver(self, gateway, client):
        """Send this message once. Returns ``"sent"``, ``"failed"`` or
        ``"skipped"`` (settled already); raises ``MaxHold`` to be called
        again later, ``MaxPaused`` when MAX refused the bot's token."""
        self.ensure_one()
        state, since, attempts = self._max_fresh()
        if state not in ("queued", "sending"):
            return "skipped"
        refusal = self._max_refusal()
        if refusal:
            self._max_settle(state="failed", error=refusal)
            return "failed"
        if state == "sending":
            age = (fields.Datetime.now() - since).total_seconds()
            if age < GRACE_SECONDS:
                raise MaxHold(
                    GRACE_SECONDS - age, "An answer of MAX to an earlier send may come"
                )
            try:
                found = self._max_find_sent(client, since)
            except MaxError as error:
                found = self._max_check_failed(gateway, error)
            if found is False:
                self._max_settle(
                    state="failed",
                    error=self.env._(
                        "MAX may have shown this message: its answer was lost and "
                        "the chat cannot be checked. Look in MAX before sending it "
                        "again."
                    ),
                )
                return "failed"
            if found:
                self._max_settle(
                    state="sent", sent_at=fields.Datetime.now(), max_message_id=found
                )
                _logger.info("MAX %s %s: found sent, not again", self._name, self.id)
                return "sent"
        if not self._max_claim(state, since):
            return "skipped"
        try:
            message = self._max_call(client)
        except MaxError as error:
            return self._max_after_error(gateway, client, error, attempts + 1)
        body = (message or {}).get("body") or {}
        self._max_settle(
            state="sent",
            sent_at=fields.Datetime.now(),
            max_message_id=body.get("mid") or None,
            error=None,
        )
        self._max_after_sent(message or {})
        return "sent"

    def _max_check_failed(self, gateway, error):
        """MAX could not say whether it took the message: the record stays
        ``sending`` (and is checked again later), unless MAX will never say
        (False: the chat cannot be checked)."""
        if isinstance(error, MaxPaused):
            raise error
        if refused_token(error):
            reason = gateway._max_refused_text(error)
            self.env["max.sending"]._pause(gateway.id, reason)
            raise MaxPaused(reason) from error
        if getattr(error, "rate_limited", False) and error.retry_after:
            self.env["max.sending"]._hold(gateway.id, error.retry_after)
        if error.transient:
            raise MaxHold(error.retry_after or GRACE_SECONDS, str(error)) from error
        return False

    def _max_after_error(self, gateway, client, error, attempts):
        """Settle after the call failed with ``error``."""
        if isinstance(error, MaxTransportError):
            # The call may have reached MAX: whether it took it is checked
            # once no answer can still come. The record stays "sending".
            raise MaxHold(GRACE_SECONDS, str(error)) from error
        if isinstance(error, MaxPaused):
            self._max_settle(state="queued", attempts=max(0, attempts - 1))
            raise error
        if isinstance(error, MaxPaceWait) or getattr(error, "rate_limited", False):
            # Nothing was taken: not an attempt.
            seconds = error.retry_after or backoff(1)
            if not isinstance(error, MaxPaceWait):
                self.env["max.sending"]._hold(gateway.id, seconds)
            self._max_settle(state="queued", attempts=max(0, attempts - 1))
            raise MaxHold(seconds, str(error)) from error
        if refused_token(error) or self._max_token_refused(client, error):
            reason = gateway._max_refused_text(error)
            self._max_settle(state="queued", attempts=max(0, attempts - 1))
            self.env["max.sending"]._pause(gateway.id, reason)
            raise MaxPaused(reason) from error
        if error.transient and attempts < MAX_ATTEMPTS:
            self._max_settle(state="queued", error=str(error))
            raise MaxHold(error.retry_after or backoff(attempts), str(error)) from error
        _logger.warning(
            "MAX %s %s not delivered after %s attempt(s): %s",
            self._name,
            self.id,
            attempts,
            error,
        )
        self._max_settle(state="failed", error=gateway._max_error_text(error))
        return "failed"

    def _max_token_refused(self, client, error):
        """A 403 says "not to this chat" or "not with this token": the
        token is asked about (``GET /me``) to tell them apart."""
        if not (isinstance(error, MaxApiError) and error.status == 403):
            return False
        try:
            client.get_me()
        except MaxError as check:
            return refused_token(check) or (
                isinstance(check, MaxApiError) and check.status == 403
            )
        return False

    def _max_find_sent(self, client, since):
        """MAX's id of this message if MAX shows it in the chat since
        ``since``; None if it does not (MAX never took it); False if the
        chat cannot be checked."""
        chat_id = self._max_check_chat()
        if not chat_id:
            return False
        text = (self._max_text() or "").strip()
        earliest = int((since - CLOCK_SKEW).replace(tzinfo=datetime.UTC).timestamp())
        candidates = [
            message
            for message in reversed(client.get_messages(chat_id, count=100))
            if ((message.get("sender") or {}).get("is_bot"))
            and (message.get("timestamp") or 0) // 1000 >= earliest
            and ((message.get("body") or {}).get("text") or "").strip() == text
            and (message.get("body") or {}).get("mid")
        ]
        if not candidates:
            return None
        mids = [message["body"]["mid"] for message in candidates]
        known = self._max_known_mids(mids)
        return next((mid for mid in mids if mid not in known), None)

    @api.model
    def _max_known_mids(self, mids):
        """Those of ``mids`` a sent record holds already."""
        with own_transaction(self.env) as cr:
            cr.execute(
                SQL(" UNION ").join(
                    SQL(
                        "SELECT max_message_id FROM %s WHERE max_message_id = ANY(%s)",
                        SQL.identifier(table),
                        list(mids),
                    )
                    for table in SENT_TABLES
                )
            )
            return {row[0] for row in cr.fetchall()}
