/** @odoo-module **/
// Copyright 2026 The helpdesk_gis_zhkh_max authors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {registry} from "@web/core/registry";

// The manager's path before an inspection: the journal, exported to XLSX.
registry.category("web_tour.tours").add("hgzm_manager_journal", {
    steps: () => [
        {
            content: "Open Reporting",
            trigger:
                ".o_main_navbar [data-menu-xmlid='helpdesk_mgmt.helpdesk_ticket_reporting_menu']",
            run: "click",
        },
        {
            content: "Open the requests journal",
            trigger:
                ".dropdown-item[data-menu-xmlid='helpdesk_gis_zhkh_max.menu_request_journal']",
            run: "click",
        },
        {
            content: "The wizard counts the period's requests, in Russian",
            trigger: ".modal:contains('Журнал учёта заявок') .o_field_widget[name='ticket_count']",
        },
        {
            content: "Export XLSX",
            trigger: ".modal button[name='action_export_xlsx']",
            run: "click",
        },
        {
            content: "Downloaded: the wizard closes, no error",
            trigger: "body:not(:has(.modal)):not(:has(.o_error_dialog))",
        },
    ],
});
