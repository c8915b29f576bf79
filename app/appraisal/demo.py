"""The demo town's appraisal: a panel of representatives in the demo branch."""

from __future__ import annotations
