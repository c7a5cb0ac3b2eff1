/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {registry} from "@web/core/registry";

const REPLY = "Мастер придёт завтра к 10:00";
const RESIDENT = "Анна";
const SHOWN = `.o-mail-Message:contains('${REPLY}') .o-mail-Message-notification`;

// The icon is drawn: mail_gateway's "fa-max" was an empty box.
function drawn() {
    const box = this.anchor.getBoundingClientRect();
    if (box.width < 4 || box.height < 4) {
        throw new Error(`The delivery icon ${this.anchor.className} is not drawn`);
    }
}

// The dispatcher answers a MAX resident from the ticket: "Send message",
// no e-mail asked for, the delivery state shown on the message.
registry.category("web_tour.tours").add("hgzm_max_reply", {
    steps: () => [
        {
            content: "The chatter is loaded: the resident's request shows",
            trigger: ".o-mail-Chatter .o-mail-Message:contains('Не греют батареи')",
        },
        {
            content: "Send message",
            trigger: ".o-mail-Chatter .o-mail-Chatter-sendMessage",
            run: "click",
        },
        {
            content: "Nobody's e-mail is asked for, the resident is not an e-mail recipient",
            trigger: ".o-mail-Chatter .o-mail-RecipientsInput",
            run: async function () {
                // The composer asks in a popover once the recipients it
                // fetches when it opens have come.
                await new Promise((resolve) => setTimeout(resolve, 1500));
                if (document.querySelector(".o-mail-RecipientsInputTagsListPopover")) {
                    throw new Error("The composer asks for an e-mail address");
                }
                if (this.anchor.textContent.includes(RESIDENT)) {
                    throw new Error("The MAX resident is an e-mail recipient");
                }
            },
        },
        {
            content: "Write the reply",
            trigger: ".o-mail-Chatter .o-mail-Composer-input",
            run: `edit ${REPLY}`,
        },
        {
            content: "Send",
            trigger: ".o-mail-Chatter .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply shows it is being sent to MAX",
            trigger: `${SHOWN}:contains('MAX') i.fa-clock-o`,
            run: drawn,
        },
    ],
});

// Once the bot delivered it, the message says so.
registry.category("web_tour.tours").add("hgzm_max_reply_delivered", {
    steps: () => [
        {
            content: "The reply shows it reached MAX",
            trigger: `${SHOWN}:contains('MAX') i.fa-check`,
            run: drawn,
        },
    ],
});
