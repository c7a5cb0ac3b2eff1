# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import hashlib
import json

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import gis_operations

# An operation that is neither refused nor cancelled stands: the same one
# (same ticket, operation and values) is not queued a second time.
ACTIVE_STATES = ("queued", "sent", "accepted")


class GisZhkhOperationQueueing(models.AbstractModel):
    """Queueing an operation from a ticket (its wizard, a server action):
    checked, once, and what the user is told. Mixed into
    ``gis.zhkh.operation``, whose fields it uses."""

    _name = "gis.zhkh.operation.queueing"
    _description = "GIS ZhKKh Operation Queueing"

    @api.model
    def _plain_for(self, ticket, operation, values):
        """The operation ``values`` describe, for ``ticket``'s appeal."""
        ticket = ticket.sudo()
        answerer_guid = False
        if ticket.gis_backend_id:
            answerer_guid = ticket.gis_backend_id._answerer_for(ticket.user_id)[0]
        answer_guid = values.get("answer_guid")
        if operation == "delete_answer" and not answer_guid:
            answer_guid = ticket.gis_draft_answer_guid

        def text(name):
            # What is sent is what is compared: " x" and "x" are one request.
            return (values.get(name) or "").strip() or None

        return gis_operations.Operation(
            operation=operation,
            appeal_guid=ticket.gis_appeal_guid,
            answerer_guid=answerer_guid,
            text=text("text"),
            answer_guid=answer_guid or None,
            execution_date=fields.Date.to_date(values.get("execution_date")),
            comment=text("comment"),
            cause=text("cause"),
            receiver_guid=text("receiver_guid"),
            performer_guid=text("performer_guid"),
            date_of_appointment=fields.Date.to_date(values.get("date_of_appointment")),
        )

    @api.model
    def _problems_for(self, ticket, plain):
        """Why ``plain`` cannot go to GIS ZhKKh for ``ticket``, in words for
        the user; [] when it can."""
        ticket = ticket.sudo()
        problems = gis_operations.check(
            plain,
            status=ticket.gis_status,
            deadline=ticket.gis_deadline,
            today=ticket._gis_local_today(),
        )
        if ticket.gis_appeal_guid and not ticket.gis_backend_id.active:
            problems.insert(0, gis_operations.Problem("not_from_gis", "appeal_guid"))
        return list(dict.fromkeys(self._problem_text(ticket, p) for p in problems))

    @api.model
    def _problem_text(self, ticket, problem):
        labels = {
            "text": self.env._("The answer"),
            "comment": self.env._("The comment"),
            "cause": self.env._("The cause"),
            "execution_date": self.env._("The new deadline"),
            "receiver_guid": self.env._("The receiver organisation's GUID"),
            "answerer_guid": self.env._("The AnswererGUID"),
            "performer_guid": self.env._("The performer's AnswererGUID"),
            "date_of_appointment": self.env._("The planned date"),
        }
        field = labels.get(problem.field, problem.field)
        deadline = ticket.sudo().gis_deadline
        if problem.code == "no_answerer" and ticket.user_id:
            no_answerer = self.env._(
                "Nobody answers this ticket in GIS ZhKKh: give %(user)s an "
                "AnswererGUID on the connection, or set its default answerer.",
                user=ticket.user_id.name,
            )
        else:
            no_answerer = self.env._(
                "Nobody answers this ticket in GIS ZhKKh: assign the ticket to a "
                "user who has an AnswererGUID on the connection, or set its "
                "default answerer."
            )
        texts = {
            "not_from_gis": self.env._(
                "This ticket is not an appeal received from GIS ZhKKh."
            ),
            "no_answerer": no_answerer,
            "appeal_withdrawn": self.env._(
                "The resident withdrew the appeal in GIS ZhKKh: it takes no more "
                "answers or actions."
            ),
            "appeal_executed": self.env._(
                "The appeal is already executed in GIS ZhKKh."
            ),
            "length": self.env._(
                "%(field)s must have %(low)s to %(high)s characters (it has "
                "%(length)s).",
                field=field,
                low=problem.low,
                high=problem.high,
                length=problem.length,
            ),
            "bad_characters": self.env._(
                "%(field)s contains characters GIS ZhKKh cannot receive.", field=field
            ),
            "bad_guid": self.env._(
                "%(field)s is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
                field=field,
            ),
            "required": self.env._("%(field)s is required.", field=field),
            "not_after_deadline": self.env._(
                "The new deadline must come after the current one (%(deadline)s).",
                deadline=deadline.strftime("%d.%m.%Y") if deadline else "",
            ),
            "not_in_future": self.env._(
                "%(field)s must be in the future.", field=field
            ),
            "no_draft_answer": self.env._(
                "There is no draft answer to delete in GIS ZhKKh."
            ),
            "unknown_operation": self.env._("Unknown GIS ZhKKh operation."),
            "files_not_allowed": self.env._(
                "Only an answer can carry documents to GIS ZhKKh."
            ),
        }
        return texts.get(problem.code, problem.code)

    @api.model
    def _content_key(self, ticket, plain, attachments=None):
        """What makes an operation itself: the ticket and what is sent
        (``attachments``: the documents, by name and content)."""
        values = [
            getattr(plain, f.name)
            for f in dataclasses.fields(plain)
            if f.name != "attachments"
        ]
        if attachments:
            # Only then: the keys of operations without documents stay.
            values.append(sorted(attachments.mapped(lambda a: (a.name, a.checksum))))
        payload = json.dumps([ticket.id, *values], ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @api.model
    def _queue_for(self, ticket, operation, values=None, source="manual"):
        """Queue ``operation`` on ``ticket``'s appeal, checked first.

        The same request already queued or sent is returned, not queued
        again; so is the one GIS last accepted of this kind when it is the
        same (a rule firing twice sends nothing new). After a different one
        was accepted, the same request is new again: appointing A, then B,
        then A sends A twice. Raises ``UserError`` with every reason it
        cannot be sent."""
        ticket.ensure_one()
        # Whoever cannot change the ticket cannot act on its appeal.
        ticket.check_access("write")
        plain = self._plain_for(ticket, operation, values or {})
        problems = self._problems_for(ticket, plain)
        attachments = self._documents_for(ticket, operation, values or {})
        if problems:
            raise UserError("\n".join(problems))
        ticket = ticket.sudo()
        operations = self.sudo()
        content = self._content_key(ticket, plain, attachments)
        last = operations.search(
            [
                ("ticket_id", "=", ticket.id),
                ("operation", "=", operation),
                ("state", "=", "accepted"),
            ],
            order="done_at desc, id desc",
            limit=1,
        )
        if last and last.key.split("-")[0] == content:
            return last
        key = f"{content}-{last.id or 0}"
        existing = operations.search(
            [("key", "=", key), ("state", "in", ACTIVE_STATES)], limit=1
        )
        if existing:
            return existing
        try:
            with self.env.cr.savepoint():
                record = operations.create(
                    {
                        "ticket_id": ticket.id,
                        "backend_id": ticket.gis_backend_id.id,
                        "appeal_guid": plain.appeal_guid,
                        "operation": operation,
                        "key": key,
                        "source": source,
                        "requested_by_id": self.env.user.id,
                        "answerer_guid": plain.answerer_guid,
                        "text": plain.text,
                        "answer_guid": plain.answer_guid,
                        "execution_date": plain.execution_date,
                        "comment": plain.comment,
                        "cause": plain.cause,
                        "receiver_guid": plain.receiver_guid,
                        "performer_guid": plain.performer_guid,
                        "date_of_appointment": plain.date_of_appointment,
                        "file_ids": [
                            fields.Command.create(
                                {
                                    "ticket_id": ticket.id,
                                    "backend_id": ticket.gis_backend_id.id,
                                    "direction": "out",
                                    "source": "operation",
                                    "name": attachment.name,
                                    "description": attachment.description
                                    or attachment.name,
                                    "attachment_id": attachment.id,
                                }
                            )
                            for attachment in attachments
                        ],
                    }
                )
        except pg_errors.UniqueViolation as error:
            # The same click, at the same moment, in another transaction.
            raise UserError(
                self.env._("This operation is already queued for GIS ZhKKh.")
            ) from error
        record._enqueue_prepare()
        ticket._message_log(
            body=Markup("%s <b>%s</b>")
            % (self.env._("Queued for GIS ZhKKh:"), record._operation_name())
        )
        return record.with_context(gis_operation_new=True)

    @api.model
    def _documents_for(self, ticket, operation, values):
        """The ticket's attachments to send with an answer (``values``'
        ``attachment_ids``), checked: the ticket's own, answers only."""
        ids = values.get("attachment_ids") or []
        if not ids:
            return self.env["ir.attachment"]
        if operation not in gis_operations.ANSWERING:
            raise UserError(
                self.env._("Only an answer can carry documents to GIS ZhKKh.")
            )
        # Read with the user's rights: only what they may see of the ticket.
        attachments = self.env["ir.attachment"].browse(ids).exists()
        if len(attachments) != len(set(ids)) or any(
            a.res_model != "helpdesk.ticket" or a.res_id != ticket.id
            for a in attachments
        ):
            raise UserError(
                self.env._("Only files attached to the ticket can be sent with it.")
            )
        return attachments.sudo()

    def _notification(self, next_action=None):
        """The client action telling the user what became of the request."""
        self.ensure_one()
        params = {
            "title": self.env._("GIS ZhKKh"),
            "message": self._notice(),
            "type": "info" if self.state == "accepted" else "success",
        }
        if next_action:
            params["next"] = next_action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def _notice(self):
        """What the user who asked for this operation is told."""
        self.ensure_one()
        name = self._operation_name()
        if self.state == "accepted":
            return self.env._(
                "GIS ZhKKh has already accepted «%(operation)s» as it is: nothing "
                "new is sent.",
                operation=name,
            )
        if not self.env.context.get("gis_operation_new"):
            return self.env._(
                "«%(operation)s» is already on its way to GIS ZhKKh: it is not "
                "sent twice.",
                operation=name,
            )
        return self.env._(
            "«%(operation)s» is queued for GIS ZhKKh. The ticket shows when GIS "
            "ZhKKh accepts it.",
            operation=name,
        )
