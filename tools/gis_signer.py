"""Signing of GIS ZhKKh requests.

GIS ZhKKh wants the payload element (``Id="signed-data-container"``) signed
with XAdES-BES on GOST R 34.10-2012 keys. Those keys live in CryptoPro
containers or on tokens that no Python library can use, so real deployments
sign with an external program (a CryptoPro-based tool, or OpenSSL with the
GOST engine): ``CommandSigner`` hands it the XML on stdin and reads the signed
XML from stdout. Test stands and fakes accept unsigned requests (``NoSigner``).

The command line comes from the server's configuration file, never from the
database: named profiles in the section ``[helpdesk_gis_zhkh_max]``, one
option ``signer.<profile> = <command line>`` each (``read_profiles``); a
connection only names its profile.
"""

import configparser
import logging
import os
import re
import shlex
import subprocess

from lxml import etree

from .gis_errors import GisResponseError, GisSigningError
from .gis_xml_common import DS_NS, SIGNED_ELEMENT_ID
from .gis_xml_parse import parse_xml

_logger = logging.getLogger(__name__)

SIGNING_MODES = ("none", "command")
CONFIG_SECTION = "helpdesk_gis_zhkh_max"
PROFILE_PREFIX = "signer."
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# The signer's own error output, as much as the server log keeps of it.
STDERR_LOG_LIMIT = 4000
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


def read_profiles(path):
    """``{profile: command line}`` of the configuration file at ``path``:
    the options ``signer.<profile>`` of its section ``[helpdesk_gis_zhkh_max]``
    (profile names in lower case, as the file's option names are read)."""
    if not path or not os.path.isfile(path):
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        _logger.warning("Cannot read the signer profiles of %s: %s", path, exc)
        return {}
    if not parser.has_section(CONFIG_SECTION):
        return {}
    return profiles_from_options(parser.items(CONFIG_SECTION))


def profiles_from_options(items):
    """``{profile: command line}`` of ``(option, value)`` pairs named
    ``signer.<profile>``; other options and bad names are left out."""
    profiles = {}
    for option, value in items:
        if not isinstance(option, str) or not option.startswith(PROFILE_PREFIX):
            continue
        name = option[len(PROFILE_PREFIX) :].strip().lower()
        if PROFILE_NAME.match(name) and (value or "").strip():
            profiles[name] = value.strip()
    return profiles


class NoSigner:
    """Sends requests as they are (test stands, fakes, signing proxies)."""

    def sign(self, xml):
        return xml


class CommandSigner:
    """Runs an external signer: XML on stdin, signed XML on stdout."""

    def __init__(self, command, timeout=30, profile=None):
        if isinstance(command, str):
            command = shlex.split(command)
        if not command:
            raise GisSigningError("No signer command configured")
        self.args = list(command)
        self.timeout = timeout
        # What users are told: the profile, never the command line (it may
        # name a key container); the server log has the details.
        self.label = f"Signer (profile {profile})" if profile else "Signer"

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
        except (FileNotFoundError, PermissionError) as exc:
            _logger.warning("%s: cannot run %s: %s", self.label, self.args[0], exc)
            problem = (
                "not found" if isinstance(exc, FileNotFoundError) else "not executable"
            )
            raise GisSigningError(
                f"{self.label}: program {problem} (see the server log)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise GisSigningError(
                f"{self.label} did not answer within {self.timeout} seconds"
            ) from exc
        if proc.returncode != 0:
            # Its error output goes to the server log only: it is the
            # signer's (paths, containers, tokens), not the users'.
            _logger.warning(
                "%s failed with exit code %s; its error output:\n%s",
                self.label,
                proc.returncode,
                proc.stderr.decode("utf-8", "replace").strip()[:STDERR_LOG_LIMIT],
            )
            raise GisSigningError(
                f"{self.label} failed with exit code {proc.returncode} "
                "(its error output is in the server log)"
            )
        try:
            root = parse_xml(proc.stdout)
        except GisResponseError as exc:
            raise GisSigningError(f"{self.label} returned no valid XML: {exc}") from exc
        signed = root.xpath(
            "//*[@Id=$id]/ds:Signature",
            id=SIGNED_ELEMENT_ID,
            namespaces={"ds": DS_NS},
        )
        if not signed:
            raise GisSigningError(
                f"{self.label}: its output has no ds:Signature inside the "
                "signed element"
            )
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class UnconfiguredSigner:
    """A connection whose signer profile is missing from the server's
    configuration: every request fails with the reason, where the
    connection's errors are shown (log, health, its responsible)."""

    def __init__(self, reason):
        self.reason = reason

    def sign(self, xml):
        raise GisSigningError(self.reason)


def make_signer(mode, command=None, timeout=30, profile=None):
    if mode in (None, "", "none"):
        return NoSigner()
    if mode == "command":
        return CommandSigner(command or "", timeout=timeout, profile=profile)
    raise GisSigningError(f"Unknown signing mode {mode!r}")


def profile_signer(mode, profile, profiles, timeout=30):
    """The signer of a connection that names ``profile`` among ``profiles``
    (``read_profiles``)."""
    if mode != "command":
        return make_signer(mode, timeout=timeout)
    if not profile:
        return UnconfiguredSigner(
            "No signer profile chosen: name one of the profiles of the server's "
            f"configuration file (section [{CONFIG_SECTION}])"
        )
    command = profiles.get(profile)
    if not command:
        return UnconfiguredSigner(
            f"The signer profile {profile!r} is not in the server's configuration "
            f"file (section [{CONFIG_SECTION}], option {PROFILE_PREFIX}{profile})"
        )
    return CommandSigner(command, timeout=timeout, profile=profile)
