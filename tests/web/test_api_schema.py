"""Bounded schemathesis runs over the OpenAPI schema: no input makes the API answer 5xx, and
hostile JSON bodies are refused with 422."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
              pytest.mark.slow]
EXAMPLES = 8


def _token(app: FastAPI) -> str:
    """A bearer token of vlas_inv, whose zone has one case for the requests to find."""
    from lccu.evidence.lab import Lab
    from lccu.web.auth import Tokens, check_password
    from tests.web.helpers import PASSWORD

    state = app.state.web
    actor = check_password(state.db, "vlas_inv", PASSWORD)
    assert actor is not None
    Lab(state.settings, actor, state.db).create_case("Target for generated requests")
    return Tokens(state.db).create(actor, "schemathesis")[1]


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _each_example(operation: Any, check: Callable[[Any, st.DataObject], None]) -> None:
    """``check(case, data)`` for EXAMPLES generated cases of ``operation``. Derandomized:
    the same examples on every run, so CI is reproducible; a different seed once found a
    500 (huge page number), fixed and pinned in test_case_list.py."""
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        check(data.draw(operation.as_strategy()), data)

    run()


def test_no_server_errors_for_generated_requests(app: FastAPI) -> None:
    """Every API operation, fed schema-generated input with a valid token, answers < 500."""
    headers = {"Authorization": f"Bearer {_token(app)}"}
    operations = _operations(app)
    assert len(operations) >= 15
    failures: list[str] = []
    statuses: list[int] = []

    def call(case: Any, _data: st.DataObject) -> None:
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: "
                            f"{response.status_code} {response.text[:200]}")

    for operation in operations:
        if operation.method.upper() == "DELETE" and operation.path == "/api/v1/tokens/{token_id}":
            continue  # revoking would only end this run's own token; covered in test_auth
        _each_example(operation, call)
    assert failures == []
    assert len(statuses) >= len(operations) and any(200 <= s < 300 for s in statuses)


#: what Python's json reads but JSON has not: lone surrogates, non-finite numbers
HOSTILE_VALUES = ('"\\ud800"', '"\\udfff"', '"ok \\udc80 then"', "NaN", "Infinity",
                  "-Infinity", "1e999999", "-1e999999")
_SENTINEL = "lccu-hostile-value-goes-here"


def _value_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where a value could be swapped: every leaf, every container itself."""
    paths = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _value_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _value_paths(child, (*path, index))
    return paths


def _with_hostile(body: Any, path: tuple[Any, ...], hostile: str) -> bytes:
    """``body`` as JSON text with the value at ``path`` replaced by ``hostile`` verbatim."""
    if not path:
        return hostile.encode()
    changed = copy.deepcopy(body)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = _SENTINEL
    return json.dumps(changed).replace(f'"{_SENTINEL}"', hostile).encode()


def test_hostile_json_bodies_answer_422(app: FastAPI) -> None:
    """Every API operation with a JSON body, fed schema-generated bodies with one value
    swapped for a lone surrogate, NaN, an infinity or 1e999999 (deterministic draws),
    answers 422 with a body that is UTF-8 JSON, never 500."""
    headers = {"Authorization": f"Bearer {_token(app)}", "Content-Type": "application/json"}
    with_json = [op for op in _operations(app)
                 if "application/json" in (op.definition.raw.get("requestBody") or {})
                 .get("content", {})]
    assert len(with_json) >= 9
    answers: list[tuple[str, int, str]] = []
    client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)

    def send(case: Any, data: st.DataObject) -> None:
        body = case.body if isinstance(case.body, dict | list) else {}
        where = data.draw(st.sampled_from(_value_paths(body)))
        raw = _with_hostile(body, where, data.draw(st.sampled_from(HOSTILE_VALUES)))
        response = client.request(case.method, case.formatted_path, content=raw,
                                  headers=headers)
        try:
            json.loads(response.content.decode("utf-8"))
            readable = "ok"
        except ValueError as exc:  # UnicodeDecodeError is one
            readable = f"unreadable answer: {exc}"
        answers.append((f"{case.method} {case.formatted_path} {raw[:120]!r}",
                        response.status_code, readable))

    for operation in with_json:
        _each_example(operation, send)
    client.close()
    assert [a for a in answers if a[1:] != (422, "ok")] == []
    assert len(answers) >= EXAMPLES * len(with_json) // 2
