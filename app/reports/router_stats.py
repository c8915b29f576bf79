"""Statistics for the dashboard, and the ledger export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
