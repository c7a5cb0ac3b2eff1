# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import time
import uuid

from odoo import api, models
from odoo.tools import config

from ..tools import gis_client
from ..tools.gis_errors import GisError

_logger = logging.getLogger(__name__)

# Test connection: an interactive check, short whatever the connection's
# timeout, and well within the worker's time limit.
TEST_TIMEOUT = 10
TEST_POLL_DELAYS = (1, 2, 3)


def poll_wait(seconds):
    """Wait between the getState calls of a connection test (tests replace
    it: they never sleep)."""
    time.sleep(seconds)


class GisZhkhBackendConnectionTest(models.AbstractModel):
    """The connection's *Test connection* button: a harmless export, answered
    within the worker's time limit. Mixed into ``gis.zhkh.backend``."""

    _name = "gis.zhkh.backend.connection.test"
    _description = "GIS ZhKKh Connection Test"

    @api.model
    def _test_connection_plan(self):
        """(seconds per request and for the signer, getState delays) of a
        connection test: even if the signer and every request use their
        timeouts in full, it ends within half the worker's real-time limit."""
        limit = config.get("limit_time_real") or 0
        delays = TEST_POLL_DELAYS
        if limit <= 0:
            return TEST_TIMEOUT, delays
        budget = limit / 2
        while True:
            # The signer, then exportAppeal and each getState: connect + read.
            calls = 1 + 2 * (1 + len(delays))
            timeout = max(1, min(TEST_TIMEOUT, int((budget - sum(delays)) // calls)))
            if timeout * calls + sum(delays) <= budget or len(delays) == 1:
                return timeout, delays
            delays = delays[:-1]

    def action_test_connection(self):
        """Send a harmless export (an unknown appeal GUID) and wait briefly."""
        self.ensure_one()
        title = self.env._("Test connection")
        timeout, delays = self._test_connection_plan()
        client = self._get_client(timeout=min(timeout, self.sudo().timeout))
        try:
            our_guid, ack = client.export_appeals(appeal_guids=[str(uuid.uuid4())])
            result = client.wait_for_result(
                ack.message_guid, delays=delays, sleep=poll_wait
            )
            if result.done:
                gis_client.check_result(result)
        except GisError as error:
            _logger.warning(
                "GIS ZhKKh connection test of %s failed: %s", self.display_name, error
            )
            return self._notify(title, self._error_text(error), "danger")
        if not result.done:
            return self._notify(
                title,
                self.env._(
                    "GIS ZhKKh accepted the request (MessageGUID %(guid)s) but is "
                    "still processing it: the connection works.",
                    guid=ack.message_guid,
                ),
                "warning",
            )
        return self._notify(
            title,
            self.env._(
                "Connection works: GIS ZhKKh accepted and answered the request "
                "(MessageGUID %(guid)s).",
                guid=our_guid,
            ),
            "success",
        )
