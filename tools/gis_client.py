"""HTTP client of the GIS ZhKKh service ``AppealsAsync``.

A plain class: it gets its settings as arguments and imports nothing from
Odoo. Every request is checked against the official formats before it is
signed and sent (an invalid one never leaves: ``GisRequestInvalid``); every
call has a timeout; every failure is a typed ``GisError`` that says whether
retrying makes sense.
"""

import dataclasses
import datetime
import logging
import socket
import threading
import time

import requests

from . import gis_schema, gis_xml_build, gis_xml_common, gis_xml_parse
from .gis_errors import (
    NO_OBJECTS_CODES,
    GisConfigError,
    GisFaultError,
    GisHttpError,
    GisResponseError,
    GisResultError,
    GisTransportError,
)
from .gis_signer import NoSigner
from .http_util import mount_timeouts

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10, 120)  # connect, read (seconds)
# A month of appeals of a big organisation stays far below this; anything
# larger is a broken or hostile answer.
DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024


@dataclasses.dataclass
class Exchange:
    """One call to GIS ZhKKh as it went over the wire."""

    action: str
    message_guid: str
    request: bytes
    response: bytes
    status: int
    sent_at: datetime.datetime
    received_at: datetime.datetime


def service_url(endpoint_url, path=gis_xml_common.SERVICE_PATH):
    """Full URL of the service for an endpoint given as scheme://host:port
    (``path``: the appeals service's, or another's)."""
    endpoint_url = (endpoint_url or "").strip().rstrip("/")
    if not endpoint_url.startswith(("http://", "https://")):
        raise GisConfigError(
            f"The GIS endpoint must start with http:// or https:// ({endpoint_url!r})"
        )
    if endpoint_url.endswith(path):
        return endpoint_url
    if path != gis_xml_common.SERVICE_PATH and endpoint_url.endswith(
        gis_xml_common.SERVICE_PATH
    ):
        # An endpoint given with the appeals service's path: same host.
        endpoint_url = endpoint_url[: -len(gis_xml_common.SERVICE_PATH)]
    return endpoint_url + path


def _abort(response, aborted):
    """Shut down the connection an answer is being read from (a timer's
    thread): the blocked read ends at once."""
    aborted.set()
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            # Already closed: nothing is waiting on it.
            return


