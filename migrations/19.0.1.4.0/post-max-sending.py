# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""MAX sending, exactly once: a dialog's MAX chat is where a sender checks a
message whose answer was lost; learn it from the updates already stored.
Bots still listening for the old default keywords (matched anywhere in a
word) get the new default (matched at the start of words)."""

import json

OLD_KEYWORDS = (
    "потоп, затоп, прорвало, течёт, течет, пожар, дым, запах газа, газ, искрит, "
    "замыкание, застрял в лифте, застряли в лифте, нет света, нет воды"
)
NEW_KEYWORDS = (
    "потоп, затоп*, прорвал*, протека*, протекл*, протечк*, течёт, течь, пожар, "
    "дым, запах газа, газ, искрит, замыкани*, застрял* в лифте, нет света, "
    "нет воды, нет электричества"
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """SELECT DISTINCT ON (dialog_id) dialog_id, payload
             FROM max_update
            WHERE dialog_id IS NOT NULL
         ORDER BY dialog_id, id DESC"""
    )
    for dialog_id, payload in cr.fetchall():
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        message = data.get("message") if isinstance(data, dict) else None
        recipient = message.get("recipient") if isinstance(message, dict) else None
        chat_id = (recipient or {}).get("chat_id") if recipient else None
        if chat_id is None and isinstance(data, dict):
            chat_id = data.get("chat_id")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            cr.execute(
                """UPDATE max_dialog SET max_chat_id = %s
                    WHERE id = %s AND max_chat_id IS NULL""",
                [str(chat_id), dialog_id],
            )
    cr.execute(
        "UPDATE mail_gateway SET max_group_keywords = %s WHERE max_group_keywords = %s",
        [NEW_KEYWORDS, OLD_KEYWORDS],
    )
