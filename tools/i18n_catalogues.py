"""The Russian catalogue of the other modules the helpdesk app shows.

OCA ``helpdesk_mgmt`` and ``mail_gateway`` ship no Russian (an empty
``ru.po``, or none). This addon carries their Russian in ``i18n_extra/ru.po``,
a catalogue Odoo loads for an addon beside ``i18n/ru.po``: on install, on
*Load a Translation* (``--load-language``) and on ``-u``. Its entries keep the
other module's name (``#. module: helpdesk_mgmt``) and references
(``helpdesk_mgmt.field_...``), so Odoo writes them on that module's records.
No ``.pot`` goes beside it: Odoo would merge the file with it and drop every
entry the ``.pot`` lacks.
A few entries are Odoo ``mail``'s: the labels of the activity states on the
models of modules outside Odoo (tickets, gateways, jobs, this addon's),
which ``mail``'s own catalogue lists only for Odoo's models.

The same Russian is offered upstream as each module's ``i18n/ru.po`` in the
format of OCA's Weblate (the module's ``.pot``, ``msgstr`` filled), in
``i18n_upstream/<module>/i18n/ru.po``: built here, never edited by hand.

Run from the addon's root::

    # after an upgrade of those modules: their terms, exported from a database
    # with this addon (and its demo) and Russian loaded, merged into
    # i18n_extra/ru.po (the Russian already there is kept)
    python3 -m odoo i18n export -c CONF -d DB -l ru -o /tmp/other.po \\
        helpdesk_mgmt mail_gateway mail
    python3 -m tools.i18n_catalogues merge /tmp/other.po
    # the upstream files again, from i18n_extra/ru.po and the modules' .pot
    python3 -m tools.i18n_catalogues upstream
    # what the plain tests check: nothing untranslated, upstream in step
    python3 -m tools.i18n_catalogues check
"""

import argparse
import re
import sys
from pathlib import Path

import polib

ADDON = "helpdesk_gis_zhkh_max"
ADDON_DIR = Path(__file__).resolve().parents[1]
EXTRA = ADDON_DIR / "i18n_extra" / "ru.po"
UPSTREAM = ADDON_DIR / "i18n_upstream"
# The modules whose Russian this addon carries (and offers upstream).
OTHER_MODULES = ("helpdesk_mgmt", "mail_gateway")
PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
MODEL_REF = re.compile(r"^(model|model_terms):[\w.]+,\w+:(\w+)\.(\S+)$")
CODE_REF = re.compile(r"^code:addons/(\w+)/")


def occurrence_module(occurrence):
    """The module an occurrence (``model:...:module.xmlid``, ``code:addons/
    module/...``) belongs to."""
    match = MODEL_REF.match(occurrence) or CODE_REF.match(occurrence)
    if not match:
        return None
    return match.group(2) if match.re is MODEL_REF else match.group(1)


def module_pot(module):
    """The ``.pot`` a module ships, or None when it is not found here: in the
    ``odoo.addons`` folders (pip-installed addons), or in the ``addons/``
    folder of an Odoo source checkout."""
    try:
        import odoo.addons
    except ImportError:
        return None
    roots = [Path(p) for p in odoo.addons.__path__]
    roots += [Path(p).parent / "addons" for p in odoo.__path__]
    for root in roots:
        path = root / module / "i18n" / f"{module}.pot"
        if path.exists():
            return path
    return None


def _references(catalogue):
    return {o for entry in catalogue for o, _line in entry.occurrences}


def _wanted(occurrence, mail_listed):
    module = occurrence_module(occurrence)
    if module in OTHER_MODULES:
        return True
    # Odoo mail's selection labels (activity states...) on the models of
    # other modules than Odoo's own, which mail's catalogue does not list.
    return (
        module == "mail"
        and ":mail.selection__" in occurrence
        and occurrence not in mail_listed
    )


def _comment(occurrences, flags):
    modules = sorted({occurrence_module(o) for o, _line in occurrences} - {None})
    head = ("modules: " if len(modules) > 1 else "module: ") + ", ".join(modules)
    return "\n".join([head, *sorted(flags)])


def _flags(entry):
    return {
        line
        for line in entry.comment.splitlines()
        if line and not line.startswith(("module:", "modules:"))
    }


def merge(exports, extra_path=EXTRA):
    """``i18n_extra/ru.po`` again: the terms of the exports (and of the other
    modules' ``.pot``) that belong to the other modules, the Russian already
    there kept, else the export's."""
    previous = polib.pofile(str(extra_path)) if extra_path.exists() else []
    known = {entry.msgid: entry.msgstr for entry in previous if entry.msgstr}
    sources = [polib.pofile(str(path)) for path in exports]
    sources += [polib.pofile(str(p)) for p in map(module_pot, OTHER_MODULES) if p]
    mail_pot = module_pot("mail")
    if not mail_pot:
        sys.exit("Odoo's mail module is not found: its .pot is needed")
    mail_listed = _references(polib.pofile(str(mail_pot)))
    merged = {}
    for source in sources:
        for entry in source:
            if entry.obsolete or not entry.msgid:
                continue
            occurrences = [o for o in entry.occurrences if _wanted(o[0], mail_listed)]
            if not occurrences:
                continue
            into = merged.setdefault(
                entry.msgid, {"occurrences": {}, "flags": set(), "msgstr": ""}
            )
            into["occurrences"].update(dict.fromkeys(occurrences))
            if any(o.startswith("code:") for o, _line in occurrences):
                into["flags"] |= _flags(entry)
            if not into["msgstr"] and entry.msgstr != entry.msgid:
                into["msgstr"] = entry.msgstr
    catalogue = polib.POFile(wrapwidth=78)  # as Odoo exports
    catalogue.header = (
        "Translation of Odoo Server.\n"
        "This file contains the translation of the following modules:\n"
        + "".join(f"\t* {m}\n" for m in (*OTHER_MODULES, "mail"))
        + f"(terms that {ADDON} loads for them; see tools/i18n_catalogues.py)"
    )
    catalogue.metadata = _metadata()
    for msgid in sorted(merged):
        values = merged[msgid]
        occurrences = sorted(values["occurrences"])
        catalogue.append(
            polib.POEntry(
                msgid=msgid,
                msgstr=known.get(msgid) or values["msgstr"],
                occurrences=occurrences,
                comment=_comment(occurrences, values["flags"]),
            )
        )
    return catalogue


