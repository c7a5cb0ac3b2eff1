/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {Component, onWillStart, onWillUnmount, useState} from "@odoo/owl";
import {deserializeDateTime, formatDateTime} from "@web/core/l10n/dates";
import {DeadlineCockpit} from "./deadline_cockpit";
import {_t} from "@web/core/l10n/translation";
import {localization} from "@web/core/l10n/localization";
import {useService} from "@web/core/utils/hooks";

// The cockpit's bus notice: an interruption changed, or a deadline did.
const BUS_TYPE = "helpdesk_gis_zhkh_max/deadlines_changed";
// The time left moves with the clock.
const REFRESH_MS = 60000;

/** The communal service interruptions running now, in the cockpit, with
 * the time left to each limit of ПП 354 Annex 1. */
export class InterruptionPanel extends Component {
    static template = "helpdesk_gis_zhkh_max.InterruptionPanel";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.bus = useService("bus_service");
        this.state = useState({lines: null});
        this.stateLabels = {
            ok: _t("Within the limits"),
            near: _t("Limit near"),
            over: _t("Over the limit"),
        };
        this.onChanged = () => {
            clearTimeout(this.timeout);
            this.timeout = setTimeout(() => this.load(), 1000);
        };
        this.bus.subscribe(BUS_TYPE, this.onChanged);
        this.interval = setInterval(() => this.load(), REFRESH_MS);
        onWillStart(() => this.load());
        onWillUnmount(() => {
            this.bus.unsubscribe(BUS_TYPE, this.onChanged);
            clearInterval(this.interval);
            clearTimeout(this.timeout);
        });
    }

    async load() {
        this.state.lines = await this.orm.call(
            "helpdesk.service.interruption",
            "cockpit_interruptions",
            []
        );
    }

    localTime(value) {
        const format = localization.dateTimeFormat.replace(":ss", "");
        return value ? formatDateTime(deserializeDateTime(value), {format}) : "—";
    }

    /** Minutes left (negative: over) in words. */
    left(minutes) {
        if (minutes === null || minutes === undefined) {
            return "—";
        }
        const total = Math.abs(minutes);
        const hours = Math.floor(total / 60);
        const rest = total % 60;
        const text = hours
            ? _t("%(hours)s h %(minutes)s min", {hours, minutes: rest})
            : _t("%(minutes)s min", {minutes: rest});
        return minutes < 0 ? _t("over by %(time)s", {time: text}) : text;
    }

    badge(minutes) {
        if (minutes === null || minutes === undefined) {
            return "text-bg-light";
        }
        if (minutes < 0) {
            return "text-bg-danger";
        }
        return minutes <= 60 ? "text-bg-warning" : "text-bg-success";
    }

    async open(id) {
        await this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "helpdesk.service.interruption",
            res_id: id,
            views: [[false, "form"]],
        });
    }

    async openAll() {
        await this.actionService.doAction(
            "helpdesk_gis_zhkh_max.helpdesk_service_interruption_action"
        );
    }
}

DeadlineCockpit.components = {...DeadlineCockpit.components, InterruptionPanel};
