# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""ПП 416 п. 13 as written, on a database that has the rules already (they
are noupdate data: an upgrade creates the new ones, A0 and A7, and changes
nothing it had loaded before). Here the shipped A2 learns what changed, only
where nobody edited it:

- gas leaves its localisation (п. 13 names water, sewage, heating and
  electricity; gas goes to the gas supplier's emergency service, п. 14);
- the elimination runs from the accident, from the registration while its
  time is unknown.

And A0, new: the 30 minutes to tell the applicant the planned timeframe
apply to requests registered from the upgrade on. Older ones had no way to
record it, and would all be breached and escalated at once."""

from odoo import SUPERUSER_ID, api, fields

OLD_A2_NOTE = (
    "Cold and hot water, sewage, heating, gas and electricity systems: "
    "localisation within 30 minutes of the registration of the request; "
    "elimination within 3 days (72 hours)."
)
NEW_A2_NOTE = (
    "Cold and hot water, sewage, heating and electricity systems: localisation "
    "within 30 minutes of the registration of the request; elimination within "
    "3 days (72 hours) of the accident. Gas is not localised under п. 13: the "
    "gas supplier's emergency service is called (п. 14)."
)
NO_CONDITION = (False, "", "[]")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    a2 = env.ref("helpdesk_gis_zhkh_max.rule_a2", raise_if_not_found=False)
    if a2:
        values = {}
        if a2.domain in NO_CONDITION:
            values["domain"] = "[('accident_system', '!=', 'gas')]"
        if (a2.note or "").strip() == OLD_A2_NOTE:
            values["note"] = NEW_A2_NOTE
        if values:
            a2.write(values)
    elimination = env.ref("helpdesk_gis_zhkh_max.rule_a2_m2", raise_if_not_found=False)
    if (
        elimination
        and elimination.clock_start == "create_date"
        and not elimination.start_field_id
    ):
        elimination.write(
            {
                "clock_start": "field",
                "start_field_id": env.ref(
                    "helpdesk_gis_zhkh_max.field_helpdesk_ticket__accident_at"
                ).id,
                "start_fallback": True,
            }
        )
    a0 = env.ref("helpdesk_gis_zhkh_max.rule_a0", raise_if_not_found=False)
    if a0 and a0.domain in NO_CONDITION:
        since = fields.Datetime.to_string(fields.Datetime.now())
        a0.domain = f"[('create_date', '>=', '{since}')]"
