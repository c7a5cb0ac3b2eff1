# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

BUCKETS = ("breached", "at_risk", "due_2h", "due_today")
SOURCES = ("gis", "max", "other")
DIMENSIONS = {
    "team": ("team_id", "helpdesk.ticket.team"),
    "house": ("gis_house_id", "gis.zhkh.house"),
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
        # The user's day; without a zone, the company's, then Moscow's (as
        # GIS ZhKKh dates without a building).
        tz = ZoneInfo(
            self.env.user.tz or self.env.company.partner_id.tz or "Europe/Moscow"
        )
        local = now.replace(tzinfo=datetime.UTC).astimezone(tz)
        end_local = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        end_of_today = end_local.astimezone(datetime.UTC).replace(tzinfo=None)
        return now, now + datetime.timedelta(hours=2), end_of_today

    @api.model
    def _bucket_domain(self, bucket, moments=None):
        """The open tickets of a figure: by their worst deadline state (the
        badge) and their next running deadline."""
        _now, in_2h, end_of_today = moments or self._moments()
        domain = Domain("stage_id.closed", "=", False)
        if bucket in ("breached", "at_risk"):
            return domain & Domain("deadline_state", "=", bucket)
        if bucket == "due_2h":
            return domain & Domain("next_deadline", "<=", in_2h)
        if bucket == "due_today":
            return domain & Domain("next_deadline", "<", end_of_today)
        raise ValueError(bucket)

    @api.model
    def _source_domain(self, source):
        max_channel = self.env.ref("helpdesk_gis_zhkh_max.channel_max")
        if source == "gis":
            return Domain("gis_appeal_guid", "!=", False)
        not_gis = Domain("gis_appeal_guid", "=", False)
        if source == "max":
            return not_gis & Domain("channel_id", "=", max_channel.id)
        return not_gis & Domain("channel_id", "!=", max_channel.id)

    @api.model
    def _source_columns(self, Ticket, query):
        """``(column, source)`` for a search ``query`` of ``Ticket``: a
        function giving a field's SQL, and the SQL of where each ticket came
        from ('gis', 'max' or 'other'), as the cockpit splits them."""

        def column(name):
            return Ticket._field_to_sql(query.table, name, query)

        max_channel = self.env.ref("helpdesk_gis_zhkh_max.channel_max")
        source = SQL(
            "CASE WHEN %s IS NOT NULL THEN 'gis' WHEN %s = %s THEN 'max' "
            "ELSE 'other' END",
            column("gis_appeal_guid"),
            column("channel_id"),
            max_channel.id,
        )
        return column, source

    @api.model
    def _figures(self, moments):
        """Rows of (source, team, house, category, *bucket counts) of the
        open tickets the user may see: one pass over the tickets, as the
        ticket carries its badge and next deadline."""
        Ticket = self.env["helpdesk.ticket"]
        _now, in_2h, end_of_today = moments
        query = Ticket._search(
            Domain("stage_id.closed", "=", False)
            & (
                Domain("deadline_state", "in", ("breached", "at_risk"))
                | Domain("next_deadline", "<", end_of_today)
                # Late in the day, within 2 hours is tomorrow already.
                | Domain("next_deadline", "<=", in_2h)
            )
        )
        column, source = self._source_columns(Ticket, query)
        keys = [
            source,
            column("team_id"),
            column("gis_house_id"),
            column("category_id"),
        ]
        state, next_deadline = column("deadline_state"), column("next_deadline")
        counts = [
            SQL("COUNT(*) FILTER (WHERE %s = 'breached')", state),
            SQL("COUNT(*) FILTER (WHERE %s = 'at_risk')", state),
            SQL("COUNT(*) FILTER (WHERE %s <= %s)", next_deadline, in_2h),
            SQL("COUNT(*) FILTER (WHERE %s < %s)", next_deadline, end_of_today),
        ]
        query.groupby = SQL(", ").join(keys)
        return self.env.execute_query(query.select(*keys, *counts))

    @api.model
    def _check_helpdesk_user(self):
        # Public methods of an abstract model: no access rule guards them.
        if not self.env.su and not self.env.user.has_group(
            "helpdesk_mgmt.group_helpdesk_user_own"
        ):
            raise AccessError(
                self.env._("Only helpdesk users may open the deadline cockpit.")
            )

    @api.model
    def cockpit_data(self):
        """Figures for the cockpit, as the current user may see them; the
        integrations' health for helpdesk managers."""
        self._check_helpdesk_user()
        health = self.env["helpdesk.integration.health"]
        moments = self._moments()
        now = moments[0]
        rows = self._figures(moments)
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
            "health": health.health_data() if health._may_see() else [],
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
        self._check_helpdesk_user()
        if bucket not in BUCKETS:
            raise ValueError(bucket)
        domain = self._bucket_domain(bucket)
        if source in SOURCES:
            domain &= self._source_domain(source)
        if dimension in DIMENSIONS:
            domain &= Domain(DIMENSIONS[dimension][0], "=", res_id or False)
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
            "domain": list(domain),
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
