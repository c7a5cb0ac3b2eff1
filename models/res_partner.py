# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import email_normalize


class ResPartner(models.Model):
    _inherit = "res.partner"

    gis_org_guid = fields.Char(
        string="GIS ZhKKh organisation GUID",
        index="btree_not_null",
        copy=False,
        help="orgRootEntityGUID of the organisation in the GIS ZhKKh registry.",
    )
    # A field, not the comment the bot writes: the retention cron deletes
    # these contacts once nothing needs them.
    max_provisional_gateway_id = fields.Many2one(
        "mail.gateway",
        string="Unidentified resident of the MAX bot",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The MAX bot created this contact for a resident who has not "
        "shared their phone number: it is deleted after the bot's retention "
        "period once it has neither a ticket nor a dialog.",
    )

    # ------------------------------------------------------------------
    # Residents: one contact per person, whatever the channel
    # ------------------------------------------------------------------

    @api.model
    def _helpdesk_resident_country(self):
        return self.env.ref("base.ru", raise_if_not_found=False)

    @api.model
    def _helpdesk_resident_key(self, resident, country=None):
        """How a resident is recognised: ``("org", guid)``, ``("phone",
        E.164)`` or ``("email", normalised)``, or None.

        ``resident`` is a dict (``org_guid``, ``phone``, ``email``). Numbers
        and addresses are normalised exactly as Odoo normalises its contacts'
        (``phone_sanitized``, ``email_normalized``): a resident found once is
        found again. Only valid numbers count.
        """
        if resident.get("org_guid"):
            return ("org", resident["org_guid"].lower())
        phone = resident.get("phone")
        if phone:
            country = country or self._helpdesk_resident_country()
            e164 = self.browse()._phone_format(
                number=phone, country=country, force_format="E164"
            )
            if e164:
                return ("phone", e164)
        email = email_normalize(resident.get("email") or "", strict=True)
        if email:
            return ("email", email)
        return None

    @api.model
    def _helpdesk_find_or_create_residents(self, company, residents):
        """Contacts of ``residents`` (dicts: ``name``, ``phone``, ``email``,
        ``org_guid``, ``street``, ``is_company``) within ``company``, by
        their keys (see ``_helpdesk_resident_key``); unknown ones are
        created. Returns ``{key: partner}``."""
        country = self._helpdesk_resident_country()
        keys = {}
        for resident in residents:
            key = self._helpdesk_resident_key(resident, country)
            if key:
                keys.setdefault(key, resident)
        if not keys:
            return {}
        # One person may come with a phone and an e-mail, and with the e-mail
        # only: in the same batch, or known by e-mail from before.
        email_of = {}
        for (kind, value), resident in keys.items():
            email = email_normalize(resident.get("email") or "", strict=True)
            if kind == "phone" and email:
                email_of[(kind, value)] = ("email", email)
        partners = self.with_context(active_test=False)
        company_domain = [("company_id", "in", [company.id, False])]
        found = {}
        for kind, field in (
            ("phone", "phone_sanitized"),
            ("email", "email_normalized"),
            ("org", "gis_org_guid"),
        ):
            values = {value for k, value in [*keys, *email_of.values()] if k == kind}
            if not values:
                continue
            for partner in partners.search_fetch(
                [(field, "in", list(values))] + company_domain,
                [field],
                order="id desc",
            ):
                # The oldest contact wins (ordered by id desc, last write stays).
                found[(kind, partner[field])] = partner
        for phone_key, email_key in email_of.items():
            if phone_key not in found and email_key in found:
                partner = found[email_key]
                found[phone_key] = partner
                if not partner.phone:
                    # Found by e-mail this time; by this phone next time.
                    partner.phone = phone_key[1]
        phone_of = {e: p for p, e in email_of.items()}
        # An e-mail-only resident whose e-mail came with a phone in this batch
        # is that phone's contact (set once the phones are resolved).
        missing = [key for key in keys if key not in found and key not in phone_of]
        vals_list = []
        for key in missing:
            resident = keys[key]
            vals_list.append(
                {
                    "name": resident.get("name")
                    or resident.get("email")
                    or self.env._("Resident"),
                    "is_company": bool(resident.get("is_company")),
                    "phone": key[1] if key[0] == "phone" else False,
                    "email": email_normalize(resident.get("email") or "", strict=True)
                    or False,
                    "gis_org_guid": key[1] if key[0] == "org" else False,
                    "street": resident.get("street") or False,
                    "country_id": country.id if country else False,
                    "company_id": company.id,
                }
            )
        for key, partner in zip(missing, self.create(vals_list), strict=True):
            found[key] = partner
        for email_key, phone_key in phone_of.items():
            found.setdefault(email_key, found[phone_key])
        return found
