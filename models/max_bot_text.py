# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..tools import max_dialog

KEYS = [
    ("welcome", "Greeting"),
    ("not_official", "Not the official channel"),
    ("menu_emergency", "Button: emergency"),
    ("menu_new", "Button: new request"),
    ("menu_mine", "Button: my requests"),
    ("menu_official", "Button: official request"),
    ("menu_contacts", "Button: contacts and hours"),
    ("menu_back", "Button: back to the menu"),
    ("describe", "Ask to describe the request"),
    ("emergency", "Emergency registered"),
    ("registered", "Request registered"),
    ("added", "Added to the open request"),
    ("ask_contact", "Ask for the phone number"),
    ("contact_button", "Button: share the phone number"),
    ("contact_refused", "Contact refused (not the sender's own)"),
    ("contact_thanks", "Phone number received"),
    ("ask_house", "Ask for the building"),
    ("house_other", "Button: another address"),
    ("ask_flat", "Ask for the flat"),
    ("complete", "Everything received"),
    ("official", "How to file an official request"),
    ("official_button", "Button: GIS ZhKKh chatbot"),
    ("contacts", "Contacts and hours"),
    ("notices_off", "Notices switched off"),
    ("notices_on", "Notices switched on"),
    ("notices_off_button", "Button: stop notices"),
    ("unsupported", "Not understood"),
]


class MaxBotText(models.Model):
    """One thing the MAX bot says (a message or a button label), edited by
    the organisation without code. Kept apart from the gateway, whose token
    only administrators may see, so that helpdesk managers edit the texts."""

    _name = "max.bot.text"
    _description = "Text of the MAX bot"
    _order = "gateway_id, sequence, id"

    gateway_id = fields.Many2one(
        "mail.gateway", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="gateway_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    key = fields.Selection(
        selection=KEYS,
        required=True,
        help="Where the bot uses the text. In texts, {number} is the request "
        "number and {phone} the dispatcher's phone.",
    )
    text = fields.Text(required=True)

    _key_unique = models.Constraint(
        "UNIQUE(gateway_id, key)", "The bot has one text per purpose."
    )

    @api.model
    def _default_texts(self):
        """The bot's texts in the context's language (Russian for residents)."""
        texts = {}
        texts["welcome"] = self.env._(
            "Hello! This is the bot of your management organisation. "
            "Report an emergency, leave a request or follow your requests here."
        )
        texts["not_official"] = self.env._(
            "Please note: this bot is not the official channel. Legally "
            "significant requests are filed through the GIS ZhKKh chatbot "
            "in MAX: there they are registered with a number and a legal "
            "deadline."
        )
        texts["menu_emergency"] = self.env._("🚨 Emergency")
        texts["menu_new"] = self.env._("New request")
        texts["menu_mine"] = self.env._("My requests")
        texts["menu_official"] = self.env._("Official request (GIS ZhKKh)")
        texts["menu_contacts"] = self.env._("Contacts and hours")
        texts["menu_back"] = self.env._("Menu")
        texts["describe"] = self.env._(
            "Describe the problem in one message; you may attach photos and files."
        )
        texts["emergency"] = self.env._(
            "Emergency request No. {number} is registered and passed to the "
            "dispatcher. If there is danger to people, call the dispatcher "
            "now: {phone}."
        )
        texts["registered"] = self.env._("Your request is registered as No. {number}.")
        texts["added"] = self.env._("Added to your request No. {number}.")
        texts["ask_contact"] = self.env._(
            "To reach you and find your flat, please share your phone "
            "number with the button below."
        )
        texts["contact_button"] = self.env._("Share my phone number")
        texts["contact_refused"] = self.env._(
            "We can only accept your own phone number: please use the button."
        )
        texts["contact_thanks"] = self.env._("Thank you, we have your phone number.")
        texts["ask_house"] = self.env._("Which building do you live in?")
        texts["house_other"] = self.env._("Another address")
        texts["ask_flat"] = self.env._("What is your flat number?")
        texts["complete"] = self.env._("Thank you, we have everything we need.")
        texts["official"] = self.env._(
            "A legally significant request is filed through the GIS ZhKKh "
            "chatbot in MAX. It is registered there with a number and we must "
            "answer it within the legal deadline."
        )
        texts["official_button"] = self.env._("Open the GIS ZhKKh chatbot")
        texts["contacts"] = self.env._(
            "Emergency dispatcher, around the clock: {phone}."
        )
        texts["notices_off"] = self.env._("You will not receive notices any more.")
        texts["notices_on"] = self.env._("You will receive notices again.")
        texts["notices_off_button"] = self.env._("Stop notices")
        texts["unsupported"] = self.env._(
            "Please choose from the menu or write your request."
        )
        return texts

    def _as_texts(self):
        """The conversation module's ``Texts``, the bot's own where set."""
        configured = {record.key: record.text for record in self if record.text}
        defaults = self._default_texts()
        return max_dialog.Texts(
            **{
                key: configured.get(key) or defaults.get(key) or ""
                for key in max_dialog.TEXT_FIELDS
            }
        )
