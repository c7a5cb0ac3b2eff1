# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

BUCKETS = ("breached", "at_risk", "due_2h", "due_today")
SOURCES = ("gis", "max", "other")
DIMENSIONS = {
    "team": ("team_id", "helpdesk.ticket.team"),
    "house": ("house_id", "gis.zhkh.house"),
    "category": ("category_id", "helpdesk.ticket.category"),
}
BUS_TYPE = "helpdesk_gis_zhkh_max/deadlines_changed"


class HelpdeskDeadlineCockpit(models.AbstractModel):
    """The dispatcher's cockpit: what is late or about to be, by source
    (official GIS appeals, MAX requests, the rest), team, building and
    category. One pass over the open milestones the user may see."""

    _name = "helpdesk.deadline.cockpit"
    _description = "Legal deadline cockpit"

    @api.model
    def _moments(self):
        now = fields.Datetime.now()
        tz = ZoneInfo(self.env.user.tz or self.env.company.partner_id.tz or "UTC")
        local = now.replace(tzinfo=datetime.UTC).astimezone(tz)
        end_local = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        end_of_today = end_local.astimezone(datetime.UTC).replace(tzinfo=None)
        return now, now + datetime.timedelta(hours=2), end_of_today

    @api.model
    def _bucket_domain(self, bucket, moments=None):
        """The milestones of a figure (on ``helpdesk.ticket.deadline``)."""
        _now, in_2h, end_of_today = moments or self._moments()
        open_ticket = Domain("ticket_id.stage_id.closed", "=", False)
        if bucket == "breached":
            return open_ticket & Domain("state", "=", "breached")
        if bucket == "at_risk":
            return open_ticket & Domain("state", "=", "at_risk")
        running = open_ticket & Domain("state", "in", ("running", "at_risk"))
        if bucket == "due_2h":
            return running & Domain("deadline", "<=", in_2h)
        if bucket == "due_today":
            return running & Domain("deadline", "<", end_of_today)
        raise ValueError(bucket)

    @api.model
    def cockpit_data(self):
        """Figures for the cockpit, as the current user may see them."""
        Deadline = self.env["helpdesk.ticket.deadline"]
        moments = self._moments()
        now, in_2h, end_of_today = moments
        # Every milestone that can count in a figure, record rules applied.
        query = Deadline._search(
            Domain("ticket_id.stage_id.closed", "=", False)
            & Domain("state", "in", ("running", "at_risk", "breached"))
        )
        table = query.table

        def column(name):
            return Deadline._field_to_sql(table, name, query)

        state, deadline, ticket = (
            column("state"),
            column("deadline"),
            column("ticket_id"),
        )
        running = SQL("%s IN ('running', 'at_risk')", state)
        filters = {
            "breached": SQL("%s = 'breached'", state),
            "at_risk": SQL("%s = 'at_risk'", state),
            "due_2h": SQL("%s AND %s <= %s", running, deadline, in_2h),
            "due_today": SQL("%s AND %s < %s", running, deadline, end_of_today),
        }
        keys = [
            column("source"),
            column("team_id"),
            column("house_id"),
            column("category_id"),
        ]
        query.groupby = SQL(", ").join(keys)
        counts = [
            SQL("COUNT(DISTINCT %s) FILTER (WHERE %s)", ticket, filters[bucket])
            for bucket in BUCKETS
        ]
        rows = self.env.execute_query(query.select(*keys, *counts))
        totals = {bucket: dict.fromkeys(("all", *SOURCES), 0) for bucket in BUCKETS}
        by_dimension = {name: {} for name in DIMENSIONS}
        for source, team, house, category, *figures in rows:
            source = source or "other"
            for bucket, count in zip(BUCKETS, figures, strict=True):
                totals[bucket]["all"] += count
                totals[bucket][source] += count
            for name, key in (("team", team), ("house", house), ("category", category)):
                line = by_dimension[name].setdefault(
                    key or 0, dict.fromkeys(BUCKETS, 0)
                )
                for bucket, count in zip(BUCKETS, figures, strict=True):
                    line[bucket] += count
        return {
            "now": fields.Datetime.to_string(now),
            "health": self.env["helpdesk.integration.health"].health_data(),
            "totals": totals,
            "dimensions": {
                name: self._dimension_lines(name, lines)
                for name, lines in by_dimension.items()
            },
        }

    @api.model
    def _dimension_lines(self, name, lines):
        _field, model = DIMENSIONS[name]
        records = self.env[model].browse([key for key in lines if key]).exists()
        names = {record.id: record.display_name for record in records.sudo()}
        result = []
        for key, figures in lines.items():
            if not any(figures.values()):
                continue
            result.append(
                {
                    "id": key,
                    "name": names.get(key) or self.env._("(none)"),
                    **figures,
                }
            )
        result.sort(key=lambda line: tuple(-line[b] for b in BUCKETS) + (line["name"],))
        return result

    @api.model
    def action_open(self, bucket, source=None, dimension=None, res_id=None):
        """The tickets behind a figure of the cockpit."""
        if bucket not in BUCKETS:
            raise ValueError(bucket)
        milestones = self._bucket_domain(bucket)
        if source in SOURCES:
            milestones &= Domain("source", "=", source)
        if dimension in DIMENSIONS:
            milestones &= Domain(DIMENSIONS[dimension][0], "=", res_id or False)
        deadlines = self.env["helpdesk.ticket.deadline"].search(milestones)
        labels = {
            "breached": self.env._("Breached"),
            "at_risk": self.env._("At risk"),
            "due_2h": self.env._("Due within 2 hours"),
            "due_today": self.env._("Due today"),
        }
        return {
            "type": "ir.actions.act_window",
            "name": labels[bucket],
            "res_model": "helpdesk.ticket",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", deadlines.ticket_id.ids)],
            "context": {"create": False},
        }

    @api.model
    def _notify_changed(self):
        """Tell the open cockpits (once per transaction) to fetch again."""
        data = self.env.cr.precommit.data
        if data.get("hgzm_cockpit_notified"):
            return
        data["hgzm_cockpit_notified"] = True
        group = self.env.ref(
            "helpdesk_mgmt.group_helpdesk_user_own", raise_if_not_found=False
        )
        if group:
            self.env["bus.bus"]._sendone(group, BUS_TYPE, {})
