# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Prometheus text exposition format, version 0.0.4: what the metrics
endpoint answers (Prometheus, Grafana Agent, Zabbix's HTTP agent with its
Prometheus preprocessing all read it), and a strict reader of it for the
tests and the benchmark. Plain Python: no Odoo, no prometheus_client.

https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
"""

import math
import re
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


class MetricsTextError(ValueError):
    """A family that cannot be written, or text that is not the format."""


@dataclass
class Family:
    """One metric: its name, help, type and samples (labels, value)."""

    name: str
    help: str
    type: str = "gauge"
    samples: list = field(default_factory=list)

    def add(self, value, **labels):
        self.samples.append((labels, value))
        return self


# -- writing -------------------------------------------------------------------


def escape_help(text):
    """HELP text: a backslash and a line feed escaped, nothing else."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label_value(value):
    """A label value: backslash, double quote and line feed escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value):
    """A sample value as Go's ParseFloat reads it; counts stay integers."""
    if isinstance(value, int):  # bool too
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    # repr: the shortest text that reads back as the same float.
    return repr(value)


def _check(family):
    if not METRIC_NAME.match(family.name):
        raise MetricsTextError(f"invalid metric name {family.name!r}")
    if family.type not in TYPES:
        raise MetricsTextError(f"invalid type {family.type!r} of {family.name}")
    seen = set()
    for labels, _value in family.samples:
        for name, value in labels.items():
            if not LABEL_NAME.match(name) or name.startswith("__"):
                raise MetricsTextError(f"invalid label name {name!r}")
            if not isinstance(value, str):
                raise MetricsTextError(f"label {name} of {family.name} is not text")
        key = tuple(sorted(labels.items()))
        # Prometheus drops the whole scrape on a repeated series.
        if key in seen:
            raise MetricsTextError(f"{family.name} has the series {key} twice")
        seen.add(key)


def render(families):
    """The exposition text of ``families``: HELP and TYPE once, then the
    samples of each family together, as the format requires."""
    lines = []
    names = set()
    for family in families:
        _check(family)
        if family.name in names:
            raise MetricsTextError(f"{family.name} appears twice")
        names.add(family.name)
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.type}")
        for labels, value in family.samples:
            text = ",".join(
                f'{name}="{escape_label_value(label)}"'
                for name, label in labels.items()
            )
            series = f"{family.name}{{{text}}}" if text else family.name
            lines.append(f"{series} {format_value(value)}")
    # The last line ends with a line feed too.
    return "\n".join(lines) + "\n" if lines else ""


# -- reading -------------------------------------------------------------------


def _unescape(text, quote):
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following == "n":
                out.append("\n")
            elif following == "\\" or (quote and following == '"'):
                out.append(following)
            else:
                out.append("\\" + following)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _read_labels(text, line):
    """``name="value",...`` up to the closing brace: (labels, rest)."""
    labels, i = {}, 0
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "}":
            return labels, text[i + 1 :]
        match = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*\"").match(text, i)
        if not match:
            raise MetricsTextError(f"bad labels in {line!r}")
        name, i = match.group(1), match.end()
        start = i
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i >= len(text):
            raise MetricsTextError(f"unterminated label value in {line!r}")
        if name in labels:
            raise MetricsTextError(f"label {name} twice in {line!r}")
        labels[name] = _unescape(text[start:i], quote=True)
        i += 1
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
        elif i < len(text) and text[i] == "}":
            return labels, text[i + 1 :]
        else:
            raise MetricsTextError(f"bad labels in {line!r}")


def _read_value(text, line):
    # Go's ParseFloat, as Prometheus reads it; Python's float alone would
    # take digit separators (1_000) too.
    if "_" in text:
        raise MetricsTextError(f"bad value in {line!r}")
    try:
        return float(text)
    except ValueError:
        raise MetricsTextError(f"bad value in {line!r}") from None


def _read_comment(line, family_of):
    """A HELP or TYPE line into its family; any other comment is skipped."""
    parts = line.split(" ", 3)
    if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
        return
    name = parts[2]
    if not METRIC_NAME.match(name):
        raise MetricsTextError(f"invalid metric name {name!r}")
    family = family_of(name)
    if family.samples:
        raise MetricsTextError(f"{parts[1]} of {name} after its samples")
    rest = parts[3] if len(parts) > 3 else ""
    if parts[1] == "HELP":
        family.help = _unescape(rest, quote=False)
    elif rest not in TYPES:
        raise MetricsTextError(f"invalid type in {line!r}")
    else:
        family.type = rest


def parse(text):
    """The families of an exposition text, strictly: a HELP or TYPE after
    the family's samples, a sample of another family between two of one, a
    bad name, label or value, or a missing final line feed is an error."""
    if text and not text.endswith("\n"):
        raise MetricsTextError("the text does not end with a line feed")
    families, current = {}, None

    def family_of(name):
        nonlocal current
        if name in families and current is not families[name]:
            raise MetricsTextError(f"the samples of {name} are not together")
        if name not in families:
            families[name] = Family(name, help="", type="untyped")
        current = families[name]
        return current

    for line in text.split("\n")[:-1] if text else []:
        if line.startswith("#"):
            _read_comment(line, family_of)
            continue
        if not line.strip():
            continue
        match = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)").match(line)
        if not match:
            raise MetricsTextError(f"bad sample line {line!r}")
        name, rest = match.group(1), line[match.end() :]
        labels = {}
        if rest.startswith("{"):
            labels, rest = _read_labels(rest[1:], line)
        fields_ = rest.split()
        if not rest.startswith(" ") or len(fields_) not in (1, 2):
            raise MetricsTextError(f"bad sample line {line!r}")
        value = _read_value(fields_[0], line)
        family = family_of(name)
        key = tuple(sorted(labels.items()))
        if any(tuple(sorted(seen.items())) == key for seen, _v in family.samples):
            raise MetricsTextError(f"{name} has the series {key} twice")
        family.samples.append((labels, value))
    return list(families.values())


def samples(text):
    """``{(name, frozenset(labels.items())): value}`` of an exposition text:
    the tests look a series up by its labels."""
    return {
        (family.name, frozenset(labels.items())): value
        for family in parse(text)
        for labels, value in family.samples
    }
