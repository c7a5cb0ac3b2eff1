/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {download} from "@web/core/network/download";
import {registry} from "@web/core/registry";
import {user} from "@web/core/user";

// This addon's XLSX reports, downloaded as OCA report_xlsx does, but telling
// the action manager that the report was handled: report_xlsx 19.0's own
// handler returns nothing when the action asks to close its wizard after the
// download, and the action manager then reports "can't handle xlsx".
registry.category("ir.actions.report handlers").add(
    "helpdesk_gis_zhkh_max_xlsx",
    async function (action, options, env) {
        if (
            action.report_type !== "xlsx" ||
            !(action.report_name || "").startsWith("helpdesk_gis_zhkh_max.")
        ) {
            return false;
        }
        const context = encodeURIComponent(JSON.stringify(user.context));
        const ids = (action.context && action.context.active_ids) || [];
        const url = `/report/xlsx/${action.report_name}/${ids.join(",")}?context=${context}`;
        env.services.ui.block();
        try {
            await download({
                url: "/report/download",
                data: {
                    data: JSON.stringify([url, "xlsx"]),
                    context: JSON.stringify(user.context),
                },
            });
        } finally {
            env.services.ui.unblock();
        }
        return true;
    },
    {sequence: 1}
);
