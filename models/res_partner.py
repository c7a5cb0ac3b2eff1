# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import email_normalize

from ..tools import person_names


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
        """``{key: partner}`` of ``residents`` (``_helpdesk_match_residents``
        by their keys, ``_helpdesk_resident_key``)."""
        country = self._helpdesk_resident_country()
        found = {}
        for resident, (partner, _other) in zip(
            residents, self._helpdesk_match_residents(company, residents), strict=True
        ):
            key = self._helpdesk_resident_key(resident, country)
            if key and partner:
                found.setdefault(key, partner)
        return found

    @api.model
    def _helpdesk_match_residents(self, company, residents, create=True):
        """For each of ``residents`` (dicts: ``name``, ``phone``, ``email``,
        ``org_guid``, ``street``, ``is_company``), in order, ``(partner,
        other)``: ``partner`` is the resident's contact within ``company``,
        found by their keys (``_helpdesk_resident_key``; a phone given with
        an e-mail finds by either) among the contacts whose name agrees with
        theirs, else created; ``other`` is a contact those keys found under
        another name and that was not taken (a phone shared in a family, a
        reused number): the dispatcher is told. An organisation is found by
        its GUID alone. Residents without a key get no contact, nor those
        who would need a new one when ``create`` is false."""
        country = self._helpdesk_resident_country()
        keys = [self._helpdesk_resident_key(r, country) for r in residents]
        email_keys = [
            ("email", email_normalize(r.get("email") or "", strict=True))
            if key and key[0] == "phone" and r.get("email")
            else None
            for r, key in zip(residents, keys, strict=True)
        ]
        email_keys = [k if k and k[1] else None for k in email_keys]
        known = self._helpdesk_known_contacts(
            company, {k for k in [*keys, *email_keys] if k}
        )
        # Contacts to create, one ``create`` for the batch: a resident met
        # twice in it (same key, agreeing names) is created once.
        pending, pending_by, results = [], {}, []
        for resident, key, email_key in zip(residents, keys, email_keys, strict=True):
            if not key:
                results.append((None, self.browse()))
                continue
            lookups = [key, email_key] if email_key else [key]
            candidates = self.browse()
            for lookup in lookups:
                candidates |= known.get(lookup, self.browse())
            name = resident.get("name")
            if key[0] == "org":
                partner, other = candidates[:1], self.browse()
            else:
                partner = next(
                    (c for c in candidates if person_names.agree(c.name, name)),
                    self.browse(),
                )
                other = self.browse() if partner else candidates[:1]
            if partner:
                if key[0] == "phone" and not partner.phone:
                    # Found by e-mail this time; by this phone next time.
                    partner.phone = key[1]
                results.append((partner, other))
                continue
            index = next(
                (
                    i
                    for lookup in lookups
                    for i in pending_by.get(lookup, ())
                    if key[0] == "org" or person_names.agree(pending[i]["name"], name)
                ),
                None,
            )
            if index is None:
                pending.append(
                    self._helpdesk_resident_vals(company, resident, key, country)
                )
                index = len(pending) - 1
            for lookup in lookups:
                if index not in pending_by.setdefault(lookup, []):
                    pending_by[lookup].append(index)
            results.append((index, other))
        created = self.create(pending) if create else self.browse()
        if not create:
            return [
                (
                    self.browse() if isinstance(found, int) else found or self.browse(),
                    other,
                )
                for found, other in results
            ]
        return [
            (
                created[found] if isinstance(found, int) else found or self.browse(),
                other,
            )
            for found, other in results
        ]

    @api.model
    def _helpdesk_known_contacts(self, company, keys):
        """``{key: contacts}`` of the company's contacts (archived too) with
        these keys, the oldest first."""
        fields_of = {
            "phone": "phone_sanitized",
            "email": "email_normalized",
            "org": "gis_org_guid",
        }
        known = {}
        partners = self.with_context(active_test=False)
        for kind, field in fields_of.items():
            values = {value for k, value in keys if k == kind}
            if not values:
                continue
            for partner in partners.search_fetch(
                [
                    (field, "in", list(values)),
                    ("company_id", "in", [company.id, False]),
                ],
                [field, "name", "phone"],
                order="id",
            ):
                key = (kind, partner[field])
                known[key] = known.get(key, self.browse()) | partner
        return known

    @api.model
    def _helpdesk_resident_vals(self, company, resident, key, country):
        return {
            "name": resident.get("name")
            or resident.get("email")
            or self.env._("Resident"),
            "is_company": bool(resident.get("is_company")),
            "phone": key[1] if key[0] == "phone" else False,
            "email": email_normalize(resident.get("email") or "", strict=True) or False,
            "gis_org_guid": key[1] if key[0] == "org" else False,
            "street": resident.get("street") or False,
            "country_id": country.id if country else False,
            "company_id": company.id,
        }
