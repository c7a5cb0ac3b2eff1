/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {Message} from "@mail/core/common/message_model";
import {Notification} from "@mail/core/common/notification_model";
import {_t} from "@web/core/l10n/translation";
import {patch} from "@web/core/utils/patch";

// mail_gateway draws a gateway's delivery as the icon "fa-<gateway type>":
// FontAwesome has no "fa-max", so the state of a reply to a MAX resident
// showed nothing. Icons of their own, and the state in words beside them.
const ICONS = {
    ready: "fa fa-clock-o",
    process: "fa fa-clock-o",
    pending: "fa fa-clock-o",
    sent: "fa fa-check",
    exception: "fa fa-exclamation-triangle",
    bounce: "fa fa-exclamation-triangle",
    canceled: "fa fa-ban",
};
const COLOURS = {sent: "text-success", exception: "text-danger", bounce: "text-danger"};

patch(Notification.prototype, {
    get icon() {
        if (this.gateway_type !== "max") {
            return super.icon;
        }
        return ICONS[this.notification_status] || "fa fa-paper-plane-o";
    },
    get statusIcon() {
        if (this.gateway_type !== "max") {
            return super.statusIcon;
        }
        const colour = COLOURS[this.notification_status] || "";
        return `${this.icon} ${colour}`.trim();
    },
    get label() {
        if (this.gateway_type !== "max") {
            return super.label;
        }
        if (this.notification_status === "sent") {
            return _t("MAX: delivered");
        }
        if (this.isFailure) {
            return _t("MAX: not delivered");
        }
        if (this.notification_status === "canceled") {
            return _t("MAX: cancelled");
        }
        return _t("MAX: being sent");
    },
});

patch(Message.prototype, {
    /**
     * The notification the message shows: the MAX delivery when there is
     * one (e-mail followers' notifications come before it).
     */
    get hgzmShownNotification() {
        return (
            this.notification_ids.find(
                (notification) => notification.gateway_type === "max"
            ) || this.notification_ids[0]
        );
    },
});
