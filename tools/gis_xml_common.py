"""What the GIS ZhKKh XML of ``AppealsAsync`` shares between building
requests (``gis_xml_build``) and parsing answers (``gis_xml_parse``): the
namespaces, service paths, format versions, codes and GUID checks, and the
files both directions carry.

Formats: the official WSDL/XSD set 16.3.0.0 (``hcs-appeals-types.xsd``,
``hcs-base.xsd``). Only plain Python: no Odoo import, so that the whole
protocol is tested without a database.
"""

import dataclasses
import re
import uuid

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
BASE_NS = "http://dom.gosuslugi.ru/schema/integration/base/"
APPEALS_NS = "http://dom.gosuslugi.ru/schema/integration/appeals/"
NSI_NS = "http://dom.gosuslugi.ru/schema/integration/nsi-base/"
NSI_COMMON_NS = "http://dom.gosuslugi.ru/schema/integration/nsi-common/"
ORG_REG_NS = "http://dom.gosuslugi.ru/schema/integration/organizations-registry-base/"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"

NSMAP = {
    "soapenv": SOAP_NS,
    "base": BASE_NS,
    "ap": APPEALS_NS,
    "nsi": NSI_NS,
    "orgreg": ORG_REG_NS,
}

SERVICE_PATH = "/ext-bus-appeals-service/services/AppealsAsync"
# The common НСИ service (directories such as 220, the appeal themes).
NSI_SERVICE_PATH = "/ext-bus-nsi-common-service/services/NsiCommonAsync"
NSI_VERSION = "10.0.1.2"
NSI_THEMES_REGISTRY = 220

# Versions the 16.3.0.0 schema documents for each request.
EXPORT_APPEAL_VERSIONS = (
    "12.2.0.11",
    "13.1.10.1",
    "13.2.1.0",
    "13.2.5.0",
    "13.3.2.0",
    "14.4.0.1",
    "14.8.0.1",
)
DEFAULT_EXPORT_APPEAL_VERSION = "14.8.0.1"
IMPORT_ANSWER_VERSIONS = ("12.2.0.13", "13.2.1.0", "15.11.0.0")
DEFAULT_IMPORT_ANSWER_VERSION = "15.11.0.0"
GET_STATE_RESULT_VERSION = "12.2.0.5"

# The element a signer signs carries this Id (GIS ZhKKh convention).
SIGNED_ELEMENT_ID = "signed-data-container"

SOAP_ACTIONS = {
    "exportAppeal": "urn:exportAppeal",
    "importAnswer": "urn:importAnswer",
    "getState": "urn:getState",
    "exportNsiItem": "urn:exportNsiItem",
}

MAX_GUIDS_PER_REQUEST = 1000

# RequestState of asynchronous calls.
STATE_RECEIVED = 1
STATE_PROCESSING = 2
STATE_DONE = 3

APPEAL_STATUSES = {
    "Send": "sent",
    "InWork": "in_work",
    "Executed": "executed",
    "Withdrawn": "withdrawn",
}
STATUS_FILTER_ELEMENTS = {
    "sent": "Sent",
    "in_work": "InWork",
    "executed": "Executed",
    "withdrawn": "Withdrawn",
}

GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
NSI_CODE_RE = re.compile(r"^(A?\d{1,4}\.?)+$")


def is_guid(value):
    return bool(value) and bool(GUID_RE.match(value))


def new_guid():
    return str(uuid.uuid4())


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


@dataclasses.dataclass
class AttachmentInfo:
    """A file in the GIS file store: read from an appeal or its history,
    and sent with an answer (with its GOST R 34.11-94 hash)."""

    name: str
    description: str
    guid: str
    hash: str = None