def _metadata(base=None):
    metadata = dict(
        base
        or {
            "Project-Id-Version": "Odoo Server 19.0",
            "Report-Msgid-Bugs-To": "",
            "Last-Translator": "",
            "Language-Team": "",
        }
    )
    metadata.update(
        {
            "Language": "ru",
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "",
            "Plural-Forms": PLURAL_FORMS,
        }
    )
    return metadata


def upstream(module, extra, pot):
    """The module's ``i18n/ru.po`` as OCA's Weblate keeps it: every entry of
    its ``.pot``, in its order, with the Russian of ``extra``."""
    translations = {entry.msgid: entry.msgstr for entry in extra}
    catalogue = polib.POFile(wrapwidth=79)  # as gettext and Weblate wrap
    catalogue.header = (
        "Translation of Odoo Server.\n"
        "This file contains the translation of the following modules:\n"
        f"\t* {module}\n"
    )
    catalogue.metadata = _metadata(
        {
            key: value
            for key, value in pot.metadata.items()
            if key in ("Project-Id-Version", "Report-Msgid-Bugs-To")
        }
        | {"Last-Translator": "", "Language-Team": ""}
    )
    for entry in pot:
        catalogue.append(
            polib.POEntry(
                msgid=entry.msgid,
                msgstr=translations.get(entry.msgid, ""),
                occurrences=entry.occurrences,
                comment=entry.comment,
            )
        )
    return catalogue


def upstream_path(module):
    return UPSTREAM / module / "i18n" / "ru.po"


def problems():
    """What is wrong with the catalogues: untranslated or broken entries,
    upstream files behind ``i18n_extra/ru.po``."""
    found = []
    extra = polib.pofile(str(EXTRA))
    for entry in extra:
        if not entry.msgstr:
            found.append(f"i18n_extra/ru.po: untranslated {entry.msgid!r}")
        elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            found.append(f"i18n_extra/ru.po: placeholders differ in {entry.msgid!r}")
    translations = {entry.msgid: entry.msgstr for entry in extra}
    for module in OTHER_MODULES:
        path = upstream_path(module)
        if not path.exists():
            found.append(f"{path.relative_to(ADDON_DIR)} is missing")
            continue
        offered = polib.pofile(str(path))
        for entry in offered:
            if entry.msgstr != translations.get(entry.msgid, entry.msgstr) or (
                not entry.msgstr
            ):
                found.append(
                    f"{path.relative_to(ADDON_DIR)}: {entry.msgid!r} is not "
                    "the Russian of i18n_extra/ru.po (run upstream)"
                )
        pot = module_pot(module)
        if pot and path.read_text(encoding="utf-8") != str(
            upstream(module, extra, polib.pofile(str(pot)))
        ):
            found.append(
                f"{path.relative_to(ADDON_DIR)} is not built from {module}'s .pot "
                "and i18n_extra/ru.po (run upstream)"
            )
    return found


# Formats, QWeb expressions: what a translation must keep as it is.
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%d|\{\{\s*[\w.]+|t-out=\"[^\"]*\"")


def _placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    merge_parser = commands.add_parser("merge", help="rebuild i18n_extra/ru.po")
    merge_parser.add_argument("exports", nargs="+", type=Path)
    commands.add_parser("upstream", help="rebuild i18n_upstream/")
    commands.add_parser("check", help="report untranslated or stale entries")
    args = parser.parse_args(argv)
    if args.command == "merge":
        EXTRA.parent.mkdir(exist_ok=True)
        catalogue = merge(args.exports)
        catalogue.save(str(EXTRA))
        untranslated = [entry.msgid for entry in catalogue if not entry.msgstr]
        sys.stdout.write(
            f"{EXTRA}: {len(catalogue)} terms, {len(untranslated)} untranslated\n"
        )
    elif args.command == "upstream":
        extra = polib.pofile(str(EXTRA))
        for module in OTHER_MODULES:
            pot = module_pot(module)
            if not pot:
                sys.exit(f"{module} is not installed: its .pot is needed")
            path = upstream_path(module)
            path.parent.mkdir(parents=True, exist_ok=True)
            upstream(module, extra, polib.pofile(str(pot))).save(str(path))
            sys.stdout.write(f"{path}\n")
    else:
        found = problems()
        report = "\n".join(found) or "Catalogues complete and in step."
        sys.stdout.write(report + "\n")
        sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
