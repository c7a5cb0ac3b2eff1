"""The Russian the addon carries for helpdesk_mgmt and mail_gateway
(``i18n_extra/ru.po``) and offers upstream (``i18n_upstream/``)."""

import polib
from hgzm.tools import i18n_catalogues as catalogues

OWN = catalogues.ADDON_DIR / "i18n" / "ru.po"


def test_complete_and_upstream_in_step():
    # Untranslated terms, lost placeholders, upstream files behind (and,
    # where the modules are installed, not built from their .pot).
    assert catalogues.problems() == []


def test_only_the_other_modules_terms():
    extra = polib.pofile(str(catalogues.EXTRA))
    modules = {
        catalogues.occurrence_module(occurrence)
        for entry in extra
        for occurrence, _line in entry.occurrences
    }
    assert modules == {*catalogues.OTHER_MODULES, "mail"}
    # Odoo reads a code term only with its flag (odoo-python, -javascript).
    for entry in extra:
        if any(o.startswith("code:") for o, _line in entry.occurrences):
            assert "odoo-python" in entry.comment or "odoo-javascript" in (
                entry.comment
            ), entry.msgid


# Records Odoo names after their model or field in every module that has
# them (model_helpdesk_ticket, field_helpdesk_ticket__id...): one record
# under several modules' names.
REFLECTED = ("model:ir.model,", "model:ir.model.fields,", "model:ir.model.fields.")


def _by_reference(catalogue):
    """{reference without its module: (msgid, msgstr)} of reflected records."""
    found = {}
    for entry in catalogue:
        for occurrence, _line in entry.occurrences:
            if occurrence.startswith(REFLECTED):
                field, _, xmlid = occurrence.rpartition(":")
                found[f"{field}:{xmlid.split('.', 1)[1]}"] = (
                    entry.msgid,
                    entry.msgstr,
                )
    return found


def test_one_record_one_russian():
    """A model or field named by this addon and by helpdesk_mgmt or
    mail_gateway (``model_helpdesk_ticket``) is one record: both catalogues
    give it the same Russian, whichever Odoo writes last."""
    own = _by_reference(polib.pofile(str(OWN)))
    extra = _by_reference(polib.pofile(str(catalogues.EXTRA)))
    shared = own.keys() & extra.keys()
    assert "model:ir.model,name:model_helpdesk_ticket" in shared
    assert {
        reference: (own[reference], extra[reference])
        for reference in shared
        if own[reference] != extra[reference]
    } == {}
