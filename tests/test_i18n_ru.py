# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A dispatcher's first day, in Russian (issue 15): with Russian loaded, the
helpdesk app shows no English, and ``-u`` keeps it so."""

import datetime
import io
import re

from lxml import etree
from openpyxl import load_workbook

from odoo import fields
from odoo.modules import Manifest
from odoo.tests import tagged
from odoo.tests.common import TransactionCase
from odoo.tools import convert_file, html2plaintext
from odoo.tools.safe_eval import safe_eval
from odoo.tools.translate import code_translations

from ..hooks import OTHER_MODULES
from .fakes.local_server import closed_url

CLOSED_URL = closed_url()

MODULES = (*OTHER_MODULES, "helpdesk_gis_zhkh_max")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Latin that Russian keeps: acronyms, brands, and GIS ZhKKh's own names of
# its identifiers (AppealGUID, AnswererGUID...).
ALLOWED = {
    *("GIS", "MAX", "SLA", "XLSX", "PDF", "ID", "URL", "HTTP", "API", "SMS"),
    *("e-mail", "Email", "Odoo", "JSON", "ISO", "TLS", "UTC", "Telegram"),
}
IDENTIFIER = re.compile(r"\w*GUID$")
# Views (and the sub-views of their fields) whose own title is never shown.
VIEW_TAGS = ("form", "list", "kanban", "search", "graph", "pivot", "calendar")
# What a view shows of its arch: text, and these attributes.
SHOWN_ATTRIBUTES = (
    *("string", "help", "placeholder", "title", "confirm", "aria-label"),
    *("sum", "data-tooltip"),
)
APP_MODELS = (
    *("helpdesk.ticket", "helpdesk.ticket.team", "helpdesk.ticket.stage"),
    *("helpdesk.ticket.category", "helpdesk.ticket.channel", "helpdesk.ticket.tag"),
)


def latin(text):
    """The Latin words of ``text`` beyond the allowed ones."""
    return [
        word
        for word in LATIN_WORD.findall(text or "")
        if word not in ALLOWED and not IDENTIFIER.match(word)
    ]


def english(text):
    """``text`` if it reads as English: Latin words beyond the allowed ones,
    and not a single Cyrillic letter (a Russian text may name an element of
    GIS ZhKKh's formats, a URL or a program)."""
    text = (text or "").strip()
    if text and not CYRILLIC.search(text) and latin(text):
        return text
    return None


def load_russian(env, overwrite=False):
    """Russian loaded as *Load a Translation* loads it: every installed
    module's catalogues (this addon's i18n_extra/ included)."""
    env["res.lang"]._activate_lang("ru_RU")
    env["ir.module.module"].search([("state", "=", "installed")])._update_translations(
        ["ru_RU"], overwrite=overwrite
    )


class HelpdeskAppScan:
    """Every text of the helpdesk app a user (``env``'s) can see: its menus
    and their actions, the views those actions and the app's models open,
    the labels, choices and tooltips of these modules' fields, the Action
    and Print menus, and the stages, channels, categories, tags and teams."""

    def __init__(self, env):
        self.env = env
        self.found = {}
        # The fields whose labels are these modules' (Odoo's own models'
        # fields, like res.users' in a list of members, are Odoo's).
        data = env["ir.model.data"].sudo()
        field_ids = data.search(
            [("model", "=", "ir.model.fields"), ("module", "in", MODULES)]
        ).mapped("res_id")
        self.fields = {
            (field.model, field.name)
            for field in env["ir.model.fields"].sudo().browse(field_ids)
        }

    def check(self, where, text):
        if english(text):
            self.found.setdefault(text.strip(), set()).add(where)

    def run(self):
        root = self.env.ref("helpdesk_mgmt.helpdesk_ticket_main_menu")
        views = {
            (model, False, kind)
            for model in APP_MODELS
            for kind in ("form", "list", "search", "kanban")
        }
        for menu in self.env["ir.ui.menu"].search([("id", "child_of", root.id)]):
            self.check(f"menu {menu.complete_name}", menu.name)
            action = menu.action
            if not action or action._name != "ir.actions.act_window":
                continue
            self.check(f"action {action.xml_id}", action.name)
            self.check(
                f"action help {action.xml_id}", html2plaintext(action.help or "")
            )
            views |= {(action.res_model, vid, kind) for vid, kind in action.views}
            views.add((action.res_model, action.search_view_id.id, "search"))
        for model, view_id, kind in sorted(views, key=str):
            self.check_view(model, view_id, kind)
        # The Action and Print menus of the app's records.
        bound = self.env["ir.actions.actions"].search(
            [("binding_model_id.model", "in", APP_MODELS)]
        )
        for action in bound:
            self.check(f"bound action {action.id}", action.name)
        # The app's data (tickets are the residents' words, not the app's).
        for model in APP_MODELS[1:]:
            for record in self.env[model].with_context(active_test=False).search([]):
                self.check(f"{model} {record.id}", record.display_name)
        return self.found

    def check_view(self, model, view_id, kind):
        result = self.env[model].get_views([(view_id, kind)])
        arch = etree.fromstring(result["views"][kind]["arch"])
        if model == "res.config.settings":
            if kind != "form":
                return
            # The helpdesk's part of the settings, not every app's.
            arch = arch.xpath("//app[@name='helpdesk_mgmt']")[0]
        where = f"{model} {kind}"
        for node in arch.iter(tag=etree.Element):
            if node.tag != "code":  # a command or a name, not words to read
                self.check(f"{where} text", node.text)
            self.check(f"{where} text", node.tail if node is not arch else None)
            for attribute in SHOWN_ATTRIBUTES:
                if attribute != "string" or node.tag not in VIEW_TAGS:
                    self.check(f"{where} @{attribute}", node.get(attribute))
        shown = {node.get("name") for node in arch.iter("field")}
        for field_model, description in result["models"].items():
            names = [
                name
                for name in description["fields"]
                if (field_model, name) in self.fields
                and (field_model != "res.config.settings" or name in shown)
            ]
            labels = self.env[field_model].fields_get(
                names, ["string", "help", "selection"]
            )
            for name, label in labels.items():
                where = f"{field_model}.{name}"
                self.check(where, label.get("string"))
                self.check(f"{where} help", label.get("help"))
                if name not in ("tz", "lang"):  # zone and language names
                    for _value, choice in label.get("selection") or []:
                        self.check(f"{where} choice", choice)


@tagged("post_install", "-at_install")
class TestHelpdeskInRussian(TransactionCase):
    """What a dispatcher sees on the first day, with Russian loaded as Odoo
    loads it (these modules' catalogues, i18n_extra/ included)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_russian(cls.env)
        cls.admin = cls.env.ref("base.user_admin")
        cls.russian = cls.env(user=cls.admin, context={"lang": "ru_RU"})

    def assertNoEnglish(self, env):
        found = HelpdeskAppScan(env).run()
        self.assertFalse(
            found,
            "English in the helpdesk app:\n"
            + "\n".join(
                f"{text!r}: {sorted(where)[:3]}" for text, where in found.items()
            ),
        )

    def test_the_helpdesk_app_shows_no_english(self):
        self.assertNoEnglish(self.russian)
        # Which the scan would see: it reads the whole app.
        self.assertEqual(
            self.russian.ref("helpdesk_mgmt.helpdesk_ticket_main_menu").name,
            "Служба поддержки",
        )
        self.assertTrue(english("Assign to me"))
        self.assertFalse(english("TransportGUID ответа"))

    def test_words_of_the_first_day(self):
        env = self.russian
        ticket = env["helpdesk.ticket"]
        names = ["team_id", "user_id", "priority", "partner_id", "category_id"]
        labels = ticket.fields_get([*names, "tag_ids"], ["string"])
        self.assertEqual(
            [labels[name]["string"] for name in [*names, "tag_ids"]],
            ["Команда", "Ответственный", "Приоритет", "Контакт", "Категория", "Теги"],
        )
        stages = [
            env.ref(f"helpdesk_mgmt.helpdesk_ticket_stage_{name}").name
            for name in ("new", "in_progress", "awaiting")
        ]
        self.assertEqual(stages, ["Новая", "В работе", "Ожидание"])
        form = env["helpdesk.ticket"].get_views([(False, "form")])["views"]["form"]
        self.assertIn('string="Назначить мне"', form["arch"])
        self.assertIn('string="Описание"', form["arch"])
        search = env["helpdesk.ticket"].get_views([(False, "search")])
        self.assertIn('string="Без ответственного"', search["views"]["search"]["arch"])

    def test_code_terms_of_helpdesk_mgmt_and_mail_gateway(self):
        """Their ``_()`` and web client terms, which Odoo reads from their
        own catalogues only, come from this addon's (hooks.py)."""
        env = self.russian
        self.assertEqual(
            [tile["name"] for tile in env["helpdesk.ticket.team"].retrieve_dashboard()],
            ["Открытые заявки без команды", "Открытые заявки"],
        )
        ticket = env["helpdesk.ticket"].message_new(
            {"subject": "", "body": "<p>Течёт</p>", "from": "anna@example.com"}
        )
        self.assertEqual(ticket.name, "Без темы")
        web = env["ir.http"]._get_translations_for_webclient(["mail_gateway"], "ru_RU")
        messages = {
            message["id"]: message["string"]
            for message in web[0]["mail_gateway"]["messages"]
        }
        self.assertEqual(messages["Send gateway"], "Через шлюз")
        self.assertFalse([text for text in messages.values() if english(text)])
        python = code_translations.get_python_translations("helpdesk_mgmt", "ru_RU")
        self.assertEqual(python["No Subject"], "Без темы")
        # Not this addon's own code terms.
        own = code_translations.get_python_translations(
            "helpdesk_gis_zhkh_max", "ru_RU"
        )
        self.assertNotIn("No Subject", own)
        self.assertEqual(own["Working."], "Работает.")

    def test_update_keeps_the_russian(self):
        """What ``-u`` does: the modules' data files read again (views, menus,
        actions written in English), then each module's catalogues loaded
        in order, without overwriting. A translation a record lost comes
        back; none is lost."""
        menu = self.env.ref("helpdesk_mgmt.helpdesk_ticket_main_menu")
        stage = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting")
        form = self.env.ref("helpdesk_mgmt.ticket_view_form")
        for record, column in ((menu, "name"), (stage, "name"), (form, "arch_db")):
            self.env.cr.execute(
                f'UPDATE "{record._table}" SET "{column}" = "{column}" - %s '
                "WHERE id = %s",
                ["ru_RU", record.id],
            )
        self.env.invalidate_all()
        self.assertEqual(menu.with_context(lang="ru_RU").name, "Helpdesk")
        for module in MODULES:
            for path in Manifest.for_addon(module)["data"]:
                convert_file(self.env, module, path, {}, mode="update")
        for module in MODULES:
            self.env["ir.module.module"].search(
                [("name", "=", module)]
            )._update_translations()
        self.env.invalidate_all()
        self.assertEqual(menu.with_context(lang="ru_RU").name, "Служба поддержки")
        self.assertEqual(stage.with_context(lang="ru_RU").name, "Ожидание")
        self.assertNoEnglish(self.russian)
        # Load a Translation, overwriting: the same.
        load_russian(self.env, overwrite=True)
        self.assertNoEnglish(self.russian)


@tagged("post_install", "-at_install")
class TestAddonInRussian(TransactionCase):
    """This addon's own last English: what the health cron stores, the notes
    of its install, its bot's name, the journal's files."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_russian(cls.env)
        cls.env.company.partner_id.lang = "ru_RU"
        cls.env["queue.job"].search([]).unlink()  # the demo's, not this test's

    def test_the_health_cron_stores_reasons_in_the_company_language(self):
        backend = self.env["gis.zhkh.backend"].create(
            {
                "name": "Подключение",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "last_success_at": fields.Datetime.now(),
            }
        )
        # The cron is nobody's user: OdooBot, without a language.
        cron = self.env["helpdesk.integration.health"].with_context(lang=None)
        cron._cron_check()
        self.assertEqual(backend.health_state, "ok")
        self.assertEqual(backend.health_reason, "Работает.")

    def test_no_english_model_names_in_the_install_notes(self):
        """The records this addon's data and demo files create carry no
        "created" note naming their model in English."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "helpdesk_gis_zhkh_max"), ("model", "!=", False)]
        )
        notes = self.env["mail.message"]
        for model in set(data.mapped("model")):
            if model in self.env and "message_ids" in self.env[model]._fields:
                ids = data.filtered(lambda d, m=model: d.model == m).mapped("res_id")
                notes |= notes.search(
                    [("model", "=", model), ("res_id", "in", ids)]
                ).filtered(lambda m: self.env[m.model]._description in (m.body or ""))
        self.assertFalse(notes, notes.mapped("body"))
        # Created by a person after the install: named in their language.
        russian = self.env(context={"lang": "ru_RU"})
        backend = russian["gis.zhkh.backend"].create(
            {
                "name": "ГИС",
                "endpoint_url": CLOSED_URL,
                "org_ppa_guid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            }
        )
        gateway = russian["mail.gateway"].create(
            {"name": "Бот", "gateway_type": "max", "token": "ru-token_0123456789"}
        )
        for record, name in (
            (backend, "Подключение к ГИС ЖКХ"),
            (gateway, "Шлюз сообщений"),
        ):
            self.assertIn(name, record.message_ids[-1:].body)

    def test_the_bot_is_named_in_russian(self):
        bot = self.env.ref("helpdesk_gis_zhkh_max.user_max_bot")
        self.assertEqual(bot.name, "Бот MAX")

    def test_the_journal_files_are_russian(self):
        env = self.env(context={"lang": "ru_RU"})
        today = fields.Date.context_today(env.user)
        env["helpdesk.ticket"].create({"name": "Течёт крыша", "description": "x"})
        journal = env["helpdesk.request.journal"].create(
            {"date_from": today, "date_to": today}
        )
        for xmlid in (
            "action_report_request_journal_xlsx",
            "action_report_request_journal_pdf",
        ):
            report = env.ref(f"helpdesk_gis_zhkh_max.{xmlid}")
            name = safe_eval(report.print_report_name, {"object": journal})
            self.assertTrue(name.startswith("Журнал учёта заявок"), name)
        xlsx = env.ref("helpdesk_gis_zhkh_max.action_report_request_journal_xlsx")
        content, _kind = xlsx._render_xlsx(xlsx.report_name, journal.ids, data={})
        sheet = load_workbook(io.BytesIO(content)).active
        title, headings = sheet["A1"].value, [cell.value for cell in sheet[4]]
        self.assertTrue(title.startswith("Журнал учёта заявок"), title)
        # Not a word of English, not even beside Russian ("Reaction: ...").
        self.assertFalse([text for text in [sheet.title, *headings] if latin(text)])
        pdf = env.ref("helpdesk_gis_zhkh_max.action_report_request_journal_pdf")
        html = pdf._render_qweb_html(pdf.report_name, journal.ids)[0].decode()
        self.assertIn("Журнал учёта заявок", html)
        headings = etree.fromstring(html, etree.HTMLParser()).xpath("//th/text()")
        self.assertTrue(headings)
        self.assertFalse([text for text in headings if latin(text)])

    def test_the_journal_is_russian_whoever_exports_it(self):
        """The organisation's record for a Russian inspectorate: in Russian
        for a user of another language too, its milestone columns and their
        cells included."""
        english = self.env(context={"lang": "en_US"})
        today = fields.Date.context_today(english.user)
        emergency = english.ref("helpdesk_gis_zhkh_max.category_emergency")
        ticket = english["helpdesk.ticket"].create(
            {"name": "Прорвало трубу", "description": "x", "category_id": emergency.id}
        )
        ticket.action_mark_localised()
        journal = english["helpdesk.request.journal"].create(
            {
                "date_from": today - datetime.timedelta(days=1),
                "date_to": today + datetime.timedelta(days=1),
            }
        )
        xlsx = english.ref("helpdesk_gis_zhkh_max.action_report_request_journal_xlsx")
        content, _kind = xlsx._render_xlsx(xlsx.report_name, journal.ids, data={})
        sheet = load_workbook(io.BytesIO(content)).active
        headings = [cell.value for cell in sheet[4]]
        self.assertIn("Информирование заявителя: выполнено / нарушено", headings)
        self.assertFalse([text for text in [sheet.title, *headings] if latin(text)])
        row = next(
            [cell.value for cell in row]
            for row in sheet.iter_rows(min_row=5)
            if row[1].value == ticket.number
        )
        milestones = [
            value
            for heading, value in zip(headings, row, strict=True)
            if heading.endswith("выполнено / нарушено") and value
        ]
        self.assertEqual(
            len(milestones), 4
        )  # inform, localisation, elimination, answer
        self.assertFalse([text for text in milestones if latin(text)])
        self.assertTrue(sheet["A3"].value.startswith("Сформирован"))
