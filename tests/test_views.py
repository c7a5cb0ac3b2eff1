# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import datetime

from lxml import etree

from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import GisCase


@tagged("post_install", "-at_install")
class TestViews(GisCase):
    def filter_domain(self, name):
        arch = self.env["helpdesk.ticket"].get_view(view_type="search")["arch"]
        node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0]
        return safe_eval(
            node.get("domain"),
            {"context_today": datetime.date.today},
        )

    def test_search_filters(self):
        today = datetime.date.today()
        base = self.appeals(4)
        appeals = [
            dataclasses.replace(
                base[0], execution_end_date=today - datetime.timedelta(days=1)
            ),
            dataclasses.replace(base[1], execution_end_date=today),
            dataclasses.replace(
                base[2], execution_end_date=today + datetime.timedelta(days=3)
            ),
            dataclasses.replace(
                base[3],
                execution_end_date=today - datetime.timedelta(days=2),
                status="withdrawn",
                raw_status="Withdrawn",
                withdrawn=True,
            ),
        ]
        self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        plain = self.env["helpdesk.ticket"].create(
            {"name": "Phone call", "description": "x"}
        )
        tickets = {t.gis_appeal_guid: t for t in self.tickets()}
        ticket_model = self.env["helpdesk.ticket"]

        def found(name):
            return ticket_model.search(
                self.filter_domain(name)
                + [("id", "in", [*[t.id for t in tickets.values()], plain.id])]
            )

        self.assertEqual(len(found("from_gis")), 4)
        self.assertNotIn(plain, found("from_gis"))
        # The withdrawn one sits in a closed stage: its deadline no longer counts.
        self.assertEqual(found("gis_deadline_passed"), tickets[appeals[0].guid])
        self.assertEqual(found("gis_deadline_today"), tickets[appeals[1].guid])
        self.assertEqual(found("gis_withdrawn"), tickets[appeals[3].guid])

    def test_forms_and_lists_load(self):
        self.env["gis.appeal.import"]._import_appeals(self.backend, self.appeals(1))
        ticket = self.tickets()
        with Form(ticket) as form:
            form.gis_premise_number = "15"
        self.assertEqual(ticket.gis_premise_number, "15")
        for model in (
            "gis.zhkh.backend",
            "gis.zhkh.message",
            "gis.appeal.theme",
            "gis.zhkh.house",
        ):
            for view_type in ("list", "form", "search"):
                if model == "gis.appeal.theme" and view_type == "form":
                    continue
                self.assertTrue(self.env[model].get_view(view_type=view_type)["arch"])
        self.assertEqual(Form(self.backend).name, self.backend.name)
