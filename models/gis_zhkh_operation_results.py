# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

from markupsafe import Markup

from odoo import api, fields, models

from ..tools import gis_operations
from .helpdesk_ticket import gis_facts_writer


class GisZhkhOperationResults(models.AbstractModel):
    """What GIS ZhKKh said of operations: accepted or refused, then
    confirmed or contradicted by the appeal's next import. Mixed into
    ``gis.zhkh.operation``."""

    _name = "gis.zhkh.operation.results"
    _description = "GIS ZhKKh Operation Results"

    def _apply_results(self, result):
        """Accept or reject these operations from a finished getState."""
        roles = self._roles_by_transport()
        outcome = {record: {} for record in self}
        for item in result.import_results:
            if item.transport_guid in roles:
                record, role = roles[item.transport_guid]
                outcome[record][role] = item
        for record, items in outcome.items():
            expected = gis_operations.result_roles(record.operation)
            errors = [e for item in items.values() for e in item.errors]
            answer = items.get("answer")
            if errors:
                # "Answer and mark executed": GIS may take the answer and
                # refuse the rest; the answer it took is kept.
                answered = answer if answer and not answer.errors else None
                record._reject(
                    ", ".join(e.code for e in errors if e.code) or "GIS",
                    "\n".join(e.description or e.code for e in errors),
                    answer_guid=answered.guid if answered else False,
                )
            elif set(items) != set(expected):
                record._reject(
                    "MISSING",
                    self.env._("GIS ZhKKh did not say what became of this operation."),
                )
            else:
                record._accept(
                    answer_guid=answer.guid if answer else False,
                    number=answer.unique_number if answer else False,
                )

    def _reject_all(self, code, text):
        for record in self:
            record._reject(code, text)

    def _accept(self, answer_guid=False, number=False, at=None):
        """GIS took the operation (``at``: when, if not now)."""
        self.ensure_one()
        now = at or fields.Datetime.now()
        self.write(
            {
                "state": "accepted",
                "done_at": now,
                "result_answer_guid": answer_guid,
                "result_number": number,
                "error_code": False,
                "error_message": False,
                "last_error": False,
                "result_unknown": False,
            }
        )
        ticket = self.ticket_id
        values = {}
        answering = answer_guid or self.operation in gis_operations.ANSWERING
        if answering and not ticket.gis_answered_at:
            # GIS took the organisation's answer: that meets the answer
            # deadline (helpdesk.ticket.deadline._done_at_of).
            values["gis_answered_at"] = now
        if self.operation == "delete_answer":
            values["gis_draft_answer_guid"] = False
        if values:
            gis_facts_writer(ticket).write(values)
        body = Markup("%s <b>%s</b>") % (
            self.env._("GIS ZhKKh accepted:"),
            self._operation_name(),
        )
        if answer_guid:
            body += Markup(" (AnswerGUID %s)") % answer_guid
        ticket._message_log(body=body)
        if gis_operations.tells_planned_time(self._plain()):
            # The resident sees it in GIS ZhKKh: the planned time is told.
            ticket._refresh_told()
        # The next import checks the open appeals at once: it confirms.
        self.backend_id.sudo().last_refresh_at = False

    def _reject(self, code, text, conflict=None, answer_guid=False, local=False):
        """GIS (or our last check) refused the operation. ``answer_guid``:
        the answer part of an "answer and mark executed" GIS did accept;
        ``local``: refused here, nothing was sent."""
        self.ensure_one()
        now = fields.Datetime.now()
        self.write(
            {
                "state": "rejected",
                "done_at": now,
                "error_code": code,
                "error_message": text,
                "conflict": conflict or False,
                "result_answer_guid": answer_guid,
            }
        )
        ticket = self.ticket_id
        if answer_guid:
            if not ticket.gis_answered_at:
                gis_facts_writer(ticket).gis_answered_at = now
            ticket._refresh_told()
            text = self.env._(
                "GIS ZhKKh accepted the answer (AnswerGUID %(guid)s) but refused "
                "to mark the appeal executed: %(code)s %(message)s. Mark it "
                "executed on its own; do not send the answer again.",
                guid=answer_guid,
                code=code or "",
                message=text or "",
            )
        elif local:
            text = self.env._(
                "«%(operation)s» was not sent to GIS ZhKKh: %(message)s",
                operation=self._operation_name(),
                message=text or "",
            )
        else:
            text = self.env._(
                "GIS ZhKKh refused «%(operation)s»: %(code)s %(message)s",
                operation=self._operation_name(),
                code=code or "",
                message=text or "",
            )
        ticket._message_log(body=text)
        self._tell_responsible(ticket, text)

    @api.model
    def _tell_responsible(self, ticket, text):
        """An activity for whoever must act on ``ticket``: its user, or the
        connection's responsible."""
        user = ticket.user_id or ticket.sudo().gis_backend_id.responsible_user_id
        if user:
            ticket.activity_schedule(
                "helpdesk_gis_zhkh_max.mail_activity_gis_operation_rejected",
                user_id=user.id,
                note=text,
            )

    @api.model
    def _confirm_by_import(self, ticket, appeal, exported_at):
        """An import after accepted operations: confirm what GIS shows, or
        flag, never silently, what it shows against them."""
        pending = ticket.gis_operation_ids.filtered(
            lambda op: (
                op.state == "accepted"
                and not op.confirmed
                and not op.conflict
                and op.done_at
                and exported_at
                and exported_at >= op.done_at
            )
        )
        statuses = dict(ticket._fields["gis_status"]._description_selection(self.env))
        for operation in ticket.gis_operation_ids.filtered("result_unknown"):
            if operation.state == "sent" and gis_operations.effect_seen(
                operation._plain(), appeal
            ):
                # GIS had taken it at its first send.
                first = min(
                    operation.attempt_ids.mapped("sent_at") or [operation.sent_at]
                )
                operation._accept(at=first)
                operation.confirmed = True
        for operation in pending:
            plain = operation._plain()
            if operation.result_answer_guid:
                plain.answer_guid = operation.result_answer_guid
            if appeal.status == "withdrawn":
                conflict = self.env._(
                    "The resident withdrew the appeal in GIS ZhKKh after "
                    "«%(operation)s» was accepted.",
                    operation=operation._operation_name(),
                )
            elif gis_operations.effect_seen(plain, appeal):
                operation.confirmed = True
                continue
            else:
                conflict = self.env._(
                    "GIS ZhKKh accepted «%(operation)s» but does not show it: the "
                    "appeal is «%(status)s» there. Check the appeal in GIS ZhKKh.",
                    operation=operation._operation_name(),
                    status=statuses.get(appeal.status)
                    or appeal.raw_status
                    or self.env._("unknown"),
                )
            operation.conflict = conflict
            ticket.gis_conflict = "\n".join(
                filter(None, [ticket.gis_conflict, conflict])
            )
            ticket._message_log(body=conflict)
            self._tell_responsible(ticket, conflict)
