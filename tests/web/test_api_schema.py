"""A bounded schemathesis run over the OpenAPI schema: no input makes the API answer 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
              pytest.mark.slow]
EXAMPLES = 8


def test_no_server_errors_for_generated_requests(app: FastAPI) -> None:
    """Every API operation, fed schema-generated input with a valid token, answers < 500."""
    from lccu.evidence.lab import Lab
    from lccu.web.auth import Tokens, check_password
    from tests.web.helpers import PASSWORD

    state = app.state.web
    actor = check_password(state.db, "vlas_inv", PASSWORD)
    assert actor is not None
    Lab(state.settings, actor, state.db).create_case("Target for generated requests")
    _, token = Tokens(state.db).create(actor, "schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    statuses: list[int] = []
    def exercise(operation: Any) -> None:
        # derandomize: the same examples on every run, so CI is reproducible; a different
        # seed once found a 500 (huge page number), fixed and pinned in test_case_list.py
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            case = data.draw(operation.as_strategy())
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: "
                                f"{response.status_code} {response.text[:200]}")

        run()

    for operation in operations:
        if operation.method.upper() == "DELETE" and operation.path == "/api/v1/tokens/{token_id}":
            continue  # revoking would only end this run's own token; covered in test_auth
        exercise(operation)
    assert failures == []
    assert len(statuses) >= len(operations) and any(200 <= s < 300 for s in statuses)
