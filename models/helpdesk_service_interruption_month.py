# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2.extras import execute_values

from odoo import api, fields, models

from .helpdesk_service_interruption_limit import SERVICES

# tools.interruptions.ROUNDINGS, in words.
ROUNDING_SELECTION = [
    ("started", "Every hour begun counts"),
    ("exact", "Exact (parts of an hour)"),
    ("whole", "Whole hours only"),
    ("nearest", "To the nearest hour"),
]


class HelpdeskServiceInterruptionMonth(models.Model):
    """The hours a service was interrupted in a building in a month (the
    building's), the hours over the limits of ПП 354 Annex 1 and the
    reduction of the month's charge: what billing needs. Kept by the
    interruptions (``_recompute_groups``), never edited."""

    _name = "helpdesk.service.interruption.month"
    _description = "Communal service interruptions of a month"
    _order = "month desc, house_id, service"

    house_id = fields.Many2one(
        "gis.zhkh.house", string="Building", required=True, index=True, readonly=True
    )
    address = fields.Char(related="house_id.address")
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    service = fields.Selection(SERVICES, required=True, readonly=True)
    month = fields.Date(
        required=True,
        index=True,
        readonly=True,
        help="The first day of the month, in the building's time zone.",
    )
    hours_total = fields.Float(
        string="Hours", digits=(10, 2), readonly=True, aggregator="sum"
    )
    hours_over_exact = fields.Float(
        string="Hours over (exact)", digits=(10, 2), readonly=True, aggregator="sum"
    )
    hours_over_limit = fields.Float(
        string="Hours over the limits",
        digits=(10, 2),
        readonly=True,
        aggregator="sum",
        help="Hours over the limit at one time or the monthly one, each hour "
        "once, the month's total rounded as the company's setting says.",
    )
    reduction_percent = fields.Float(
        string="Charge reduction (%)",
        digits=(6, 4),
        readonly=True,
        # Across services or buildings a share does not add up: the largest.
        aggregator="max",
        help="0.15 % of the month's charge for the service per hour over the "
        "limits, at most 100 % (ПП 354 Annex 1).",
    )
    interruption_count = fields.Integer(
        string="Interruptions", readonly=True, aggregator="sum"
    )
    rounding = fields.Selection(
        ROUNDING_SELECTION, string="Part of an hour", readonly=True
    )

    _house_service_month_unique = models.Constraint(
        "UNIQUE(house_id, service, month)",
        "One line per building, service and month.",
    )

    @api.depends("house_id", "service", "month")
    def _compute_display_name(self):
        services = dict(self._fields["service"]._description_selection(self.env))
        for line in self:
            month = line.month.strftime("%m.%Y") if line.month else ""
            line.display_name = (
                f"{line.house_id.name or ''}: {services.get(line.service, '')}, {month}"
            )

    @api.model
    def _store(self, groups, companies):
        """Write the figures of ``groups`` — ``{(house id, service):
        (company id, {month: MonthFigures})}`` — replacing what those
        groups had: only the lines that changed are written."""
        if not groups:
            return
        roundings = {c.id: c.interruption_rounding or "started" for c in companies}
        house_ids = [house for house, _service in groups]
        services = [service for _house, service in groups]
        self.env.cr.execute(
            """
            SELECT id, house_id, service, month, company_id,
                   hours_total::float, hours_over_exact::float,
                   hours_over_limit::float, reduction_percent::float,
                   interruption_count, rounding
              FROM helpdesk_service_interruption_month
             WHERE (house_id, service) IN
                   (SELECT * FROM unnest(%s::int[], %s::varchar[]))
            """,
            [house_ids, services],
        )
        existing = {(row[1], row[2], row[3]): row for row in self.env.cr.fetchall()}
        wanted = []
        for (house_id, service), (company_id, months) in groups.items():
            rounding = roundings.get(company_id, "started")
            for month, figures in months.items():
                over = figures.hours_over(rounding)
                values = (
                    company_id,
                    round(figures.hours_total, 2),
                    round(figures.seconds_over / 3600, 2),
                    round(float(over), 2),
                    figures.reduction(rounding),
                    len(figures.keys),
                    rounding,
                )
                key = (house_id, service, month)
                current = existing.pop(key, None)
                if current is None or tuple(current[4:]) != values:
                    wanted.append((*key, *values))
        if existing:
            self.env.cr.execute(
                "DELETE FROM helpdesk_service_interruption_month WHERE id = ANY(%s)",
                [[row[0] for row in existing.values()]],
            )
        if wanted:
            uid = self.env.uid
            execute_values(
                self.env.cr._obj,
                """
                INSERT INTO helpdesk_service_interruption_month
                       (house_id, service, month, company_id, hours_total,
                        hours_over_exact, hours_over_limit, reduction_percent,
                        interruption_count, rounding, create_uid, write_uid,
                        create_date, write_date)
                SELECT v.*, v.uid, now() AT TIME ZONE 'UTC',
                       now() AT TIME ZONE 'UTC'
                  FROM (VALUES %s) AS v(house_id, service, month, company_id,
                                        total, over_exact, over, reduction,
                                        count, rounding, uid)
                ON CONFLICT (house_id, service, month) DO UPDATE
                   SET company_id = EXCLUDED.company_id,
                       hours_total = EXCLUDED.hours_total,
                       hours_over_exact = EXCLUDED.hours_over_exact,
                       hours_over_limit = EXCLUDED.hours_over_limit,
                       reduction_percent = EXCLUDED.reduction_percent,
                       interruption_count = EXCLUDED.interruption_count,
                       rounding = EXCLUDED.rounding,
                       write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                """,
                [(*values, uid) for values in wanted],
                template="(%s::int, %s, %s::date, %s::int, %s::float, %s::float, "
                "%s::float, %s::float, %s::int, %s, %s::int)",
                page_size=5000,
            )
        if existing or wanted:
            self.invalidate_model()
