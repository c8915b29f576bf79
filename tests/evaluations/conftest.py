"""The boards fixtures (pledges through the pledges service, boards, fresh in-process state)."""

from tests.boards.conftest import _fresh_process_state, make  # noqa: F401  (fixtures)
