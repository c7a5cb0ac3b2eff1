# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What every worker that calls MAX for a bot must agree on: the pace of
calls (MAX allows 30 per second per bot, whatever the number of workers),
how long MAX asked to be left alone (HTTP 429), and whether sending is
paused because MAX refused the token. Kept in a row of its own per bot and
changed in short transactions of their own, so that no job's rollback
forgets it and no business transaction waits on it."""

import contextlib
import logging

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED, STATUS_READY

from odoo import api, fields, models

from ..tools.max_errors import MaxPaceWait, MaxPaused

_logger = logging.getLogger(__name__)

# A worker waits for its turn this long at most; a longer queue of calls
# re-queues the job instead of holding a worker.
MAX_PACE_SLEEP = 2.0


@contextlib.contextmanager
def own_transaction(env):
    """A short transaction of its own, committed on leaving: what it writes
    stays whatever happens to the caller's transaction (a job retried, a
    worker killed, a serialization failure)."""
    # What the caller's transaction wrote is in the database (tests run the
    # jobs in one transaction, where "own" is a savepoint of it).
    env.flush_all()
    with env.registry.cursor() as cr:
        connection = cr.connection
        if connection.status == STATUS_READY:
            # Counters and compare-and-set updates: after waiting for a
            # concurrent writer, work on its result (not a serialization
            # error, as Odoo's REPEATABLE READ would give). Not in tests,
            # whose cursors are savepoints of one transaction.
            connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
        # Never wait long on a row: these updates touch one row each.
        cr.execute("SET LOCAL lock_timeout = '10s'")
        yield cr


class SharedPace:
    """The client's throttle for one bot, shared by every worker through
    its ``max.sending`` row. ``check_pause``: refuse to call while sending
    is paused (the senders; not a token check, not a download)."""

    def __init__(self, env, gateway_id, rate, sleep, check_pause=False):
        self.env = env
        self.gateway_id = gateway_id
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.sleep = sleep
        self.check_pause = check_pause

    def wait(self):
        delay, hold, paused = self.env["max.sending"]._reserve(
            self.gateway_id, self.interval
        )
        if paused and self.check_pause:
            raise MaxPaused(paused)
        if hold > 0:
            raise MaxPaceWait(
                f"MAX asked to wait {hold:.0f} s (HTTP 429)", retry_after=hold
            )
        if delay > MAX_PACE_SLEEP:
            raise MaxPaceWait(
                f"The bot's pace has no free slot for {delay:.1f} s",
                retry_after=delay,
            )
        if delay > 0:
            self.sleep(delay)


class MaxSending(models.Model):
    _name = "max.sending"
    _description = "MAX bot sending state"
    _rec_name = "gateway_id"

    gateway_id = fields.Many2one(
        "mail.gateway", required=True, ondelete="cascade", readonly=True
    )
    next_slot = fields.Float(
        digits=(16, 6),
        readonly=True,
        help="Seconds since 1970 (database clock) of the next free call slot.",
    )
    hold_until = fields.Datetime(
        readonly=True, help="MAX asked not to be called before this (HTTP 429)."
    )
    paused = fields.Boolean(readonly=True)
    paused_reason = fields.Char(readonly=True)
    paused_at = fields.Datetime(readonly=True)

    _gateway_unique = models.Constraint(
        "UNIQUE(gateway_id)", "One sending state per MAX bot."
    )

    @api.model
    def _ensure(self, cr, gateway_id):
        """The bot's row, made on first use. False while the bot itself is
        not committed yet (made in the caller's transaction): no pace to
        keep for a bot nobody else can use."""
        cr.execute(
            """INSERT INTO max_sending (gateway_id, next_slot, paused,
                   create_uid, write_uid, create_date, write_date)
               SELECT id, 0, false, %s, %s, now() at time zone 'UTC',
                      now() at time zone 'UTC'
                 FROM mail_gateway WHERE id = %s
               ON CONFLICT (gateway_id) DO NOTHING""",
            [self.env.uid, self.env.uid, gateway_id],
        )
        cr.execute("SELECT 1 FROM max_sending WHERE gateway_id = %s", [gateway_id])
        return bool(cr.fetchone())

    @api.model
    def _reserve(self, gateway_id, interval):
        """Take the bot's next call slot: ``(seconds to wait for it, seconds
        MAX asked to be left alone, pause reason or None)``. No slot is
        taken while MAX asks to wait or sending is paused."""
        with own_transaction(self.env) as cr:
            if not self._ensure(cr, gateway_id):
                return 0.0, 0.0, None
            cr.execute(
                """UPDATE max_sending
                      SET next_slot = CASE
                          WHEN paused OR hold_until > now() at time zone 'UTC'
                          THEN next_slot
                          ELSE GREATEST(next_slot,
                                        extract(epoch FROM clock_timestamp()))
                               + %(interval)s END
                    WHERE gateway_id = %(gateway)s
                RETURNING next_slot - %(interval)s
                              - extract(epoch FROM clock_timestamp()),
                          extract(epoch FROM hold_until
                              - (clock_timestamp() at time zone 'UTC')),
                          CASE WHEN paused THEN coalesce(paused_reason, '?') END""",
                {"interval": interval, "gateway": gateway_id},
            )
            delay, hold, paused = cr.fetchone()
        return max(0.0, float(delay or 0)), max(0.0, float(hold or 0)), paused

    @api.model
    def _hold(self, gateway_id, seconds):
        """MAX asked every worker of this bot to wait ``seconds``."""
        with own_transaction(self.env) as cr:
            self._ensure(cr, gateway_id)
            cr.execute(
                """UPDATE max_sending
                      SET hold_until = GREATEST(
                              coalesce(hold_until, now() at time zone 'UTC'),
                              now() at time zone 'UTC'
                              + make_interval(secs => %s)),
                          write_date = now() at time zone 'UTC'
                    WHERE gateway_id = %s""",
                [float(seconds), gateway_id],
            )

    @api.model
    def _pause(self, gateway_id, reason):
        """Stop every sender of this bot at once (MAX refused its token):
        nothing is dropped, everything waits for ``_resume``."""
        with own_transaction(self.env) as cr:
            self._ensure(cr, gateway_id)
            cr.execute(
                """UPDATE max_sending
                      SET paused = true, paused_reason = %s,
                          paused_at = coalesce(paused_at, now() at time zone 'UTC'),
                          write_date = now() at time zone 'UTC'
                    WHERE gateway_id = %s""",
                [(reason or "")[:250], gateway_id],
            )
            # The health panel and the cockpit say so at once (best effort:
            # the health cron, or the caller, may hold the bot's row).
            cr.execute(
                """UPDATE mail_gateway
                      SET health_state = 'down', health_reason = %s,
                          health_down_since = coalesce(
                              health_down_since, now() at time zone 'UTC')
                    WHERE id IN (SELECT id FROM mail_gateway WHERE id = %s
                                 FOR UPDATE SKIP LOCKED)""",
                [(reason or "")[:250], gateway_id],
            )
        self.env["mail.gateway"].browse(gateway_id).invalidate_recordset(
            ["health_state", "health_reason", "health_down_since"]
        )
        _logger.warning("MAX gateway %s: sending paused: %s", gateway_id, reason)

    @api.model
    def _resume(self, gateway_id):
        with own_transaction(self.env) as cr:
            self._ensure(cr, gateway_id)
            cr.execute(
                """UPDATE max_sending
                      SET paused = false, paused_reason = NULL, paused_at = NULL,
                          hold_until = NULL, write_date = now() at time zone 'UTC'
                    WHERE gateway_id = %s""",
                [gateway_id],
            )

    @api.model
    def _status(self, gateway_ids):
        """``{gateway id: (paused reason or None, paused at)}``, as committed
        now (not as this transaction's snapshot saw it)."""
        if not gateway_ids:
            return {}
        with own_transaction(self.env) as cr:
            cr.execute(
                """SELECT gateway_id, CASE WHEN paused THEN paused_reason END,
                          paused_at
                     FROM max_sending WHERE gateway_id = ANY(%s)""",
                [list(gateway_ids)],
            )
            return {row[0]: (row[1], row[2]) for row in cr.fetchall()}
