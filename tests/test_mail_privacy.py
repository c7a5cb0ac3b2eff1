# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses

from odoo.tests import tagged

from .common import GisCase


@tagged("post_install", "-at_install")
class TestMailPrivacy(GisCase):
    """The official answer to a GIS appeal goes through GIS ZhKKh: neither an
    import nor a stage change e-mails the resident behind the organisation's
    back, unless the organisation opts in on the connection."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cancelled = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_cancelled")
        cls.done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        # helpdesk_mgmt's stages mail the customer when a ticket closes.
        assert cls.cancelled.mail_template_id and cls.done.mail_template_id
        cls.backend.withdrawn_stage_id = cls.cancelled

    def end_transaction(self):
        # Tracking, and the stage templates it sends, runs at commit time; a
        # change in the transaction that created a record is not tracked.
        self.env.flush_all()
        self.env.cr.precommit.run()

    def mails_to(self, partner):
        self.end_transaction()
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", partner.ids)]
        ) | self.env["mail.mail"].search([("email_to", "ilike", partner.email)])

    def resident_appeal(self, **changes):
        appeal = self.appeals()[0]
        applicant = dataclasses.replace(
            appeal.applicant, appeal_email="resident@example.com"
        )
        return dataclasses.replace(appeal, applicant=applicant, **changes)

    def test_a_plain_ticket_still_gets_the_stage_mail(self):
        # The control: helpdesk_mgmt's behaviour is kept for other tickets.
        partner = self.env["res.partner"].create(
            {"name": "Phone caller", "email": "caller@example.com"}
        )
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Call", "description": "x", "partner_id": partner.id}
        )
        self.end_transaction()
        ticket.stage_id = self.done
        self.assertTrue(self.mails_to(partner))

    def test_withdrawn_appeal_imported_mails_nobody(self):
        appeal = self.resident_appeal(
            status="withdrawn", raw_status="Withdrawn", withdrawn=True
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        ticket = self.tickets()
        self.assertEqual(ticket.stage_id, self.cancelled)
        self.assertEqual(ticket.partner_id.email, "resident@example.com")
        self.assertFalse(self.mails_to(ticket.partner_id))

    def test_appeal_withdrawn_later_mails_nobody(self):
        appeal = self.resident_appeal()
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        self.end_transaction()
        withdrawn = dataclasses.replace(
            appeal, status="withdrawn", raw_status="Withdrawn", withdrawn=True
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [withdrawn])
        ticket = self.tickets()
        self.assertEqual(ticket.stage_id, self.cancelled)
        self.assertFalse(self.mails_to(ticket.partner_id))

    def test_staff_closing_a_gis_ticket_mails_nobody_unless_opted_in(self):
        self.env["gis.appeal.import"]._import_appeals(
            self.backend, [self.resident_appeal()]
        )
        self.end_transaction()
        ticket = self.tickets()
        ticket.stage_id = self.done
        self.assertFalse(self.mails_to(ticket.partner_id))

        self.backend.stage_mail_to_residents = True
        ticket.stage_id = self.cancelled
        self.assertTrue(self.mails_to(ticket.partner_id))
