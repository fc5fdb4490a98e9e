"""JSON request bodies as the JSON standard (RFC 8259) has them, or 422.

Python's ``json`` module reads more than JSON: ``NaN`` and ``Infinity``, numbers like
``1e999999`` that become infinite, and ``"\\ud800"``, a lone surrogate that is no character
at all. Accepted, they broke later: the validation error that echoes the input could not
be written as JSON (500), and text that cannot be encoded failed in the database. The API
routes read bodies through :class:`StrictJsonRoute`: such a body is refused as a JSON
decode error, a 422 whose message names the problem and is itself plain JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

#: deeper bodies are refused before Python's recursion limit is reached
MAX_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large to be represented")
    return value


def _check_text(value: str, where: str) -> None:
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise ValueError(f"{where}: a lone surrogate U+{ord(char):04X} is not a character")


def _check(value: Any) -> None:
    """Walk the parsed body (without recursion) for lone surrogates and excess depth."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            _check_text(item, "a string")
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, "a key")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def strict_loads(body: bytes) -> Any:
    """Parse a request body as standard JSON; :class:`json.JSONDecodeError` otherwise."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
        _check(value)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError: not UTF-8
        message = ("nested too deeply" if isinstance(exc, RecursionError)
                   else str(exc)[:200])
        raise json.JSONDecodeError(message, body.decode("utf-8", "replace")[:1000], 0) \
            from exc
    return value


class StrictJsonRequest(Request):
    """A request whose ``json()`` is :func:`strict_loads`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An API route that reads its JSON body with :class:`StrictJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
