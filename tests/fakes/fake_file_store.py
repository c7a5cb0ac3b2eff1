"""The fake GIS ZhKKh file store, served by the fake GIS (``fake_gis``).

Both directions of the protocol ``gis_files`` speaks: ``HEAD`` (the length in
``X-Upload-Length``), ``GET ?getfile`` whole up to 5 MB and only in ``Range``
parts of at most 5 MB above, ``PUT`` of a file up to 5 MB, the multi-part
upload (``POST ?upload``, ``PUT`` parts, ``POST ?completed``), the
``X-Upload-OrgPPAGUID`` check, refusals in ``X-Upload-Error``, and a file
infected by a virus. Scenario controls: make the next file calls fail (HTTP
503, a dropped connection, an ``X-Upload-Error``).

Big files need not be held: a file may be "virtual", its bytes made from a
seed whenever they are read (the benchmark's 200 photos of 6 MB).
"""

import base64
import dataclasses
import email.header
import hashlib
import random
import re
import threading
import uuid

from ...tools import gost94

STORE_PREFIX = "/ext-bus-file-store-service/rest/"
PART_SIZE = 5 * 1024 * 1024
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
FILE_PATH = re.compile(rf"^{re.escape(STORE_PREFIX)}([\w-]+)/({GUID})$")
CONTEXT_PATH = re.compile(rf"^{re.escape(STORE_PREFIX)}([\w-]+)/?$")
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclasses.dataclass
class StoredFile:
    name: str
    size: int
    data: bytes = None  # None: virtual, made from ``seed``
    seed: str = None
    infected: bool = False
    uploaded: bool = False  # sent by the client (not seeded)
    complete: bool = True
    part_count: int = 1
    parts: dict = dataclasses.field(default_factory=dict)

    def content(self):
        if self.data is not None:
            return self.data
        return random.Random(self.seed).randbytes(self.size)

    def gost_hash(self):
        return gost94.Gost94(self.content()).hexdigest()


@dataclasses.dataclass
class FileReply:
    status: int = 200
    body: bytes = b""
    headers: dict = dataclasses.field(default_factory=dict)
    drop: bool = False


def _error(code, status=400):
    return FileReply(status, headers={"X-Upload-Error": code})


def decode_filename(value):
    """The name an RFC 2047 ``X-Upload-Filename`` carries."""
    parts = email.header.decode_header(value or "")
    return "".join(
        part.decode(charset or "utf-8") if isinstance(part, bytes) else part
        for part, charset in parts
    )


