# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..tools import max_dialog


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
        selection="_key_selection",
        required=True,
        help="Where the bot uses the text. In texts, {number} is the request "
        "number and {phone} the dispatcher's phone.",
    )
    text = fields.Text(required=True)

    _key_unique = models.Constraint(
        "UNIQUE(gateway_id, key)", "The bot has one text per purpose."
    )

    @api.model
    def _key_selection(self):
        return [
            ("welcome", self.env._("Greeting")),
            ("not_official", self.env._("Not the official channel")),
            ("menu_emergency", self.env._("Button: emergency")),
            ("menu_new", self.env._("Button: new request")),
            ("menu_mine", self.env._("Button: my requests")),
            ("menu_official", self.env._("Button: official request")),
            ("menu_contacts", self.env._("Button: contacts and hours")),
            ("menu_back", self.env._("Button: back to the menu")),
            ("describe", self.env._("Ask to describe the request")),
            ("emergency", self.env._("Emergency registered")),
            ("registered", self.env._("Request registered")),
            ("added", self.env._("Added to the open request")),
            ("ask_contact", self.env._("Ask for the phone number")),
            ("contact_button", self.env._("Button: share the phone number")),
            ("contact_refused", self.env._("Contact refused (not the sender's own)")),
            ("contact_thanks", self.env._("Phone number received")),
            ("ask_house", self.env._("Ask for the building")),
            ("house_other", self.env._("Button: another address")),
            ("ask_flat", self.env._("Ask for the flat")),
            ("complete", self.env._("Everything received")),
            ("official", self.env._("How to file an official request")),
            ("official_button", self.env._("Button: GIS ZhKKh chatbot")),
            ("contacts", self.env._("Contacts and hours")),
            ("notices_off", self.env._("Notices switched off")),
            ("notices_on", self.env._("Notices switched on")),
            ("notices_off_button", self.env._("Button: stop notices")),
            ("unsupported", self.env._("Not understood")),
        ]

    @api.model
    def _default_texts(self):
        """The bot's texts in the context's language (Russian for residents)."""
        return {
            "welcome": self.env._(
                "Hello! This is the bot of your management organisation. "
                "Report an emergency, leave a request or follow your requests here."
            ),
            "not_official": self.env._(
                "Please note: this bot is not the official channel. Legally "
                "significant requests are filed through the GIS ZhKKh chatbot "
                "in MAX: there they are registered with a number and a legal "
                "deadline."
            ),
            "menu_emergency": self.env._("🚨 Emergency"),
            "menu_new": self.env._("New request"),
            "menu_mine": self.env._("My requests"),
            "menu_official": self.env._("Official request (GIS ZhKKh)"),
            "menu_contacts": self.env._("Contacts and hours"),
            "menu_back": self.env._("Menu"),
            "describe": self.env._(
                "Describe the problem in one message; you may attach photos and files."
            ),
            "emergency": self.env._(
                "Emergency request No. {number} is registered and passed to the "
                "dispatcher. If there is danger to people, call the dispatcher "
                "now: {phone}."
            ),
            "registered": self.env._("Your request is registered as No. {number}."),
            "added": self.env._("Added to your request No. {number}."),
            "ask_contact": self.env._(
                "To reach you and find your flat, please share your phone "
                "number with the button below."
            ),
            "contact_button": self.env._("Share my phone number"),
            "contact_refused": self.env._(
                "We can only accept your own phone number: please use the button."
            ),
            "contact_thanks": self.env._("Thank you, we have your phone number."),
            "ask_house": self.env._("Which building do you live in?"),
            "house_other": self.env._("Another address"),
            "ask_flat": self.env._("What is your flat number?"),
            "complete": self.env._("Thank you, we have everything we need."),
            "official": self.env._(
                "A legally significant request is filed through the GIS ZhKKh "
                "chatbot in MAX. It is registered there with a number and we must "
                "answer it within the legal deadline."
            ),
            "official_button": self.env._("Open the GIS ZhKKh chatbot"),
            "contacts": self.env._("Emergency dispatcher, around the clock: {phone}."),
            "notices_off": self.env._("You will not receive notices any more."),
            "notices_on": self.env._("You will receive notices again."),
            "notices_off_button": self.env._("Stop notices"),
            "unsupported": self.env._(
                "Please choose from the menu or write your request."
            ),
        }

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
