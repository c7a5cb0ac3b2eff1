# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config

from ..tools import gis_client, gis_files, gis_schema, gis_xml_common
from ..tools.gis_errors import GisError, GisRequestInvalid
from ..tools.gis_signer import (
    CONFIG_SECTION,
    PROFILE_PREFIX,
    profile_signer,
    profiles_from_options,
    read_profiles,
)


def signer_profiles():
    """``{profile: command line}`` the server's configuration names: section
    ``[helpdesk_gis_zhkh_max]`` of its file, options ``signer.<profile>``;
    options ``helpdesk_gis_zhkh_max.signer.<profile>`` set in
    ``odoo.tools.config`` at run time (a launcher, the tests) come on top.
    Read at each use: a new profile needs no restart."""
    profiles = read_profiles(config.get("config"))
    prefix = f"{CONFIG_SECTION}."
    profiles.update(
        profiles_from_options(
            (key[len(prefix) :], value)
            for key, value in config.options.items()
            if isinstance(key, str)
            and key.startswith(prefix + PROFILE_PREFIX)
            and isinstance(value, str)
        )
    )
    return profiles


class GisZhkhBackend(models.Model):
    _name = "gis.zhkh.backend"
    _description = "GIS ZhKKh Connection"
    # The connection's settings, their checks and its clients here; its
    # connection test and its imports mixed in (pylint-odoo wants one class
    # per inherited model).
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "helpdesk.integration.health.mixin",
        "gis.zhkh.backend.connection.test",
        "gis.zhkh.backend.import",
    ]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    endpoint_url = fields.Char(
        string="Endpoint",
        required=True,
        tracking=True,
        help="scheme://host:port of the GIS ZhKKh API, of the organisation's GOST "
        "TLS proxy (stunnel, CryptoPro) or of a test stand. The service path "
        "/ext-bus-appeals-service/services/AppealsAsync is appended.",
    )
    service_url = fields.Char(string="Service URL", compute="_compute_service_url")
    org_ppa_guid = fields.Char(
        string="Organisation GUID (orgPPAGUID)",
        required=True,
        tracking=True,
        help="Identifier of the organisation's registration in GIS ZhKKh, sent in "
        "every request header.",
    )
    export_version = fields.Selection(
        selection=[(v, v) for v in gis_xml_common.EXPORT_APPEAL_VERSIONS],
        string="exportAppeal format version",
        required=True,
        default=gis_xml_common.DEFAULT_EXPORT_APPEAL_VERSION,
    )
    import_version = fields.Selection(
        selection=[(v, v) for v in gis_xml_common.IMPORT_ANSWER_VERSIONS],
        string="importAnswer format version",
        required=True,
        default=gis_xml_common.DEFAULT_IMPORT_ANSWER_VERSION,
    )
    basic_auth_user = fields.Char(
        string="HTTP user",
        help="Test stands (SIT) ask for HTTP basic authentication; production "
        "authenticates by the TLS client certificate instead.",
    )
    basic_auth_password = fields.Char(
        string="HTTP password", groups="base.group_system", copy=False
    )
    tls_verify = fields.Boolean(
        string="Verify TLS certificate",
        default=True,
        help="Check the server certificate for https:// endpoints.",
    )
    signing_mode = fields.Selection(
        selection=[
            ("none", "No signature (test stand, fake, signing proxy)"),
            ("command", "External signer program"),
        ],
        required=True,
        default="none",
        tracking=True,
        help="GIS ZhKKh requires XAdES-BES signatures on GOST R 34.10-2012 keys. "
        "The external program receives the request XML on its standard input and "
        "writes the signed XML to its standard output.",
    )
    # The database only names the profile: the command line is the server's
    # (it names key containers, and whoever may write here must not choose
    # what the server runs).
    signing_profile = fields.Selection(
        selection="_selection_signing_profile",
        string="Signer profile",
        tracking=True,
        help="A signer profile of the server's configuration file: section "
        "[helpdesk_gis_zhkh_max], option signer.<profile> = <command line>. The "
        "command is not run through a shell; it gets a minimal environment "
        "(PATH, HOME, locale, TMPDIR and GIS_SIGNER_* variables).",
    )
    signing_problem = fields.Char(
        compute="_compute_signing_problem",
        help="Why requests of this connection cannot be signed now.",
    )
    timeout = fields.Integer(
        string="Timeout (seconds)",
        default=120,
        help="How long to wait for a GIS ZhKKh answer.",
    )
    file_store_context = fields.Char(
        string="File store context",
        required=True,
        default=gis_files.DEFAULT_CONTEXT,
        help="The context of the GIS ZhKKh file store that holds the files of "
        "appeals and answers: {endpoint}/ext-bus-file-store-service/rest/"
        "{context}/. The value shipped (appeals) is not confirmed by the "
        "published formats: check the list of file store contexts of your "
        "format album.",
    )
    file_max_mb = fields.Integer(
        string="Largest file downloaded (MB)",
        default=50,
        required=True,
        help="A resident's file larger than this is not downloaded: the ticket "
        "names it (it stays in the GIS ZhKKh cabinet). 0: no limit.",
    )
    import_interval = fields.Integer(
        string="Import every (minutes)",
        default=15,
        required=True,
    )
    initial_days = fields.Integer(
        string="First import (days back)",
        default=30,
        required=True,
        help="How far back the first import reaches.",
    )
    overlap_days = fields.Integer(
        string="Overlap (days)",
        default=2,
        required=True,
        help="Each import asks again for the last days already imported, so that "
        "appeals registered late in GIS ZhKKh are not missed.",
    )
    refresh_interval = fields.Integer(
        string="Check open appeals every (minutes)",
        default=60,
        required=True,
        help="How often to ask GIS ZhKKh again for the appeals still open and "
        "those executed recently, to catch withdrawals, extensions, answers and "
        "assessments. 0: at every import.",
    )
    refresh_days = fields.Integer(
        string="Follow executed appeals for (days)",
        default=60,
        required=True,
        help="Residents assess the answer after the appeal is executed: keep "
        "checking executed appeals received within this many days.",
    )
    last_refresh_at = fields.Datetime(
        string="Open appeals last checked", readonly=True, copy=False
    )
    include_hcs_appeals = fields.Boolean(
        string="Include appeals formed by GIS ZhKKh",
        default=True,
    )
    poll_timeout_hours = fields.Integer(
        string="Give up waiting after (hours)",
        default=24,
        required=True,
        help="GIS ZhKKh answers asynchronously; a request still 'processing' after "
        "this time is recorded as failed (the next import asks again).",
    )
    team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Default team",
        help="Team of tickets whose theme has no team of its own.",
    )
    category_id = fields.Many2one(
        "helpdesk.ticket.category",
        string="Default category",
    )
    priority = fields.Selection(
        # helpdesk_mgmt's levels, labelled in the user's language.
        selection=lambda self: (
            self.env["helpdesk.ticket"]
            ._fields["priority"]
            ._description_selection(self.env)
        ),
        string="Default priority",
        default="1",
        required=True,
    )
    withdrawn_stage_id = fields.Many2one(
        "helpdesk.ticket.stage",
        string="Stage of withdrawn appeals",
        default=lambda self: self.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_cancelled", raise_if_not_found=False
        ),
        help="Open tickets whose appeal the resident withdraws move to this stage.",
    )
    stage_mail_to_residents = fields.Boolean(
        string="E-mail residents on stage changes",
        tracking=True,
        help="Let the e-mail templates of helpdesk stages (e.g. 'ticket closed') "
        "reach the residents of GIS ZhKKh appeals. Off by default: the official "
        "answer goes through GIS ZhKKh, and imports never e-mail anyone.",
    )
    answerer_ids = fields.One2many(
        "gis.zhkh.answerer",
        "backend_id",
        string="Answerers",
        help="The users who answer appeals in GIS ZhKKh, with their AnswererGUID.",
    )
    default_answerer_guid = fields.Char(
        string="Default AnswererGUID",
        tracking=True,
        help="Answers and actions of a ticket whose user has no AnswererGUID of "
        "their own go out under this one (e.g. the head of the dispatch service).",
    )
    answer_template_id = fields.Many2one(
        "mail.template",
        string="Answer template",
        domain="[('model', '=', 'helpdesk.ticket')]",
        default=lambda self: self.env.ref(
            "helpdesk_gis_zhkh_max.mail_template_gis_answer", raise_if_not_found=False
        ),
        help="Prefills the answer to the resident (its body, as plain text).",
    )
    retention_years = fields.Integer(
        string="Keep exchanges for (years)",
        default=5,
        required=True,
        help="Requests and answers exchanged with GIS ZhKKh, signed as sent, are "
        "kept this long as proof, then purged.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Gets an activity when imports fail for a reason that needs a human.",
    )
    last_window_end = fields.Date(
        string="Imported up to",
        readonly=True,
        copy=False,
        help="Appeals registered up to this date have been imported (a GIS date; "
        "the window ends today in the easternmost time zone, Kamchatka's, so that "
        "no building's today is missed).",
    )
    next_import_at = fields.Datetime(string="Next import", readonly=True, copy=False)
    last_success_at = fields.Datetime(string="Last success", readonly=True, copy=False)
    last_error_at = fields.Datetime(string="Last error", readonly=True, copy=False)
    last_error = fields.Text(string="Last error message", readonly=True, copy=False)
    last_error_code = fields.Char(readonly=True, copy=False)
    last_exchange_at = fields.Datetime(
        string="Last exchange started",
        readonly=True,
        copy=False,
        help="When a job last took this connection's turn to talk to GIS ZhKKh.",
    )
    message_log_ids = fields.One2many("gis.zhkh.message", "backend_id")
    message_log_count = fields.Integer(compute="_compute_counts")
    ticket_count = fields.Integer(compute="_compute_counts")
    last_message_id = fields.Many2one(
        "gis.zhkh.message", string="Last exchange", compute="_compute_counts"
    )
    last_created_count = fields.Integer(
        string="Tickets created", compute="_compute_counts"
    )
    last_updated_count = fields.Integer(
        string="Tickets updated", compute="_compute_counts"
    )
    last_failed_count = fields.Integer(
        string="Appeals failed", compute="_compute_counts"
    )

    _org_ppa_guid_company_unique = models.Constraint(
        "UNIQUE(company_id, org_ppa_guid, endpoint_url)",
        "This organisation is already connected to this endpoint.",
    )
    _positive_numbers = models.Constraint(
        "CHECK(import_interval > 0 AND initial_days >= 0 AND overlap_days >= 0 "
        "AND timeout > 0 AND poll_timeout_hours > 0 AND refresh_interval >= 0 "
        "AND refresh_days >= 0 AND retention_years > 0 AND file_max_mb >= 0)",
        "Intervals, days and timeouts must be positive.",
    )

    @api.model
    def _selection_signing_profile(self):
        return [(name, name) for name in sorted(signer_profiles())]

    @api.depends("signing_mode", "signing_profile")
    def _compute_signing_problem(self):
        profiles = signer_profiles()
        for backend in self:
            problem = False
            if backend.signing_mode == "command" and not backend.signing_profile:
                problem = self.env._(
                    "No signer profile: choose one of the profiles of the "
                    "server's configuration file."
                )
            elif (
                backend.signing_mode == "command"
                and backend.signing_profile not in profiles
            ):
                problem = self.env._(
                    "The signer profile %(profile)s is not in the server's "
                    "configuration file: add the option signer.%(profile)s to its "
                    "section [helpdesk_gis_zhkh_max], or choose another profile. "
                    "Nothing is sent to GIS ZhKKh until then.",
                    profile=backend.signing_profile,
                )
            backend.signing_problem = problem

    @api.depends("endpoint_url")
    def _compute_service_url(self):
        for backend in self:
            try:
                backend.service_url = gis_client.service_url(backend.endpoint_url)
            except GisError:
                backend.service_url = False

    def _compute_counts(self):
        messages = self.env["gis.zhkh.message"]
        last_ids = dict(
            messages._read_group(
                [("backend_id", "in", self.ids), ("state", "in", ("done", "error"))],
                ["backend_id"],
                ["id:max"],
            )
        )
        last_messages = messages.browse(last_ids.values())
        last_messages.fetch(["created_count", "updated_count", "failed_count"])
        ticket_data = dict(
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            ._read_group(
                [("gis_backend_id", "in", self.ids)], ["gis_backend_id"], ["__count"]
            )
        )
        message_data = dict(
            messages._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.ticket_count = ticket_data.get(backend, 0)
            backend.message_log_count = message_data.get(backend, 0)
            last = messages.browse(last_ids.get(backend))
            backend.last_message_id = last
            backend.last_created_count = last.created_count
            backend.last_updated_count = last.updated_count
            backend.last_failed_count = last.failed_count

    @api.constrains("org_ppa_guid")
    def _check_org_ppa_guid(self):
        for backend in self:
            if not gis_xml_common.is_guid(backend.org_ppa_guid):
                raise ValidationError(
                    self.env._(
                        "The organisation GUID %(guid)s is not a GUID "
                        "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
                        guid=backend.org_ppa_guid,
                    )
                )

    @api.constrains("endpoint_url")
    def _check_endpoint_url(self):
        for backend in self:
            if not backend.service_url:
                raise ValidationError(
                    self.env._(
                        "The endpoint %(url)s must start with http:// or https://.",
                        url=backend.endpoint_url,
                    )
                )

    @api.constrains("default_answerer_guid")
    def _check_default_answerer_guid(self):
        for backend in self:
            guid = backend.default_answerer_guid
            if guid and not gis_xml_common.is_guid(guid):
                raise ValidationError(
                    self.env._(
                        "The default AnswererGUID %(guid)s is not a GUID "
                        "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
                        guid=guid,
                    )
                )

    def _answerer_for(self, user):
        """``(AnswererGUID, the answerer record or None)`` for ``user``: their
        own mapping, else the connection's default; (False, None) when none."""
        self.ensure_one()
        backend = self.sudo()
        mapping = backend.answerer_ids.filtered(lambda a: a.user_id == user)[:1]
        if mapping:
            return mapping.answerer_guid, mapping
        return backend.default_answerer_guid or False, None

    @api.constrains("signing_mode", "signing_profile")
    def _check_signing_profile(self):
        profiles = signer_profiles()
        for backend in self:
            if backend.signing_mode != "command":
                continue
            if backend.signing_profile not in profiles:
                raise ValidationError(
                    self.env._(
                        "Choose a signer profile of the server's configuration "
                        "file (section [helpdesk_gis_zhkh_max]): %(profiles)s.",
                        profiles=", ".join(sorted(profiles)) or self.env._("none yet"),
                    )
                )

    # ------------------------------------------------------------------
    # Client
    # ------------------------------------------------------------------

    def _get_client(self, timeout=None, on_exchange=None):
        """A GIS client configured from this connection; ``timeout`` (seconds
        per request and for the signer) overrides the connection's;
        ``on_exchange`` receives every call as it went over the wire."""
        self.ensure_one()
        backend = self.sudo()
        timeout = timeout or backend.timeout
        basic_auth = None
        if backend.basic_auth_user:
            basic_auth = (backend.basic_auth_user, backend.basic_auth_password or "")
        try:
            return gis_client.GisAppealsClient(
                backend.endpoint_url,
                backend.org_ppa_guid,
                export_version=backend.export_version,
                import_version=backend.import_version,
                timeout=(min(10, timeout), timeout),
                basic_auth=basic_auth,
                verify=backend.tls_verify,
                signer=profile_signer(
                    backend.signing_mode,
                    backend.signing_profile,
                    signer_profiles(),
                    timeout=timeout,
                ),
                on_exchange=on_exchange,
            )
        except GisError as error:
            raise UserError(self._error_text(error)) from error

    def _client_settings(self, timeout=None):
        backend = self.sudo()
        timeout = timeout or backend.timeout
        basic_auth = None
        if backend.basic_auth_user:
            basic_auth = (backend.basic_auth_user, backend.basic_auth_password or "")
        return {
            "timeout": (min(10, timeout), timeout),
            "basic_auth": basic_auth,
            "verify": backend.tls_verify,
        }

    def _get_file_client(self):
        """A client of the GIS file store for this connection."""
        self.ensure_one()
        backend = self.sudo()
        try:
            return gis_files.GisFileStoreClient(
                backend.endpoint_url,
                backend.org_ppa_guid,
                context=backend.file_store_context,
                **self._client_settings(),
            )
        except GisError as error:
            raise UserError(self._error_text(error)) from error

    def _get_nsi_client(self, on_exchange=None):
        """A client of the common НСИ service (directory 220), signed as
        the connection's appeals requests are."""
        self.ensure_one()
        backend = self.sudo()
        try:
            return gis_client.GisNsiClient(
                backend.endpoint_url,
                backend.org_ppa_guid,
                signer=profile_signer(
                    backend.signing_mode,
                    backend.signing_profile,
                    signer_profiles(),
                    timeout=backend.timeout,
                ),
                on_exchange=on_exchange,
                **self._client_settings(),
            )
        except GisError as error:
            raise UserError(self._error_text(error)) from error

    def _format_text(self, error):
        """What is wrong with a request that does not follow the GIS ZhKKh
        format, in the user's language: which element, and how."""
        problems = error.problems[:3]
        text = self.env._(
            "Not sent to GIS ZhKKh: the request does not follow the format "
            "%(version)s, GIS would refuse it. %(problems)s",
            version=gis_schema.FORMATS_VERSION,
            problems=" ".join(self._format_problem(p) for p in problems),
        )
        if len(error.problems) > len(problems):
            text += " " + self.env._(
                "(%(count)s more problems.)", count=len(error.problems) - len(problems)
            )
        return text

    def _format_problem(self, problem):
        element = problem.element
        if problem.kind == "too_long" and problem.limit:
            return self.env._(
                "«%(element)s» is too long: %(actual)s characters, at most %(limit)s.",
                element=element,
                actual=problem.actual,
                limit=problem.limit,
            )
        if problem.kind == "too_short" and problem.limit:
            return self.env._(
                "«%(element)s» is too short: %(actual)s characters, at least "
                "%(limit)s.",
                element=element,
                actual=problem.actual,
                limit=problem.limit,
            )
        sentences = {
            "length": self.env._(
                "«%(element)s» has the wrong length.", element=element
            ),
            "pattern": self.env._(
                "«%(element)s» does not have the required form.", element=element
            ),
            "enumeration": self.env._(
                "«%(element)s» is not one of the allowed values.", element=element
            ),
            "content": self.env._(
                "«%(element)s» lacks an element or has one out of place.",
                element=element,
            ),
            "type": self.env._(
                "«%(element)s» has a value of the wrong type.", element=element
            ),
            "range": self.env._(
                "«%(element)s» is out of the allowed range.", element=element
            ),
        }
        sentence = sentences.get(
            problem.kind,
            self.env._("«%(element)s» breaks the format.", element=element),
        )
        return self.env._(
            "%(sentence)s (%(detail)s)", sentence=sentence, detail=problem.detail
        )

    def _error_detail(self, error):
        """The error in the user's words where the addon has them (a request
        refused before it was sent), else as the client says it."""
        if isinstance(error, GisRequestInvalid):
            return self._format_text(error)
        return str(error)

    def _error_text(self, error):
        """A sentence for the manager about a GIS error."""
        if isinstance(error, GisRequestInvalid):
            return self.env._(
                "GIS ZhKKh (%(name)s): %(error)s Nothing was sent; sending it "
                "again would change nothing: correct the data named, or report "
                "the fault of the addon.",
                name=self.name,
                error=self._format_text(error),
            )
        if error.transient:
            hint = self.env._("This looks temporary: it will be retried.")
        else:
            hint = self.env._(
                "This needs a human: check the connection settings, the "
                "organisation's rights in GIS ZhKKh or the signer."
            )
        return self.env._(
            "GIS ZhKKh (%(name)s): %(error)s. %(hint)s",
            name=self.name,
            error=str(error),
            hint=hint,
        )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
            },
        }

    def action_open_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [("gis_backend_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_message_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_gis_zhkh_max.gis_zhkh_message_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    def _record_success(self):
        # Forget the code, not the message: the next failure notifies again.
        self.write({"last_success_at": fields.Datetime.now(), "last_error_code": False})

    def _health_responsible(self):
        return self.responsible_user_id

    def _record_error(self, error, message):
        """Keep the error on the connection and tell the responsible once."""
        self.ensure_one()
        changed = self.last_error_code != (error.code or error.__class__.__name__)
        self.write(
            {
                "last_error_at": fields.Datetime.now(),
                "last_error": self._error_text(error),
                "last_error_code": error.code or error.__class__.__name__,
            }
        )
        if changed and self.responsible_user_id:
            message.activity_schedule(
                "helpdesk_gis_zhkh_max.mail_activity_gis_import_failed",
                user_id=self.responsible_user_id.id,
                note=self._error_text(error),
            )
