"""Typed errors of the GIS ZhKKh client.

Every error says whether it is *transient* (worth retrying later: network trouble,
GIS overload, internal GIS errors) or *permanent* (configuration, rights, signature,
a request GIS refuses): the Odoo side maps the first kind to ``RetryableJobError``
and the second to a message shown to the manager.
"""

import dataclasses

# GIS ZhKKh error codes, as public GIS clients handle them. GIS answers "no
# objects for export" with an error message: for an export that is simply an
# empty result, not a failure.
NO_OBJECTS_CODES = frozenset({"INT002012"})

# Internal or temporary failures on the GIS side: the same request may well
# succeed later ("Произошла ошибка при передаче данных. Попробуйте осуществить
# передачу данных повторно").
TRANSIENT_CODES = frozenset(
    {
        "EXP001000",  # internal error
        "EXP002001",
        "EXP002002",
        "EXP002003",
        "INT002018",
    }
)
TRANSIENT_PREFIXES = ("EXP00",)

# Everything else (AUT* rights and registration, FMT* malformed request,
# INT002000 unknown value, INT002013 request not found, ...) is permanent:
# nothing changes until a human fixes the configuration in GIS or in Odoo.


def is_transient_code(code):
    """Tell whether a GIS error code names a failure worth retrying."""
    code = (code or "").strip().upper()
    if code in NO_OBJECTS_CODES:
        return False
    return code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES)


class GisError(Exception):
    """Base class of every error raised by the GIS client."""

    transient = False

    def __init__(self, message, *, code=None, message_guid=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.message_guid = message_guid

    def __str__(self):
        parts = []
        if self.code:
            parts.append(f"[{self.code}]")
        parts.append(self.message)
        if self.message_guid:
            parts.append(f"(MessageGUID {self.message_guid})")
        return " ".join(parts)


class GisConfigError(GisError):
    """The connection settings are incomplete or wrong."""


class GisTransportError(GisError):
    """The request did not get a usable HTTP answer (timeout, refused, TLS...)."""

    transient = True


class GisHttpError(GisError):
    """GIS (or the proxy in front of it) answered with an HTTP error status."""

    def __init__(self, message, *, status, **kwargs):
        super().__init__(message, **kwargs)
        self.status = status
        # 5xx and 429 are load or maintenance: retry. 4xx is our request or
        # our credentials: a human must look.
        self.transient = status >= 500 or status in (408, 429)


class GisResponseError(GisError):
    """The answer is not the XML this protocol promises (malformed, hostile,
    truncated, unexpected element). Proxies and overloaded balancers produce
    such answers now and then, so it is retried a few times."""

    transient = True


class GisFaultError(GisError):
    """A SOAP fault, with the GIS error code when it carries one."""

    def __init__(self, message, *, code=None, **kwargs):
        super().__init__(message, code=code, **kwargs)
        self.transient = is_transient_code(code)


class GisResultError(GisError):
    """``getState`` finished with an ``ErrorMessage`` instead of a result."""

    def __init__(self, message, *, code=None, **kwargs):
        super().__init__(message, code=code, **kwargs)
        self.transient = is_transient_code(code)


class GisSigningError(GisError):
    """The configured signer failed to sign the request."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One way a request breaks the GIS ZhKKh format."""

    element: str  # the local name of the element at fault
    kind: str  # too_long, too_short, length, pattern, enumeration, content,
    # type, range or other
    detail: str  # the validator's own words (English)
    path: str = ""
    actual: int = None  # for lengths: the value's and the limit
    limit: int = None

    def __str__(self):
        return f"{self.element}: {self.detail}"


class GisRequestInvalid(GisError):
    """A request the addon built does not follow the GIS ZhKKh format: it is
    not sent (GIS would refuse it), and sending it again changes nothing.
    ``problems``: which element is wrong and how (``Problem``)."""

    def __init__(self, message, *, problems=(), **kwargs):
        super().__init__(message, code="FORMAT", **kwargs)
        self.problems = list(problems)
