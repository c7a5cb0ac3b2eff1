# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model_create_multi
    def create(self, vals_list):
        # What this addon's data and demo files create (the connection, the
        # bot, the deadline rules...) gets no "created" note: Odoo would
        # write it in the installing user's language but name the model in
        # English, read before the addon's translations are loaded
        # ("Создано: GIS ZhKKh Connection"), and it says nothing anyone needs.
        threads = self
        if self.env.context.get("install_module") == "helpdesk_gis_zhkh_max":
            threads = self.with_context(mail_create_nolog=True)
        return super(MailThread, threads).create(vals_list)
