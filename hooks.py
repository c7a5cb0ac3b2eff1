# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Russian for the code terms of helpdesk_mgmt and mail_gateway.

Odoo writes the terms of ``i18n_extra/ru.po`` on the records they name,
whichever module owns them (a field label of helpdesk_mgmt, a stage...).
Code terms are different: a module's ``_()`` (Python) and ``_t()`` (its web
client code) are looked up in that module's own ``i18n/`` and ``i18n_extra/``
only (``odoo.tools.translate.CodeTranslations``), so the Russian this addon
carries for helpdesk_mgmt's dashboard ("Open Tickets"), its "No Subject" or
mail_gateway's chatter buttons ("Send gateway") would never be read.

``read_other_modules_code_terms`` (run when the addon is imported, once per
server process) lets Odoo also read those modules' code terms from this
addon's ``i18n_extra/``, only where their own catalogue has none: it fills a
gap, never overrides the module's own Russian, and so stays right for every
database of the server. It also keeps those terms out of this addon's own
code catalogue. Not a manifest ``post_load``: Odoo skips that hook when the
addon was imported before the registry loads it (as pytest-odoo does).
"""

import functools
import logging

from odoo.tools import translate
from odoo.tools.misc import file_open

_logger = logging.getLogger(__name__)

ADDON = "helpdesk_gis_zhkh_max"
# The modules whose code terms i18n_extra/ carries (tools/i18n_catalogues.py).
OTHER_MODULES = ("helpdesk_mgmt", "mail_gateway")


def _code_of(module_name):
    """Rows of a code term used in ``module_name``'s own code."""
    prefix = f"addons/{module_name}/"
    return lambda row: row.get("name", "").startswith(prefix)


def _extra_code_translations(module_name, lang, filter_func):
    translations = {}
    of_module = _code_of(module_name)
    for path in translate.get_po_paths(ADDON, lang):
        if "i18n_extra" not in path:
            continue
        with file_open(path, mode="rb") as fileobj:
            translations.update(
                translate.CodeTranslations._read_code_translations_file(
                    fileobj, lambda row: filter_func(row) and of_module(row)
                )
            )
    return translations


def _patched(original):
    @functools.wraps(original)
    def _get_code_translations(module_name, lang, filter_func):
        if module_name == ADDON:
            # i18n_extra/ holds other modules' terms: not this addon's code.
            def own(row):
                return filter_func(row) and row.get("module") == ADDON

            return original(module_name, lang, own)
        translations = original(module_name, lang, filter_func)
        if module_name in OTHER_MODULES:
            translations = {
                **_extra_code_translations(module_name, lang, filter_func),
                **translations,
            }
        return translations

    _get_code_translations.hgzm_patched = True
    return _get_code_translations


def read_other_modules_code_terms():
    code_translations = translate.CodeTranslations
    original = code_translations._get_code_translations
    if getattr(original, "hgzm_patched", False):
        return
    code_translations._get_code_translations = staticmethod(_patched(original))
    # Catalogues read before this hook (another database's registry) again.
    for cache in (
        translate.code_translations.python_translations,
        translate.code_translations.web_translations,
    ):
        for key in [key for key in cache if key[0] in (ADDON, *OTHER_MODULES)]:
            del cache[key]
    _logger.debug("Code terms of %s read from %s too", OTHER_MODULES, ADDON)
