"""Client of the GIS ZhKKh file store (``ext-bus-file-store-service``).

Files attached to appeals, answers, redirections and roll-overs do not travel
inside the SOAP messages: the messages name them by ``AttachmentGUID`` and the
files live in the file store, a REST service beside the SOAP ones
(protocol of the GIS ZhKKh format albums since 14.x, section "Описание
протокола обмена файлами", as public clients implement it):

- ``HEAD {store}/{context}/{FileGUID}``: the file's length in
  ``X-Upload-Length``;
- ``GET {store}/{context}/{FileGUID}?getfile``: a file of up to 5 MB whole,
  a larger one only in ``Range`` parts of at most 5 MB;
- ``PUT {store}/{context}`` with ``X-Upload-Filename`` and ``Content-MD5``:
  a file of up to 5 MB; above it ``POST {store}/{context}/?upload``
  (``X-Upload-Filename``, ``X-Upload-Length``, ``X-Upload-Part-Count``),
  then ``PUT {store}/{context}/{UploadID}`` per part (``X-Upload-Partnumber``,
  ``Content-MD5``), then ``POST {store}/{context}/{UploadID}?completed``. The
  file's GUID comes in ``X-Upload-UploadID``;
- every request carries ``X-Upload-OrgPPAGUID``; refusals come in
  ``X-Upload-Error`` (``FileNotFoundException``, ``InvalidSizeException``,
  ``FileVirusInfectionException``...).

A plain class, like ``gis_client``: settings as arguments, no Odoo import, a
timeout on every request, every failure a typed error that says whether
retrying makes sense. Files are streamed: a download goes to a file object
chunk by chunk, an upload is read from one part by part; neither is ever held
whole in memory.
"""

import base64
import dataclasses
import hashlib
import logging
import math
import socket
import threading

import requests

from . import gis_xml_common
from .gis_errors import GisConfigError, GisError
from .http_util import mount_timeouts

_logger = logging.getLogger(__name__)

STORE_PATH = "/ext-bus-file-store-service/rest"
# The store's context of the appeals subsystem. The carried formats do not
# list the contexts (the album's "Перечень контекстов хранилищ" does), and
# public clients show others (homemanagement, bills, debtreq...): unconfirmed,
# hence a setting of the connection.
DEFAULT_CONTEXT = "appeals"
# What one request may carry or return (the protocol's limit).
PART_SIZE = 5 * 1024 * 1024
DEFAULT_TIMEOUT = (10, 120)  # connect, read (seconds)
CHUNK = 64 * 1024
# Characters the store refuses in a file name (replaced by "_").
BANNED_NAME_CHARACTERS = '<>?:|*%\\"'

# X-Upload-Error values, as the album and public clients list them: whether
# trying again later may succeed, and what it means.
ERRORS = {
    "FieldValidationException": (False, "a field of the request is wrong"),
    "FileNotFoundException": (False, "no such file in the GIS ZhKKh file store"),
    "InvalidStatusException": (False, "the file is not in a state that allows it"),
    "InvalidSizeException": (False, "wrong file or part size"),
    "FileVirusInfectionException": (False, "the file is infected by a virus"),
    # Not checked for viruses yet: the store serves it once it is.
    "FileVirusNotCheckedException": (True, "the file has not been checked yet"),
    "FilePermissionException": (
        False,
        "the organisation may not read or write this file",
    ),
    "DataProviderValidationException": (
        False,
        "the organisation is unknown, blocked or inactive in GIS ZhKKh",
    ),
    "CertificateValidationException": (
        False,
        "the information system's certificate is unknown or blocked",
    ),
    "HashConflictException": (False, "the checksum does not match the data"),
    "InvalidPartNumberException": (False, "wrong part number"),
    "ContextNotFoundException": (False, "unknown file store context"),
    "ExtensionException": (False, "file extension not allowed"),
    "DetectionException": (False, "the file's type could not be determined"),
    "INT002029": (True, "GIS ZhKKh is under maintenance"),
}


class GisFileError(GisError):
    """A file store request failed; ``code`` is the ``X-Upload-Error`` value
    when the store gave one."""

    def __init__(self, message, *, code=None, transient=False, status=None, **kw):
        super().__init__(message, code=code, **kw)
        self.transient = transient
        self.status = status


class GisFileTooLarge(GisFileError):
    """The file is larger than the configured limit: not downloaded."""

    def __init__(self, message, *, size, limit):
        super().__init__(message, code="FileTooLarge")
        self.size = size
        self.limit = limit


@dataclasses.dataclass
class UploadProgress:
    """Where a multi-part upload stands: kept by the caller between tries,
    an interrupted upload goes on with the next part instead of starting
    again (``upload_id`` is the file's GUID once completed)."""

    upload_id: str = None
    parts_done: int = 0
    completed: bool = False


