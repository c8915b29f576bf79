"""The boards fixtures (pledges through the pledges service, boards, fresh in-process state, a committed
database of its own)."""

from tests.boards.conftest import _fresh_process_state, committed, make  # noqa: F401  (fixtures)
