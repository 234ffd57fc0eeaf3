"""Guards for JSON bodies, shared by the API's parser and `coop.middleware.RequestGuardMiddleware`
(which also covers allauth's headless endpoints, whose views call `json.loads` themselves).

Python's `json.loads` recurses once per `[` or `{`: a body nested a few thousand deep raises
RecursionError (a 500), and a `\\u0000` reaches PostgreSQL, which cannot store NUL in text (a
500 again). Both are refused as bad input before anything is parsed.
"""

import json
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64

# A JSON string (skipped as a whole, so brackets inside strings don't count) or a bracket.
# An unterminated string runs to the end of the body: the pattern always matches where it
# starts, so the scan stays linear whatever the body (no retry from every later quote).
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*(?:\\)?(?:"|\Z)|[\[\]{}]', re.DOTALL)
# `\u0000` preceded by an even number of backslashes (`\\u0000` is a backslash and "u0000").
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the brackets outside strings nest deeper than `limit`. Only counts: a
    malformed body is left for the JSON parser to refuse."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # cannot nest deeper than the brackets it has
    depth = 0
    for match in _TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def json_has_nul(body: bytes) -> bool:
    return b"\x00" in body or _NUL_ESCAPE.search(body) is not None


def json_body_problem(body: bytes) -> str | None:
    """Why this JSON body is refused before parsing, or None."""
    if json_depth_exceeds(body):
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."
    if json_has_nul(body):
        return "NUL characters (\\u0000) are not accepted."
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser behind the depth and NUL guards (the middleware checks the same for
    every view; this keeps a view safe wherever it is mounted)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        body = stream.read() if stream is not None else b""
        problem = json_body_problem(body)
        if problem:
            raise ParseError(problem)
        try:
            return json.loads(body.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def _refuse_constant(text: str):
    # NaN and Infinity are not JSON (DRF's STRICT_JSON default refuses them too).
    raise ValueError(f"{text} is not valid JSON")
