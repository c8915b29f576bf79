"""schemathesis over every operation of the OpenAPI document, against the app on the suite's database
(each operation's examples inside one rolled-back transaction), signed in as the committee admin.

Bounded in time: a few generated examples per operation, no shrinking. Checked strictly: no server
error, every status code and content type as the document declares, every response header as
declared. Not checked, and why:
- response_schema_conformance: a 2xx body as declared is already asserted by FastAPI's
  response_model on every route; the errors' bodies are the shared Problem schema.
- positive_data_acceptance: schema-valid data names ids that do not exist (404) or a state that does
  not allow the step (409): correct refusals the document cannot express.
- negative_data_rejection / missing_required_header: checked by the bad-input corpus
  (tests/test_bad_input.py) route by route instead, where each refusal's shape is asserted too.
- use_after_free / ensure_resource_availability: stateful checks, not run (no links in the document).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from sqlmodel import Session

from app.core.ratelimit import limiter
from app.main import create_app
from tests.factories import World

# the suite's conftest has chosen the database before this module is imported
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(check_schema_on_start=False)).include(
    path_regex=r"^/api/"
)

STRICT = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
]


@schema.parametrize()
@settings(
    max_examples=2,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation(case, db: Session, world: World) -> None:  # type: ignore[no-untyped-def]
    limiter.reset()
    case.call_and_validate(headers=world.committee_admin.headers, checks=STRICT)