class FakeFileStore:
    """State and behaviour of the file store (thread-safe)."""

    def __init__(self, org_ppa_guid=None, context="appeals", part_size=PART_SIZE):
        self.org_ppa_guid = org_ppa_guid
        self.context = context
        self.part_size = part_size
        self.lock = threading.RLock()
        self.files = {}
        self.calls = []  # (method, what, status, X-Upload-Error)
        self.failures = []  # ("http" | "drop" | code) for the next calls

    def reset(self):
        with self.lock:
            self.files.clear()
            self.calls.clear()
            self.failures.clear()

    # -- scenario ------------------------------------------------------------

    def add(self, data=None, *, name="photo.jpg", size=None, seed=None, infected=False):
        """Store a file (its bytes, or a virtual one of ``size`` bytes);
        return its GUID."""
        guid = str(uuid.uuid4())
        with self.lock:
            self.files[guid] = StoredFile(
                name=name,
                size=len(data) if data is not None else size,
                data=data,
                seed=seed or guid,
                infected=infected,
            )
        return guid

    def fail_next(self, kind, count=1):
        with self.lock:
            self.failures.extend([kind] * count)

    def uploaded(self):
        """The files clients stored, by GUID."""
        with self.lock:
            return {
                guid: f for guid, f in self.files.items() if f.uploaded and f.complete
            }

    # -- protocol ------------------------------------------------------------

    def handle(self, method, path, query, headers, body=b""):
        reply = self._handle(method, path, query, headers, body)
        with self.lock:
            # A dropped connection answered nothing: status 0.
            status = 0 if reply.drop else reply.status
            self.calls.append(
                (method, path, status, reply.headers.get("X-Upload-Error"))
            )
        return reply

    def _handle(self, method, path, query, headers, body):
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure == "drop":
            return FileReply(drop=True)
        if failure == "http":
            return FileReply(503, b"Service Unavailable")
        if failure:
            return _error(failure, 500 if failure == "INT002029" else 400)
        org = headers.get("X-Upload-OrgPPAGUID") or ""
        if not org or (self.org_ppa_guid and org.lower() != self.org_ppa_guid.lower()):
            return _error("DataProviderValidationException", 403)
        file_match = FILE_PATH.match(path)
        context_match = CONTEXT_PATH.match(path)
        context = (
            (file_match or context_match).group(1)
            if (file_match or context_match)
            else None
        )
        if context != self.context:
            return _error("ContextNotFoundException", 404)
        if file_match:
            guid = file_match.group(2).lower()
            if method == "HEAD":
                return self._head(guid)
            if method == "GET" and "getfile" in query:
                return self._get(guid, headers.get("Range"))
            if method == "PUT":
                return self._put_part(guid, headers, body)
            if method == "POST" and "completed" in query:
                return self._complete(guid)
        elif method == "PUT":
            return self._put_whole(headers, body)
        elif method == "POST" and "upload" in query:
            return self._start(headers)
        return _error("FieldValidationException", 400)

    def _file(self, guid):
        with self.lock:
            return self.files.get(guid)

    def _head(self, guid):
        stored = self._file(guid)
        if stored is None:
            return _error("FileNotFoundException", 404)
        if not stored.complete:
            return _error("InvalidStatusException", 400)
        return FileReply(200, headers={"X-Upload-Length": str(stored.size)})

    def _get(self, guid, range_header):
        stored = self._file(guid)
        if stored is None:
            return _error("FileNotFoundException", 404)
        if not stored.complete:
            return _error("InvalidStatusException", 400)
        if stored.infected:
            return _error("FileVirusInfectionException", 400)
        if not range_header:
            if stored.size > self.part_size:
                # Larger files only in parts.
                return _error("InvalidSizeException", 400)
            return FileReply(200, stored.content())
        match = RANGE.match(range_header.strip())
        if not match:
            return _error("FieldValidationException", 400)
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else stored.size - 1
        if start > end or end >= stored.size or end - start + 1 > self.part_size:
            return _error("InvalidSizeException", 416)
        return FileReply(
            206,
            stored.content()[start : end + 1],
            {"Content-Range": f"bytes {start}-{end}/{stored.size}"},
        )

    @staticmethod
    def _md5_ok(headers, body):
        expected = headers.get("Content-MD5") or ""
        actual = base64.b64encode(
            hashlib.md5(body, usedforsecurity=False).digest()
        ).decode()
        return expected == actual

    def _put_whole(self, headers, body):
        name = decode_filename(headers.get("X-Upload-Filename"))
        if not name or not body:
            return _error("FieldValidationException", 400)
        if len(body) > self.part_size:
            return _error("InvalidSizeException", 400)
        if not self._md5_ok(headers, body):
            return _error("HashConflictException", 400)
        guid = str(uuid.uuid4())
        with self.lock:
            self.files[guid] = StoredFile(
                name=name, size=len(body), data=bytes(body), uploaded=True
            )
        return FileReply(200, headers={"X-Upload-UploadID": guid})

    def _start(self, headers):
        name = decode_filename(headers.get("X-Upload-Filename"))
        try:
            size = int(headers.get("X-Upload-Length") or 0)
            parts = int(headers.get("X-Upload-Part-Count") or 0)
        except ValueError:
            return _error("FieldValidationException", 400)
        if not name or size <= 0 or parts != -(-size // self.part_size):
            return _error("InvalidSizeException", 400)
        guid = str(uuid.uuid4())
        with self.lock:
            self.files[guid] = StoredFile(
                name=name,
                size=size,
                uploaded=True,
                complete=False,
                part_count=parts,
            )
        return FileReply(200, headers={"X-Upload-UploadID": guid})

    def _put_part(self, guid, headers, body):
        stored = self._file(guid)
        if stored is None:
            return _error("FileNotFoundException", 404)
        if stored.complete:
            return _error("InvalidStatusException", 400)
        try:
            number = int(headers.get("X-Upload-Partnumber") or 0)
        except ValueError:
            number = 0
        if not 1 <= number <= stored.part_count:
            return _error("InvalidPartNumberException", 400)
        if not body or len(body) > self.part_size:
            return _error("InvalidSizeException", 400)
        if not self._md5_ok(headers, body):
            return _error("HashConflictException", 400)
        with self.lock:
            # A part sent again replaces itself.
            stored.parts[number] = bytes(body)
        return FileReply(200)

    def _complete(self, guid):
        stored = self._file(guid)
        if stored is None:
            return _error("FileNotFoundException", 404)
        if stored.complete:
            return _error("InvalidStatusException", 400)
        with self.lock:
            if sorted(stored.parts) != list(range(1, stored.part_count + 1)):
                return _error("InvalidPartNumberException", 400)
            data = b"".join(stored.parts[n] for n in sorted(stored.parts))
            if len(data) != stored.size:
                return _error("InvalidSizeException", 400)
            stored.data, stored.parts, stored.complete = data, {}, True
        return FileReply(200)