class GisAppealsClient:
    def __init__(
        self,
        endpoint_url,
        org_ppa_guid,
        *,
        export_version=gis_xml_common.DEFAULT_EXPORT_APPEAL_VERSION,
        import_version=gis_xml_common.DEFAULT_IMPORT_ANSWER_VERSION,
        timeout=DEFAULT_TIMEOUT,
        basic_auth=None,
        verify=True,
        signer=None,
        session=None,
        max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES,
        on_exchange=None,
        validate=True,
        xsd_dir=None,
    ):
        if not gis_xml_common.is_guid(org_ppa_guid):
            raise GisConfigError(f"orgPPAGUID is not a GUID: {org_ppa_guid!r}")
        self.url = service_url(endpoint_url)
        self.org_ppa_guid = org_ppa_guid
        self.export_version = export_version
        self.import_version = import_version
        self.timeout = timeout
        self.basic_auth = basic_auth
        self.verify = verify
        self.signer = signer or NoSigner()
        self.session = mount_timeouts(session or requests.Session(), timeout)
        self.max_response_bytes = max_response_bytes
        # Called with an ``Exchange`` after every answered call: the proof of
        # what was sent (signed) and received.
        self.on_exchange = on_exchange
        # The formats the addon carries (or ``xsd_dir``): compiled once.
        self.validator = gis_schema.SchemaValidator(xsd_dir) if validate else None

    # -- transport ---------------------------------------------------------

    def _new_header(self):
        return gis_xml_build.RequestHeader.new(self.org_ppa_guid)

    def _call_budget(self):
        """Seconds a whole call may take: its connect and read timeouts."""
        if isinstance(self.timeout, (tuple, list)):
            return float(sum(self.timeout))
        return 2.0 * self.timeout

    def _read_body(self, response, message_guid, deadline):
        """The answer's body, refused when larger than allowed or when it is
        still coming at ``deadline`` (``time.monotonic()``): a server sending
        a byte now and then never trips the per-read timeout, so a timer
        shuts the connection down at the deadline."""
        aborted = threading.Event()
        timer = threading.Timer(
            max(0.0, deadline - time.monotonic()), _abort, [response, aborted]
        )
        timer.daemon = True
        timer.start()
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > self.max_response_bytes:
                    response.close()
                    raise GisResponseError(
                        f"Answer larger than {self.max_response_bytes} bytes refused",
                        message_guid=message_guid,
                    )
                chunks.append(chunk)
        except requests.RequestException:
            if not aborted.is_set():
                raise
        finally:
            timer.cancel()
        if aborted.is_set():
            # Cut short: whatever arrived is not the answer.
            raise GisTransportError(
                f"answer still coming after {self._call_budget():g} s: given up",
                message_guid=message_guid,
            )
        return b"".join(chunks)

    def _check(self, action, body, message_guid):
        """Refuse to sign or send a request GIS would refuse for its form."""
        if self.validator is not None:
            self.validator.check_request(body, action, message_guid)

    def _call(self, action, body, message_guid, sign=True):
        self._check(action, body, message_guid)
        if sign:
            body = self.signer.sign(body)
        return self._post(action, body, message_guid)

    def _post(self, action, body, message_guid):
        sent_at = datetime.datetime.now(datetime.timezone.utc)
        # Connecting and waiting for the answer are bounded by the timeouts;
        # reading the answer stops at this deadline, however slowly it comes.
        deadline = time.monotonic() + self._call_budget()
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": gis_xml_common.SOAP_ACTIONS[action],
        }
        try:
            response = self.session.post(
                self.url,
                data=body,
                headers=headers,
                auth=self.basic_auth,
                verify=self.verify,
                stream=True,
            )
            with response:
                content = self._read_body(response, message_guid, deadline)
            if self.on_exchange:
                self.on_exchange(
                    Exchange(
                        action=action,
                        message_guid=message_guid,
                        request=body,
                        response=content,
                        status=response.status_code,
                        sent_at=sent_at,
                        received_at=datetime.datetime.now(datetime.timezone.utc),
                    )
                )
        except requests.Timeout as exc:
            raise GisTransportError(
                f"{action}: GIS did not answer in time", message_guid=message_guid
            ) from exc
        except requests.RequestException as exc:
            raise GisTransportError(
                f"{action}: connection failed ({exc.__class__.__name__})",
                message_guid=message_guid,
            ) from exc
        status = response.status_code
        parsed = None
        try:
            parsed = gis_xml_parse.parse_response(content)
        except GisResponseError as exc:
            if status >= 400:
                raise GisHttpError(
                    f"{action}: HTTP {status} {response.reason or ''}".strip(),
                    status=status,
                    message_guid=message_guid,
                ) from exc
            exc.message_guid = message_guid
            exc.message = f"{action}: {exc.message}"
            raise
        if isinstance(parsed, gis_xml_parse.Fault):
            text = parsed.error_message or parsed.fault_string or "SOAP fault"
            raise GisFaultError(
                f"{action}: {text}",
                code=parsed.error_code,
                message_guid=message_guid,
            )
        if status >= 400:
            raise GisHttpError(
                f"{action}: HTTP {status}", status=status, message_guid=message_guid
            )
        return parsed

    def _expect(self, parsed, kind, action, message_guid):
        if not isinstance(parsed, kind):
            raise GisResponseError(
                f"{action}: unexpected answer {type(parsed).__name__}",
                message_guid=message_guid,
            )
        return parsed

    # -- operations --------------------------------------------------------

    def export_appeals(self, **criteria):
        """Send ``exportAppeal``; return ``(our MessageGUID, Ack)``.

        ``criteria`` are those of ``gis_xml_build.build_export_appeal_request``.
        """
        header = self._new_header()
        body = gis_xml_build.build_export_appeal_request(
            header, self.export_version, **criteria
        )
        parsed = self._call("exportAppeal", body, header.message_guid)
        ack = self._expect(
            parsed, gis_xml_parse.Ack, "exportAppeal", header.message_guid
        )
        return header.message_guid, ack

    def import_answers(self, *, answer_actions=(), appeal_actions=()):
        """Send ``importAnswer``; return ``(our MessageGUID, Ack)``."""
        message_guid, body = self.prepare_import_answers(
            answer_actions=answer_actions, appeal_actions=appeal_actions
        )
        return message_guid, self.send_prepared("importAnswer", body, message_guid)

    def prepare_import_answers(self, *, answer_actions=(), appeal_actions=()):
        """Build and sign an ``importAnswer`` request without sending it:
        ``(MessageGUID, signed bytes)``. Kept, the very same request can be
        sent again after a crash (``send_prepared``): GIS ZhKKh knows it by
        its MessageGUID."""
        header = self._new_header()
        body = gis_xml_build.build_import_answer_request(
            header,
            self.import_version,
            answer_actions=answer_actions,
            appeal_actions=appeal_actions,
        )
        self._check("importAnswer", body, header.message_guid)
        return header.message_guid, self.signer.sign(body)

    def send_prepared(self, action, body, message_guid):
        """Send a request made by a ``prepare_*`` method; return the Ack."""
        parsed = self._post(action, body, message_guid)
        return self._expect(parsed, gis_xml_parse.Ack, action, message_guid)

    def get_state(self, ack_message_guid):
        """Ask for the state of an asynchronous request (``getState``).

        GIS does not want ``getState`` signed. Returns a ``StateResult``;
        ``check_result`` turns its error message into an exception.
        """
        header = self._new_header()
        body = gis_xml_build.build_get_state_request(header, ack_message_guid)
        parsed = self._call("getState", body, ack_message_guid, sign=False)
        return self._expect(
            parsed, gis_xml_parse.StateResult, "getState", ack_message_guid
        )

    def wait_for_result(self, ack_message_guid, delays=(1, 2, 3, 5), sleep=time.sleep):
        """Poll ``getState`` after each delay; return the last ``StateResult``
        (``done`` tells whether GIS finished). For interactive checks only:
        imports poll from queued jobs instead of sleeping."""
        result = None
        for delay in delays:
            sleep(delay)
            result = self.get_state(ack_message_guid)
            if result.done:
                break
        return result


