/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {registry} from "@web/core/registry";

const LIST = ".o_field_widget[name='deadline_ids']";

// The legal deadlines of a ticket, read at 1440 px: every milestone's
// name whole, the difference from GIS ZhKKh explained.
registry.category("web_tour.tours").add("hgzm_ticket_deadlines", {
    steps: () => [
        {
            content: "Open the legal deadlines",
            trigger: ".o_notebook a[name='legal_deadlines']",
            run: "click",
        },
        {
            content: "Every milestone's name is shown whole",
            trigger: `${LIST} .o_data_row td[name='name']`,
            run: () => {
                const cells = document.querySelectorAll(
                    `${LIST} .o_data_row td[name='name']`
                );
                for (const cell of cells) {
                    // A cut name is wider than its cell (an ellipsis).
                    if (cell.scrollWidth > cell.clientWidth + 1) {
                        throw new Error(
                            `Milestone name cut at ${window.innerWidth} px: "${cell.textContent}" (${cell.scrollWidth} > ${cell.clientWidth})`
                        );
                    }
                }
            },
        },
        {
            content: "The difference from GIS ZhKKh is explained above the list",
            trigger: ".o_form_view div[name='deadline_gis_mismatch']:contains('ГИС ЖКХ')",
        },
        {
            content: "The column's tooltip says what differs",
            trigger: `${LIST} th[data-name='gis_mismatch'] [data-tooltip-info]`,
            run: function () {
                const info = JSON.parse(this.anchor.dataset.tooltipInfo);
                if (!info.field.help.includes("ExecutionEndDate")) {
                    throw new Error(`No explanation in the tooltip: ${info.field.help}`);
                }
            },
        },
    ],
});
