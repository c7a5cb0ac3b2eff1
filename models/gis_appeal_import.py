# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import logging

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.tools import email_normalize, plaintext2html, split_every

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools.appeal_mapping import status_reached_on
from .helpdesk_ticket import gis_facts_writer

_logger = logging.getLogger(__name__)

# Appeals saved per create() call and per savepoint.
IMPORT_BATCH = 500


class GisAppealImport(models.AbstractModel):
    """Turns the appeals GIS ZhKKh exports into helpdesk tickets, exactly once."""

    _name = "gis.appeal.import"
    _description = "GIS ZhKKh Appeal Import"

    @api.model
    def _import_appeals(self, backend, appeals, exported_at=None):
        """Create or update the tickets of ``appeals`` (``gis_xml_parse.Appeal``).

        Idempotent: an appeal GIS sends again unchanged changes nothing. One
        appeal that cannot be saved does not stop the others. ``exported_at``
        (when GIS was asked) lets operations accepted before it be confirmed.
        Returns counts and the errors, by AppealGUID.
        """
        stats = {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "duplicates": 0,
            "failed": 0,
            "errors": [],
        }
        unique = {}
        for appeal in appeals:
            if appeal.guid in unique:
                stats["duplicates"] += 1
            # The later copy wins: GIS lists an appeal's states in order.
            unique[appeal.guid] = appeal
        importer = self.with_context(gis_exported_at=exported_at)
        for batch in split_every(IMPORT_BATCH, unique.values(), list):
            importer._import_batch(backend, batch, stats)
        return stats

    def _tickets(self):
        # gis_import: no e-mail to residents from an import, whatever the
        # stage templates say (see helpdesk.ticket._stage_mail_allowed).
        return gis_facts_writer(self.env["helpdesk.ticket"]).with_context(
            active_test=False, mail_create_nosubscribe=True, gis_import=True
        )

    def _import_batch(self, backend, appeals, stats):
        try:
            with self.env.cr.savepoint():
                counts = self._upsert(backend, appeals)
        except RetryableJobError:
            raise
        except Exception:  # noqa: BLE001 - isolate the culprit below
            _logger.info(
                "GIS ZhKKh import: a batch of %d appeals failed, saving one by one",
                len(appeals),
            )
            counts = {}
            for appeal in appeals:
                try:
                    with self.env.cr.savepoint():
                        one = self._upsert(backend, [appeal])
                except RetryableJobError:
                    raise
                except Exception as error:
                    _logger.exception(
                        "GIS ZhKKh import of appeal %s failed", appeal.guid
                    )
                    stats["failed"] += 1
                    stats["errors"].append(f"{appeal.guid}: {error}")
                    continue
                for key, value in one.items():
                    counts[key] = counts.get(key, 0) + value
        for key, value in counts.items():
            stats[key] += value

    def _upsert(self, backend, appeals):
        tickets = self._tickets()
        company = backend.company_id
        existing = {
            ticket.gis_appeal_guid: ticket
            for ticket in tickets.search(
                [
                    ("company_id", "=", company.id),
                    ("gis_appeal_guid", "in", [a.guid for a in appeals]),
                ]
            )
        }
        new = [a for a in appeals if a.guid not in existing]
        changed = [
            (existing[a.guid], a)
            for a in appeals
            if a.guid in existing
            and existing[a.guid].gis_fingerprint != a.fingerprint()
        ]
        refs = self._resolve_refs(backend, new + [a for _t, a in changed], new)
        created = self._create_tickets(
            backend, [self._new_ticket_values(backend, a, refs) for a in new]
        )
        notes = [
            (ticket, appeal, set(), True)
            for ticket, appeal in zip(created, new, strict=True)
        ]
        # One deadline sync for all the updated tickets, not one per write.
        updated = tickets.browse()
        for ticket, appeal in changed:
            known = set((ticket.gis_history_keys or "").split())
            was_withdrawn = ticket.gis_status == "withdrawn"
            ticket.with_context(deadline_sync_off=True).write(
                self._update_values(backend, ticket, appeal, refs)
            )
            notes.append((ticket, appeal, known, not was_withdrawn))
            updated |= ticket
        self.env["helpdesk.ticket.deadline"]._sync_tickets(updated)
        self._log_history(notes)
        # The residents' files: recorded now, downloaded by jobs afterwards.
        by_guid = dict(existing)
        by_guid.update(zip([a.guid for a in new], created, strict=True))
        self.env["gis.zhkh.file"]._register_appeal_files(backend, by_guid, appeals)
        # Operations accepted by GIS: this answer confirms them or not,
        # changed or not (GIS may not show what it accepted).
        exported_at = self.env.context.get("gis_exported_at")
        for appeal in appeals:
            ticket = existing.get(appeal.guid)
            if ticket and ticket.sudo().gis_operation_ids:
                self.env["gis.zhkh.operation"].sudo()._confirm_by_import(
                    ticket.sudo(), appeal, exported_at
                )
        return {
            "created": len(new),
            "updated": len(changed),
            "unchanged": len(appeals) - len(new) - len(changed),
        }

    @api.model
    def _create_tickets(self, backend, vals_list):
        """``helpdesk.ticket.create(vals_list)`` without its per-ticket work:
        what the chatter would do ticket by ticket is done once per batch.

        - numbers drawn from the sequence in one query, the team's first
          stage looked up once per team (helpdesk_mgmt asks per ticket);
        - no tracking, no per-ticket creation post: nothing is tracked on
          create but the stage, whose template an import never sends
          (``_stage_mail_allowed``), and the import's own history notes and
          requests journal record where the ticket came from;
        - the followers the team passes on (its "ticket created" subtype),
          subscribed per team with Odoo's own ``_message_auto_subscribe``;
        - the creation note logged in one batch, and the followers who would
          have been notified of each new ticket told once per team
          (``_notify_new_tickets``)."""
        tickets = self._tickets()
        if not vals_list:
            return tickets.browse()
        self._prefill_numbers_and_stages(backend, vals_list)
        created = tickets.with_context(
            tracking_disable=True, mail_create_nolog=True
        ).create(vals_list)
        _child, _default, _internal, _parent, relation = self.env[
            "mail.message.subtype"
        ]._get_auto_subscription_subtypes(created._name)
        keys = sorted({name for names in relation.values() for name in names})
        keys.append("user_id")
        groups = collections.defaultdict(list)
        for ticket, vals in zip(created, vals_list, strict=True):
            groups[tuple(vals.get(key) or False for key in keys)].append(ticket.id)
        for values, ids in groups.items():
            created.browse(ids)._message_auto_subscribe(
                dict(zip(keys, values, strict=True)),
                followers_existing_policy="update",
            )
        created._message_log_batch(
            {
                ticket.id: Markup('<div summary="o_mail_notification"><p>%s</p></div>')
                % ticket._creation_message()
                for ticket in created
            }
        )
        self._notify_new_tickets(created)
        return created

    @api.model
    def _prefill_numbers_and_stages(self, backend, vals_list):
        """What helpdesk_mgmt's create computes per ticket, once per batch:
        the same sequence and the same first stage of the team."""
        wanting = [vals for vals in vals_list if vals.get("number", "/") == "/"]
        numbers = self._ticket_numbers(backend.company_id, len(wanting))
        if numbers:
            for vals, number in zip(wanting, numbers, strict=True):
                vals["number"] = number
        stages = {}
        teams = self.env["helpdesk.ticket.team"]
        for vals in vals_list:
            if "stage_id" in vals:
                continue
            team_id = vals.get("team_id") or False
            if team_id not in stages:
                stages[team_id] = teams.browse(team_id)._get_applicable_stages()[:1].id
            vals["stage_id"] = stages[team_id]

    @api.model
    def _ticket_numbers(self, company, count):
        """``count`` ticket numbers in one query, as ``next_by_code`` would
        draw them one by one; None when the sequence is not a plain one
        (no gap, or per date range): helpdesk_mgmt then draws them."""
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "helpdesk.ticket.sequence"),
                    ("company_id", "in", [company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if (
            not count
            or not sequence
            or sequence.implementation != "standard"
            or sequence.use_date_range
        ):
            return None
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            [f"ir_sequence_{sequence.id:03d}", count],
        )
        prefix, suffix = sequence.with_company(company)._get_prefix_suffix()
        return [
            f"{prefix}{number:0{sequence.padding}d}{suffix}"
            for number in sorted(row[0] for row in self.env.cr.fetchall())
        ]

    @api.model
    def _notify_new_tickets(self, tickets):
        """Who follows a team's new tickets hears of them once per import
        batch, a list per team, not once per ticket: those the ticket's
        "created" subtype would have notified."""
        subtype = self.env.ref(
            "helpdesk_mgmt.hlp_tck_created", raise_if_not_found=False
        )
        if not subtype or not tickets:
            return
        followers = (
            self.env["mail.followers"]
            .sudo()
            .search_fetch(
                [
                    ("res_model", "=", tickets._name),
                    ("res_id", "in", tickets.ids),
                    ("subtype_ids", "in", subtype.id),
                    ("partner_id", "!=", self.env.user.partner_id.id),
                ],
                ["res_id", "partner_id"],
            )
        )
        partners_of = collections.defaultdict(set)
        for follower in followers:
            partners_of[follower.res_id].add(follower.partner_id.id)
        per_team = collections.defaultdict(list)
        for ticket in tickets.browse(list(partners_of)):
            per_team[ticket.team_id].append(ticket)
        for team, team_tickets in per_team.items():
            if not team:
                continue
            partner_ids = set().union(*(partners_of[t.id] for t in team_tickets))
            company = team.company_id or team.env.company
            org = self.with_context(lang=company.partner_id.lang or self.env.lang)
            title = org.env._(
                "New appeals from GIS ZhKKh: %(count)s", count=len(team_tickets)
            )
            lines = Markup("").join(
                Markup("<li>%s</li>") % ticket.display_name for ticket in team_tickets
            )
            # Sent to them, not posted in the team's chatter, as the deadline
            # digests: every employee reads a team, not every one its tickets.
            team.message_notify(
                subject=title,
                body=Markup("<p>%s</p><ul>%s</ul>") % (title, lines),
                partner_ids=sorted(partner_ids),
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _resolve_refs(self, backend, appeals, new_appeals):
        try:
            with self.env.cr.savepoint():
                return self._resolve_refs_once(backend, appeals, new_appeals)
        except pg_errors.UniqueViolation as error:
            # Another company's import has just created the same shared
            # theme: start again, and find it.
            raise RetryableJobError(
                "GIS ZhKKh import: a theme or house was created concurrently",
                seconds=5,
                ignore_retry=True,
            ) from error

    @api.model
    def _resolve_refs_once(self, backend, appeals, new_appeals):
        company = backend.company_id
        themes = self.env["gis.appeal.theme"]._resolve(
            company,
            {
                a.theme_code: (a.theme_guid, a.theme_name)
                for a in appeals
                if a.theme_code
            },
        )
        houses = self.env["gis.zhkh.house"]._resolve(
            company,
            {a.fias_house_guid: a.oktmo_code for a in appeals if a.fias_house_guid},
        )
        residents, guids = [], []
        for appeal in new_appeals:
            resident = self._resident_of(appeal.applicant)
            if resident:
                residents.append(resident)
                guids.append(appeal.guid)
        matches = self.env["res.partner"]._helpdesk_match_residents(company, residents)
        return {
            "themes": themes,
            "houses": houses,
            # {appeal GUID: (contact, another contact of the same phone)}
            "partners": dict(zip(guids, matches, strict=True)),
            "channel": self.env.ref("helpdesk_gis_zhkh_max.channel_gis"),
        }

    @api.model
    def _applicant_email(self, applicant):
        """The e-mail the resident gave with the appeal, else the cabinet one."""
        return email_normalize(applicant.appeal_email or "") or email_normalize(
            applicant.email or ""
        )

    @api.model
    def _resident_of(self, applicant):
        """The applicant as ``res.partner._helpdesk_match_residents``
        wants a resident; None for appeals GIS formed itself."""
        if applicant.kind == "org" and applicant.org_guid:
            return {
                "org_guid": applicant.org_guid,
                "name": applicant.full_name,
                "is_company": True,
                "street": applicant.post_address,
            }
        if applicant.kind == "person":
            return {
                "name": applicant.full_name or self.env._("GIS ZhKKh applicant"),
                "phone": applicant.phone,
                "email": self._applicant_email(applicant),
                "street": applicant.post_address,
            }
        return None

    @api.model
    def _ticket_values(self, appeal, refs):
        """The ticket fields that mirror the appeal in GIS ZhKKh."""
        applicant = appeal.applicant
        theme = refs["themes"].get(appeal.theme_code)
        house = refs["houses"].get(appeal.fias_house_guid)
        neighbours = [
            " ".join(
                p
                for p in (
                    n.full_name or self.env._("(no name)"),
                    self.env._("apt. %(number)s", number=n.apartment_number)
                    if n.apartment_number
                    else "",
                )
                if p
            )
            for n in appeal.neighbours
        ]
        attachments = [
            f"{a.name} — {a.description} ({a.guid})" for a in appeal.attachments
        ]
        return {
            "gis_appeal_guid": appeal.guid,
            "gis_appeal_number": appeal.number,
            "gis_received_date": appeal.create_date,
            "gis_deadline": appeal.execution_end_date or False,
            "gis_legal_basis": appeal.npa_requirements or False,
            "gis_theme_id": theme.id if theme else False,
            "gis_theme_code": appeal.theme_code or False,
            "gis_theme_name": appeal.theme_name or appeal.another_topic or False,
            "gis_status": appeal.status or False,
            "gis_status_date": status_reached_on(appeal),
            "gis_house_id": house.id if house else False,
            "gis_premise_number": appeal.premise_number
            or applicant.apartment_number
            or False,
            "gis_oktmo": appeal.oktmo_code or False,
            "gis_applicant_kind": applicant.kind,
            "gis_applicant_name": applicant.full_name or False,
            "gis_applicant_phone": applicant.phone or False,
            "gis_applicant_email": self._applicant_email(applicant) or False,
            "gis_applicant_address": applicant.post_address or False,
            "gis_collective": appeal.collective,
            "gis_neighbour_count": len(appeal.neighbours),
            "gis_neighbours": "\n".join(neighbours) or False,
            "gis_redirected": appeal.redirected or appeal.redirected_not_hcs,
            "gis_rolled_over": appeal.rolled_over,
            "gis_answer_not_required": appeal.answer_not_required,
            "gis_withdrawn_comment": appeal.withdrawn_comment or False,
            "gis_from_mobile": appeal.from_mobile,
            "gis_date_of_appointment": appeal.date_of_appointment or False,
            "gis_answerer_guid": appeal.answerer_guid or False,
            "gis_parent_guid": appeal.parent_guid or False,
            "gis_attachment_info": "\n".join(attachments) or False,
            "gis_draft_answer_guid": self._draft_answer_guid(appeal),
            **self._assessment_values(appeal),
            "gis_fingerprint": appeal.fingerprint(),
            "gis_last_sync": fields.Datetime.now(),
        }

    @api.model
    def _assessment_values(self, appeal):
        """The resident's latest assessment of the answer, if any."""
        assessments = [e for e in appeal.history if e.kind == "assessment"]
        if not assessments:
            return {"gis_assessment": False, "gis_assessment_comment": False}
        latest = max(assessments, key=lambda e: e.change_date)
        return {
            "gis_assessment": latest.data.get("result") or "unknown",
            "gis_assessment_comment": (latest.data.get("comment") or "")[:250] or False,
        }

    @api.model
    def _draft_answer_guid(self, appeal):
        drafts = [
            entry.data.get("answer_guid")
            for entry in appeal.history
            if entry.kind == "answer" and not entry.data.get("is_sent")
        ]
        return drafts[-1] if drafts and drafts[-1] else False

    @api.model
    def _new_ticket_values(self, backend, appeal, refs):
        theme = refs["themes"].get(appeal.theme_code)
        partner, other = refs["partners"].get(appeal.guid) or (None, None)
        topic = appeal.theme_name or appeal.another_topic or self.env._("appeal")
        vals = self._ticket_values(appeal, refs)
        vals.update(
            {
                "name": self.env._(
                    "GIS appeal %(number)s: %(topic)s",
                    number=appeal.number,
                    topic=topic,
                )[:250],
                "description": plaintext2html(appeal.text or "")
                if appeal.text
                else Markup("<p></p>"),
                "company_id": backend.company_id.id,
                "channel_id": refs["channel"].id,
                "category_id": (
                    (theme.category_id if theme else False) or backend.category_id
                ).id,
                "priority": (theme.priority if theme else False) or backend.priority,
                # helpdesk_mgmt may auto-assign tickets to their creator: here
                # that would be the job's technical user. Dispatchers assign.
                "user_id": False,
                "partner_id": partner.id if partner else False,
                # The applicant's own name, whoever the contact is.
                "partner_name": appeal.applicant.full_name or False,
                "resident_other_partner_id": other.id if other else False,
                "partner_email": self._applicant_email(appeal.applicant) or False,
                "gis_backend_id": backend.id,
                "gis_history_keys": " ".join(h.key() for h in appeal.history) or False,
            }
        )
        team = (theme.team_id if theme else False) or backend.team_id
        # helpdesk_mgmt moves a ticket to its team's company: only a team of
        # the connection's company (or of none) may take it.
        if team and (not team.company_id or team.company_id == backend.company_id):
            vals["team_id"] = team.id
        if appeal.status == "withdrawn" and backend.withdrawn_stage_id:
            vals["stage_id"] = backend.withdrawn_stage_id.id
        return vals

    @api.model
    def _update_values(self, backend, ticket, appeal, refs):
        """What changed on the ticket since GIS last said."""
        vals = {}
        for name, value in self._ticket_values(appeal, refs).items():
            current = ticket[name]
            if isinstance(current, models.BaseModel):
                current = current.id
            if (current or False) != (value or False):
                vals[name] = value
        if (
            appeal.status == "withdrawn"
            and ticket.gis_status != "withdrawn"
            and backend.withdrawn_stage_id
            and not ticket.closed
        ):
            vals["stage_id"] = backend.withdrawn_stage_id.id
        vals["gis_history_keys"] = " ".join(h.key() for h in appeal.history) or False
        return vals

    @api.model
    def _log_history(self, notes):
        """Log, as one note per ticket and in one batch, the GIS history
        entries not logged yet. ``notes``: (ticket, appeal, known entry keys,
        announce a withdrawal)."""
        bodies = {}
        qweb = self.env["ir.qweb"]
        for ticket, appeal, known, announce_withdrawal in notes:
            entries = [e for e in appeal.history if e.key() not in known]
            withdrawn = appeal.status == "withdrawn" and announce_withdrawal
            if not entries and not withdrawn:
                continue
            bodies[ticket.id] = qweb._render(
                "helpdesk_gis_zhkh_max.gis_appeal_history_note",
                {
                    "entries": entries,
                    "withdrawn": withdrawn,
                    "withdrawn_comment": appeal.withdrawn_comment,
                },
            )
        if bodies:
            self._tickets().browse(list(bodies))._message_log_batch(bodies)