class GisNsiClient(GisAppealsClient):
    """The common НСИ service (``NsiCommonAsync``): directories such as 220,
    the appeal themes. Same transport, checks and errors as the appeals
    client; its requests carry an ``ISRequestHeader``."""

    def __init__(self, endpoint_url, org_ppa_guid, **kwargs):
        super().__init__(endpoint_url, org_ppa_guid, **kwargs)
        self.url = service_url(endpoint_url, gis_xml_common.NSI_SERVICE_PATH)

    def export_nsi_item(self, registry_number=gis_xml_common.NSI_THEMES_REGISTRY):
        """Send ``exportNsiItem`` (the whole directory); return
        ``(our MessageGUID, Ack)``."""
        header = self._new_header()
        body = gis_xml_build.build_export_nsi_item_request(header, registry_number)
        parsed = self._call("exportNsiItem", body, header.message_guid)
        ack = self._expect(
            parsed, gis_xml_parse.Ack, "exportNsiItem", header.message_guid
        )
        return header.message_guid, ack

    def get_state(self, ack_message_guid):
        header = self._new_header()
        body = gis_xml_build.build_get_state_request(
            header, ack_message_guid, "ISRequestHeader"
        )
        parsed = self._call("getState", body, ack_message_guid, sign=False)
        return self._expect(
            parsed, gis_xml_parse.StateResult, "getState", ack_message_guid
        )


def kept_state(content, ack_message_guid):
    """The ``StateResult`` of a getState answer kept as received (bytes),
    or None when it is not one: a result is downloaded once, then read from
    what was kept."""
    try:
        parsed = gis_xml_parse.parse_response(content)
    except GisResponseError:
        return None
    if not isinstance(parsed, gis_xml_parse.StateResult) or not parsed.done:
        return None
    if (parsed.message_guid or "").lower() != (ack_message_guid or "").lower():
        return None
    return parsed


def check_result(result, message_guid=None):
    """Raise ``GisResultError`` for a finished request that GIS refused.

    "No objects for export" is an empty result, not an error.
    """
    if result.error is None or result.error.code in NO_OBJECTS_CODES:
        return result
    raise GisResultError(
        result.error.description or "GIS refused the request",
        code=result.error.code,
        message_guid=message_guid or result.message_guid,
    )
