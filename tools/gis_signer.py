"""Signing of GIS ZhKKh requests.

GIS ZhKKh wants the payload element (``Id="signed-data-container"``) signed
with XAdES-BES on GOST R 34.10-2012 keys. Those keys live in CryptoPro
containers or on tokens that no Python library can use, so real deployments
sign with an external program (a CryptoPro-based tool, or OpenSSL with the
GOST engine): ``CommandSigner`` hands it the XML on stdin and reads the signed
XML from stdout. Test stands and fakes accept unsigned requests (``NoSigner``).
"""

import os
import shlex
import subprocess

from lxml import etree

from .gis_errors import GisResponseError, GisSigningError
from .gis_xml import DS_NS, SIGNED_ELEMENT_ID, parse_xml

SIGNING_MODES = ("none", "command")
# What the signer inherits from Odoo's environment: enough to find programs,
# its files and the locale, nothing more (Odoo's may hold database
# passwords). Variables named GIS_SIGNER_* are for the signer's own settings.
SIGNER_ENV_NAMES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
SIGNER_ENV_PREFIX = "GIS_SIGNER_"


def signer_environment(environ=None):
    """The minimal environment of the external signer."""
    environ = os.environ if environ is None else environ
    env = {
        name: value
        for name, value in environ.items()
        if name in SIGNER_ENV_NAMES or name.startswith(SIGNER_ENV_PREFIX)
    }
    env.setdefault("PATH", os.defpath)
    return env


class NoSigner:
    """Sends requests as they are (test stands, fakes, signing proxies)."""

    def sign(self, xml):
        return xml


class CommandSigner:
    """Runs an external signer: XML on stdin, signed XML on stdout."""

    def __init__(self, command, timeout=30):
        if isinstance(command, str):
            command = shlex.split(command)
        if not command:
            raise GisSigningError("No signer command configured")
        self.args = list(command)
        self.timeout = timeout

    def sign(self, xml):
        try:
            proc = subprocess.run(
                self.args,
                input=xml,
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env=signer_environment(),
            )
        except FileNotFoundError as exc:
            raise GisSigningError(f"Signer program not found: {self.args[0]}") from exc
        except PermissionError as exc:
            raise GisSigningError(
                f"Signer program not executable: {self.args[0]}"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise GisSigningError(
                f"Signer did not answer within {self.timeout} seconds"
            ) from exc
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace").strip()[:500]
            raise GisSigningError(
                f"Signer failed with exit code {proc.returncode}: {stderr}"
            )
        try:
            root = parse_xml(proc.stdout)
        except GisResponseError as exc:
            raise GisSigningError(f"Signer returned no valid XML: {exc}") from exc
        signed = root.xpath(
            "//*[@Id=$id]/ds:Signature",
            id=SIGNED_ELEMENT_ID,
            namespaces={"ds": DS_NS},
        )
        if not signed:
            raise GisSigningError(
                "Signer output has no ds:Signature inside the signed element"
            )
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def make_signer(mode, command=None, timeout=30):
    if mode in (None, "", "none"):
        return NoSigner()
    if mode == "command":
        return CommandSigner(command or "", timeout=timeout)
    raise GisSigningError(f"Unknown signing mode {mode!r}")