def store_url(endpoint_url, context):
    """``{endpoint}/ext-bus-file-store-service/rest/{context}``."""
    endpoint_url = (endpoint_url or "").strip().rstrip("/")
    if not endpoint_url.startswith(("http://", "https://")):
        raise GisConfigError(
            f"The GIS endpoint must start with http:// or https:// ({endpoint_url!r})"
        )
    for path in (gis_xml_common.SERVICE_PATH, gis_xml_common.NSI_SERVICE_PATH):
        endpoint_url = endpoint_url.removesuffix(path)
    context = (context or "").strip().strip("/")
    if not context or not context.replace("-", "").replace("_", "").isalnum():
        raise GisConfigError(f"Not a file store context: {context!r}")
    return f"{endpoint_url}{STORE_PATH}/{context}"


def encode_filename(name):
    """The ``X-Upload-Filename`` of ``name``: the characters the store
    refuses replaced, as an RFC 2047 encoded word (names are Cyrillic)."""
    cleaned = "".join("_" if c in BANNED_NAME_CHARACTERS else c for c in name or "")
    cleaned = " ".join(cleaned.split()) or "file"
    return "=?UTF-8?B?" + base64.b64encode(cleaned.encode("utf-8")).decode() + "?="


def content_md5(data):
    """``Content-MD5`` (RFC 1864): the MD5 of the bytes, in base64."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _abort(response, aborted):
    """Shut down the connection an answer is read from (a timer's thread)."""
    aborted.set()
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            return


class GisFileStoreClient:
    def __init__(
        self,
        endpoint_url,
        org_ppa_guid,
        *,
        context=DEFAULT_CONTEXT,
        timeout=DEFAULT_TIMEOUT,
        basic_auth=None,
        verify=True,
        session=None,
        part_size=PART_SIZE,
    ):
        if not gis_xml_common.is_guid(org_ppa_guid):
            raise GisConfigError(f"orgPPAGUID is not a GUID: {org_ppa_guid!r}")
        self.url = store_url(endpoint_url, context)
        self.org_ppa_guid = org_ppa_guid
        self.timeout = timeout
        self.basic_auth = basic_auth
        self.verify = verify
        self.session = mount_timeouts(session or requests.Session(), timeout)
        self.part_size = part_size

    # -- transport ---------------------------------------------------------

    def _budget(self, size=0):
        """Seconds one request may take: its timeouts, plus a second per
        64 KB of body (a slow but moving transfer is not a dead one)."""
        base = (
            sum(self.timeout)
            if isinstance(self.timeout, (tuple, list))
            else (2.0 * self.timeout)
        )
        return base + size / CHUNK

    def _request(self, method, url, what, *, headers=None, data=None, stream=False):
        headers = dict(headers or {}, **{"X-Upload-OrgPPAGUID": self.org_ppa_guid})
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                data=data,
                auth=self.basic_auth,
                verify=self.verify,
                stream=stream,
            )
        except requests.Timeout as exc:
            raise GisFileError(
                f"{what}: the GIS ZhKKh file store did not answer in time",
                transient=True,
            ) from exc
        except requests.RequestException as exc:
            raise GisFileError(
                f"{what}: connection to the GIS ZhKKh file store failed "
                f"({exc.__class__.__name__})",
                transient=True,
            ) from exc
        code = response.headers.get("X-Upload-Error")
        if code or response.status_code >= 400:
            response.close()
            raise self._error(what, response.status_code, code)
        return response

    @staticmethod
    def _error(what, status, code):
        code = (code or "").strip() or None
        if code:
            transient, meaning = ERRORS.get(code, (status >= 500, "refused"))
            return GisFileError(
                f"{what}: {code} ({meaning})",
                code=code,
                transient=transient,
                status=status,
            )
        return GisFileError(
            f"{what}: HTTP {status}",
            transient=status >= 500 or status in (408, 429),
            status=status,
        )

    def _read_into(self, response, out, expected, what):
        """Copy the answer's body to ``out`` chunk by chunk; refuse one that
        is longer than ``expected`` or still coming when its time is up."""
        aborted = threading.Event()
        timer = threading.Timer(self._budget(expected), _abort, [response, aborted])
        timer.daemon = True
        timer.start()
        size = 0
        try:
            with response:
                for chunk in response.iter_content(chunk_size=CHUNK):
                    size += len(chunk)
                    if size > expected:
                        raise GisFileError(
                            f"{what}: more data than the {expected} bytes announced",
                            transient=True,
                        )
                    out.write(chunk)
        except requests.RequestException as exc:
            raise GisFileError(
                f"{what}: transfer interrupted ({exc.__class__.__name__})",
                transient=True,
            ) from exc
        finally:
            timer.cancel()
        if aborted.is_set():
            raise GisFileError(f"{what}: transfer too slow, given up", transient=True)
        if size != expected:
            raise GisFileError(
                f"{what}: {size} bytes received, {expected} expected", transient=True
            )
        return size

    # -- download ----------------------------------------------------------

    def file_size(self, file_guid):
        """The length of a stored file (``HEAD``, ``X-Upload-Length``)."""
        self._check_guid(file_guid)
        what = f"HEAD {file_guid}"
        response = self._request("HEAD", f"{self.url}/{file_guid}", what)
        response.close()
        try:
            return int(response.headers.get("X-Upload-Length", ""))
        except ValueError as exc:
            raise GisFileError(
                f"{what}: no X-Upload-Length in the answer", transient=True
            ) from exc

    def download(self, file_guid, out, max_bytes=None):
        """Write the file ``file_guid`` to the binary file object ``out``;
        return its length. A file larger than ``max_bytes`` is refused
        before any of it is read (``GisFileTooLarge``); one over 5 MB comes
        in ``Range`` parts of at most 5 MB, each checked for its length."""
        size = self.file_size(file_guid)
        if max_bytes is not None and size > max_bytes:
            raise GisFileTooLarge(
                f"{file_guid}: {size} bytes, more than the {max_bytes} allowed",
                size=size,
                limit=max_bytes,
            )
        url = f"{self.url}/{file_guid}?getfile"
        if size <= self.part_size:
            what = f"GET {file_guid}"
            response = self._request("GET", url, what, stream=True)
            return self._read_into(response, out, size, what)
        done = 0
        while done < size:
            end = min(size, done + self.part_size) - 1
            what = f"GET {file_guid} bytes {done}-{end}"
            response = self._request(
                "GET", url, what, headers={"Range": f"bytes={done}-{end}"}, stream=True
            )
            if response.status_code != 206 and done:
                response.close()
                raise GisFileError(
                    f"{what}: the store ignored the Range (HTTP "
                    f"{response.status_code})",
                    transient=False,
                )
            done += self._read_into(response, out, end - done + 1, what)
        return size

    # -- upload ------------------------------------------------------------

    def upload(self, name, fileobj, size, progress=None, on_progress=None):
        """Store ``size`` bytes read from ``fileobj`` (seekable, binary) as
        ``name``; return the file's GUID. Up to 5 MB in one ``PUT``; above,
        in parts, ``progress`` (``UploadProgress``) saying where an earlier
        try stopped, ``on_progress(progress)`` called once the upload has its
        GUID and after each part, for the caller to keep."""
        if size <= 0:
            raise GisFileError("An empty file cannot be stored", code="InvalidSize")
        if size <= self.part_size:
            fileobj.seek(0)
            data = fileobj.read(size)
            what = f"PUT {name}"
            response = self._request(
                "PUT",
                self.url,
                what,
                headers={
                    "X-Upload-Filename": encode_filename(name),
                    "Content-MD5": content_md5(data),
                    "Content-Type": "application/octet-stream",
                },
                data=data,
            )
            response.close()
            return self._upload_id(response, what)
        return self._upload_parts(name, fileobj, size, progress, on_progress)

    def _upload_parts(self, name, fileobj, size, progress, on_progress):
        progress = progress or UploadProgress()
        parts = math.ceil(size / self.part_size)
        if progress.completed and progress.upload_id:
            return progress.upload_id
        if not progress.upload_id:
            what = f"POST {name}?upload"
            response = self._request(
                "POST",
                f"{self.url}/?upload",
                what,
                headers={
                    "X-Upload-Filename": encode_filename(name),
                    "X-Upload-Length": str(size),
                    "X-Upload-Part-Count": str(parts),
                },
            )
            response.close()
            progress.upload_id = self._upload_id(response, what)
            progress.parts_done = 0
            if on_progress:
                on_progress(progress)
        for number in range(progress.parts_done + 1, parts + 1):
            offset = (number - 1) * self.part_size
            fileobj.seek(offset)
            data = fileobj.read(min(self.part_size, size - offset))
            what = f"PUT {progress.upload_id} part {number}/{parts}"
            response = self._request(
                "PUT",
                f"{self.url}/{progress.upload_id}",
                what,
                headers={
                    "X-Upload-Partnumber": str(number),
                    "Content-MD5": content_md5(data),
                    "Content-Type": "application/octet-stream",
                },
                data=data,
            )
            response.close()
            del data
            progress.parts_done = number
            if on_progress:
                on_progress(progress)
        what = f"POST {progress.upload_id}?completed"
        try:
            self._request(
                "POST", f"{self.url}/{progress.upload_id}?completed", what
            ).close()
        except GisFileError as error:
            # Completed already (the answer to an earlier try was lost): the
            # store then shows the whole file.
            if (
                error.code != "InvalidStatusException"
                or self._size_or_none(progress.upload_id) != size
            ):
                raise
        progress.completed = True
        if on_progress:
            on_progress(progress)
        return progress.upload_id

    def _size_or_none(self, file_guid):
        try:
            return self.file_size(file_guid)
        except GisFileError:
            return None

    @staticmethod
    def _upload_id(response, what):
        guid = (response.headers.get("X-Upload-UploadID") or "").strip()
        if not gis_xml_common.is_guid(guid):
            raise GisFileError(
                f"{what}: no file GUID (X-Upload-UploadID) in the answer",
                transient=True,
            )
        return guid.lower()

    @staticmethod
    def _check_guid(file_guid):
        if not gis_xml_common.is_guid(file_guid):
            raise GisFileError(
                f"Not a file GUID: {file_guid!r}", code="FieldValidationException"
            )
