"""Logging for `sdggraph serve`: one line per record that no client can forge, as text or JSON lines.

Anything a request carries (its path, headers, user agent) may hold CR, LF or other control
characters, percent-decoded from the URL or sent raw; written as they are, they would start a
fake log line. So the request log escapes them (and backslash, so an escape cannot be faked
either) in every field it writes, the text format escapes control characters in every message
once more, and the JSON format is escaped by JSON itself.
Request lines (middleware.RequestLog) carry their fields in `record.request`, which the JSON
format writes as keys: time, method, path, status, duration_ms, outcome, client, user_agent.
"""

from __future__ import annotations

import json
import logging
import re
import time

FORMATS = ("text", "json")

_CONTROL = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"
_UNSAFE = re.compile(f"[{_CONTROL}\\\\]")
_CONTROL_ONLY = re.compile(f"[{_CONTROL}]")


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text, backslash: bool = True) -> str:
    """The text with control characters written as \\xNN (\\uNNNN), so it stays on one line;
    backslash doubled too, so that a request cannot fake an escape (the request log does this)."""
    return (_UNSAFE if backslash else _CONTROL_ONLY).sub(_escaped, str(text))


def field_separators_escaped(escaped: str, characters: str) -> str:
    """An already escape()d request field with the text line's separators in `characters` (space
    between fields, the quote around the agent) written as \\xNN too, so that no request can make
    a field look like two, e.g. a path `/x 200 0.1 ms ok client=10.0.0.1`. Unambiguous because
    escape() doubled every backslash the request sent. JSON lines need none of this."""
    for character in characters:
        escaped = escaped.replace(character, f"\\x{ord(character):02x}")
    return escaped


def _timestamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """The usual `time level logger: message`, with the message escaped (tracebacks stay readable)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape(record.message, backslash=False)  # a safety net: request fields are escaped already
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a request line has its fields as keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": _timestamp(record), "level": record.levelname.lower(), "logger": record.name}
        request = getattr(record, "request", None)
        if request:
            entry.update(request)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, separators=(",", ":"))


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send every logger (ours and uvicorn's) through one handler on stderr in the given format."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn's loggers go through ours
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
