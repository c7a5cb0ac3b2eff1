/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {Component, onWillStart, onWillUnmount, useState} from "@odoo/owl";
import {deserializeDateTime, formatDateTime} from "@web/core/l10n/dates";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

const BUS_TYPE = "helpdesk_gis_zhkh_max/deadlines_changed";
// "Due within 2 hours" moves with the clock, not only with changes.
const REFRESH_MS = 60000;

export class DeadlineCockpit extends Component {
    static template = "helpdesk_gis_zhkh_max.DeadlineCockpit";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.bus = useService("bus_service");
        this.state = useState({data: null});
        this.buckets = [
            {key: "breached", label: _t("Breached"), css: "o_hgzm_breached"},
            {key: "at_risk", label: _t("At risk"), css: "o_hgzm_at_risk"},
            {key: "due_2h", label: _t("Due within 2 hours"), css: "o_hgzm_due_2h"},
            {key: "due_today", label: _t("Due today"), css: "o_hgzm_due_today"},
        ];
        this.sources = [
            {key: "gis", label: _t("GIS ZhKKh")},
            {key: "max", label: _t("MAX")},
            {key: "other", label: _t("Other")},
        ];
        this.kindLabels = {gis: _t("GIS ZhKKh"), max: _t("MAX")};
        this.stateLabels = {
            ok: _t("OK"),
            degraded: _t("Degraded"),
            down: _t("Down"),
        };
        this.dimensions = [
            {key: "team", label: _t("By team")},
            {key: "house", label: _t("By building")},
            {key: "category", label: _t("By category")},
        ];
        this.onChanged = () => this.scheduleReload();
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
        this.state.data = await this.orm.call(
            "helpdesk.deadline.cockpit",
            "cockpit_data",
            []
        );
    }

    /** A server datetime (UTC) in the user's time zone. */
    localTime(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "—";
    }

    scheduleReload() {
        // Many changes in one go (a sweep, an import): fetch once.
        clearTimeout(this.timeout);
        this.timeout = setTimeout(() => this.load(), 1000);
    }

    async open(bucket, source = false, dimension = false, resId = false) {
        const action = await this.orm.call(
            "helpdesk.deadline.cockpit",
            "action_open",
            [bucket],
            {source, dimension, res_id: resId}
        );
        await this.actionService.doAction(action);
    }
}

registry
    .category("actions")
    .add("helpdesk_gis_zhkh_max.deadline_cockpit", DeadlineCockpit);
