# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Helpdesk: GIS ZhKKh appeals and MAX",
    "summary": "Residents' appeals from GIS ZhKKh (ГИС ЖКХ) as helpdesk tickets "
    "with legal deadlines",
    "version": "19.0.1.1.0",
    "category": "After-Sales",
    "website": "https://github.com/OCA/helpdesk",
    "author": "helpdesk_gis_zhkh_max authors, Odoo Community Association (OCA)",
    "license": "AGPL-3",
    "development_status": "Alpha",
    "depends": [
        "helpdesk_mgmt",
        "queue_job",
        "base_automation",
        "phone_validation",
    ],
    "external_dependencies": {
        "python": ["requests", "lxml", "phonenumbers", "holidays"],
    },
    "data": [
        "security/helpdesk_gis_zhkh_max_security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/helpdesk_ticket_channel_data.xml",
        "data/helpdesk_ticket_category_data.xml",
        "data/helpdesk_production_calendar_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "data/gis_zhkh_chatter_templates.xml",
        "views/gis_zhkh_backend_views.xml",
        "views/gis_zhkh_message_views.xml",
        "views/gis_appeal_theme_views.xml",
        "views/gis_zhkh_house_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/helpdesk_deadline_rule_views.xml",
        "views/helpdesk_production_calendar_views.xml",
        "views/helpdesk_ticket_deadline_views.xml",
        "views/menus.xml",
        "data/helpdesk_deadline_rule_data.xml",
    ],
    "demo": [
        "demo/gis_zhkh_demo.xml",
    ],
    "installable": True,
}
