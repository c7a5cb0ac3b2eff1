# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
from unittest import mock

from odoo.tests import tagged

from ..models import gis_zhkh_backend_connection
from ..tools import gis_xml_parse
from .common import GisCase


@tagged("post_install", "-at_install")
class TestLighterCalls(GisCase):
    def queries(self, function):
        """How many SQL queries ``function`` runs, from a flushed, empty
        record cache (registry caches warmed by a first run)."""
        function()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        function()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_history_notes_logged_in_one_batch(self):
        history = [
            gis_xml_parse.HistoryEntry(
                change_date=self.days_ago(1),
                kind="rolled_over",
                data={"execution_date": "2026-12-31", "comment": "Нужна экспертиза"},
            )
        ]
        appeals = [dataclasses.replace(a, history=history) for a in self.appeals(5)]
        ticket_class = type(self.env["helpdesk.ticket"])
        original = ticket_class.message_post

        def message_post(this, *args, **kwargs):
            # helpdesk_mgmt posts its "ticket created" message; ours are logged.
            if "GIS ZhKKh reports" in str(kwargs.get("body")):
                raise AssertionError("one message_post per ticket")
            return original(this, *args, **kwargs)

        with mock.patch.object(ticket_class, "message_post", message_post):
            stats = self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        self.assertEqual(stats["created"], 5)
        notes = self.tickets().message_ids.filtered(
            lambda m: "GIS ZhKKh reports" in (m.body or "")
        )
        self.assertEqual(len(notes), 5)
        self.assertIn("Нужна экспертиза", notes[0].body)

    def test_rule_matching_does_not_query_per_rule(self):
        tickets = self.env["helpdesk.ticket"].create(
            [
                {"name": f"Request {n}", "description": "x", "team_id": self.team.id}
                for n in range(3)
            ]
        )
        categories = self.env["helpdesk.ticket.category"].create(
            [{"name": f"Category {n}"} for n in range(6)]
        )
        rules = self.env["helpdesk.deadline.rule"].create(
            [
                {
                    "name": f"Rule {n}",
                    "category_ids": [(6, 0, category.ids)],
                    "milestone_ids": [(0, 0, {"name": "Answer", "duration": 3})],
                }
                for n, category in enumerate(categories)
            ]
        )
        sync = self.env["helpdesk.ticket.deadline"]._sync_tickets
        rules[2:].active = False
        few = self.queries(lambda: sync(tickets))
        rules[2:].active = True
        many = self.queries(lambda: sync(tickets))
        self.assertEqual(few, many)

    def test_connection_counts_do_not_query_per_connection(self):
        self.run_import()
        backends = self.backend | self.backend.copy(
            {"name": "Second", "org_ppa_guid": "1c9e6679-7425-40de-944b-e07fc1f90ae7"}
        )
        backends |= backends[1].copy(
            {"name": "Third", "org_ppa_guid": "2c9e6679-7425-40de-944b-e07fc1f90ae7"}
        )
        fields = ["last_message_id", "last_created_count", "ticket_count"]
        one = self.queries(lambda: self.backend.read(fields))
        three = self.queries(lambda: backends.read(fields))
        self.assertEqual(one, three)
        self.assertEqual(self.backend.last_message_id.state, "done")

    def test_test_connection_fits_in_the_worker_time_limit(self):
        backend_class = type(self.backend)
        for limit in (0, 120, 60, 20):
            with (
                self.subTest(limit=limit),
                mock.patch.dict(
                    gis_zhkh_backend_connection.config.options,
                    {"limit_time_real": limit},
                ),
            ):
                timeout, delays = self.backend._test_connection_plan()
                # The signer, then exportAppeal and every getState, each of
                # which may use its connect and read timeouts in full.
                worst = timeout * (1 + 2 * (1 + len(delays))) + sum(delays)
                self.assertLessEqual(timeout, gis_zhkh_backend_connection.TEST_TIMEOUT)
                if limit:
                    self.assertLessEqual(worst, limit / 2)
                # The test uses these, not the connection's long timeout.
                self.backend.timeout = 300
                with (
                    mock.patch.object(
                        backend_class,
                        "_get_client",
                        autospec=True,
                        side_effect=backend_class._get_client,
                    ) as get_client,
                ):
                    self.backend.action_test_connection()
                self.assertEqual(get_client.call_args.kwargs["timeout"], timeout)
                self.assertLessEqual(sum(self.waits), sum(delays))
                self.waits.clear()
