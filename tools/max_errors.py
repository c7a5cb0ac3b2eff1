"""Typed errors of the MAX Bot API client: each says whether retrying helps."""

# Error codes the API answers with that pass by themselves.
TRANSIENT_CODES = frozenset({"attachment.not.ready", "too.many.requests"})


class MaxError(Exception):
    """A MAX Bot API call failed. ``transient`` says whether to retry;
    ``retry_after``: seconds the API asked to wait (HTTP 429), else None."""

    transient = False

    def __init__(self, message, *, code=None, status=None, retry_after=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after

    def __str__(self):
        parts = [self.message]
        if self.code:
            parts.append(f"[{self.code}]")
        if self.status:
            parts.append(f"(HTTP {self.status})")
        return " ".join(parts)


class MaxConfigError(MaxError):
    """The client is set up wrongly (no token, bad URL): a human must fix it."""


class MaxRequestError(MaxError):
    """What we were about to send is invalid (too long a text, no recipient)."""


class MaxTransportError(MaxError):
    """No answer: connection refused or dropped, timeout. Retry later."""

    transient = True


class MaxResponseError(MaxError):
    """The answer is not the JSON the API promises."""

    transient = True


class MaxFileTooLarge(MaxError):
    """A file is larger than the caller accepts: fetching it again will not
    make it smaller."""


class MaxPaceWait(MaxError):
    """The bot's pace (shared by every worker) has no free slot soon enough:
    try again in ``retry_after`` seconds rather than wait here."""

    transient = True


class MaxApiError(MaxError):
    """The API said no: HTTP 4xx/5xx or ``success: false``, with its code."""

    @property
    def transient(self):
        return (
            self.status in (429, 500, 502, 503, 504)
            or (self.status or 0) >= 500
            or self.code in TRANSIENT_CODES
        )

    @property
    def rate_limited(self):
        return self.status == 429 or self.code == "too.many.requests"


class MaxAuthError(MaxApiError):
    """The token is wrong or revoked (HTTP 401, ``verify.token``)."""

    @property
    def transient(self):
        return False


class MaxPaused(MaxError):
    """The caller paused sending for this bot (MAX refused its token): no
    call is made until a person resumes it."""
