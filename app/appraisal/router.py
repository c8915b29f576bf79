"""The appraisal API: one router that includes the sub-routers of each area (representatives and
slips, self-evaluations; 述职评议, tiers and ranking add theirs here)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
