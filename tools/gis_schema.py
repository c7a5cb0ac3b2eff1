"""The official GIS ZhKKh formats, and every request checked against them.

Plain Python (no Odoo). The addon carries the format files it uses, unchanged
(``data/gis-formats-16.3.0.0``): every request the client builds is validated
against them before it is signed and sent, so that an invalid one never
leaves; the fake GIS ZhKKh and the tests validate what they exchange the same
way. A refused request says which element is wrong and why, as structured
``Problem``s a caller words in its users' language.
"""

import functools
import re
from pathlib import Path

from lxml import etree

from . import gis_xml_common, gis_xml_parse
from .gis_errors import GisRequestInvalid, Problem

FORMATS_VERSION = "16.3.0.0"
XS_NS = "http://www.w3.org/2001/XMLSchema"
FORMATS_DIR = (
    Path(__file__).resolve().parent.parent / "data" / f"gis-formats-{FORMATS_VERSION}"
)
TYPES_XSD = Path("appeals") / "hcs-appeals-types.xsd"
# The services whose requests the addon builds: ``AppealsAsync`` and the
# common НСИ service (``exportNsiItem``, the themes of directory 220).
SERVICE_TYPES = (
    ("http://dom.gosuslugi.ru/schema/integration/appeals/", TYPES_XSD),
    (
        "http://dom.gosuslugi.ru/schema/integration/nsi-common/",
        Path("nsi-common") / "hcs-nsi-common-types.xsd",
    ),
)

_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'")
_LENGTHS = re.compile(r"length of '(\d+)'.*?(?:maximum|minimum) length of '(\d+)'")
# libxml2's error types, by what they mean for the one who wrote the text.
_KINDS = {
    "SCHEMAV_CVC_MAXLENGTH_VALID": "too_long",
    "SCHEMAV_CVC_MINLENGTH_VALID": "too_short",
    "SCHEMAV_CVC_LENGTH_VALID": "length",
    "SCHEMAV_CVC_PATTERN_VALID": "pattern",
    "SCHEMAV_CVC_ENUMERATION_VALID": "enumeration",
    "SCHEMAV_ELEMENT_CONTENT": "content",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "content",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "type",
    "SCHEMAV_CVC_TYPE_3_1_2": "type",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "range",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "range",
    "SCHEMAV_CVC_TOTALDIGITS_VALID": "range",
    "SCHEMAV_CVC_FRACTIONDIGITS_VALID": "range",
}


@functools.lru_cache(maxsize=8)
def load_schema(xsd_dir=None):
    """The compiled schema of the services the addon talks to, in one
    (compiled once per folder: a request is then checked in about a
    millisecond). The files are read from disk only: no network, no
    entities. A folder without a service's files (another format set named
    by ``GIS_XSD_DIR``) is compiled with the services it has."""
    directory = (Path(xsd_dir) if xsd_dir else FORMATS_DIR).resolve()
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{location.as_posix()}"/>'
        for namespace, location in SERVICE_TYPES
        if (directory / location).is_file()
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + imports
        + "</xs:schema>"
    )
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(wrapper.encode(), parser, base_url=directory.as_uri() + "/")
    return etree.XMLSchema(root)


def _problem(entry):
    message = entry.message or ""
    found = _ELEMENT.search(message)
    element = found.group(1) if found else "?"
    kind = _KINDS.get(entry.type_name, "other")
    actual = limit = None
    lengths = _LENGTHS.search(message)
    if lengths and kind in ("too_long", "too_short", "length"):
        actual, limit = int(lengths.group(1)), int(lengths.group(2))
    detail = _ELEMENT.sub("", message, count=1).lstrip(": ").strip() or message
    return Problem(
        element=element,
        kind=kind,
        detail=detail,
        path=entry.path or "",
        actual=actual,
        limit=limit,
    )


class SchemaValidator:
    """Validates the payload elements of GIS ZhKKh messages against the
    official XSD (the carried formats unless ``xsd_dir`` names others)."""

    def __init__(self, xsd_dir=None):
        self.xsd_dir = str(xsd_dir) if xsd_dir else None
        self.schema = load_schema(self.xsd_dir)

    def problems(self, element):
        """The ``Problem``s of ``element`` (empty when it is valid)."""
        doc = etree.ElementTree(etree.fromstring(etree.tostring(element)))
        if self.schema.validate(doc):
            return []
        return [_problem(entry) for entry in self.schema.error_log]

    def errors(self, element):
        """The schema errors of ``element`` as lines of text."""
        doc = etree.ElementTree(etree.fromstring(etree.tostring(element)))
        if self.schema.validate(doc):
            return []
        return [f"line {e.line}: {e.message}" for e in self.schema.error_log]

    def _payloads(self, data):
        root = gis_xml_parse.parse_xml(data)
        header = root.find(f"{{{gis_xml_common.SOAP_NS}}}Header")
        body = root.find(f"{{{gis_xml_common.SOAP_NS}}}Body")
        payloads = list(header) if header is not None else []
        if (
            body is not None
            and len(body)
            and body[0].tag != (f"{{{gis_xml_common.SOAP_NS}}}Fault")
        ):
            payloads.append(body[0])
        return payloads, body is not None and len(body)

    def envelope_problems(self, data):
        """The ``Problem``s of a SOAP envelope's header and body (bytes)."""
        payloads, has_body = self._payloads(data)
        problems = [p for payload in payloads for p in self.problems(payload)]
        if not has_body:
            problems.append(Problem("Body", "content", "SOAP body is empty"))
        return problems

    def envelope_errors(self, data):
        """The schema errors of a SOAP envelope's header and body (bytes)."""
        payloads, has_body = self._payloads(data)
        errors = [e for payload in payloads for e in self.errors(payload)]
        return errors if has_body else [*errors, "SOAP body is empty"]

    def check_request(self, data, action, message_guid=None):
        """Raise ``GisRequestInvalid`` unless the request ``data`` (an
        unsigned SOAP envelope, bytes) follows the format."""
        problems = self.envelope_problems(data)
        if problems:
            raise GisRequestInvalid(
                f"{action}: the request does not follow the GIS ZhKKh format "
                f"{FORMATS_VERSION}: " + "; ".join(str(p) for p in problems[:3]),
                problems=problems,
                message_guid=message_guid,
            )
