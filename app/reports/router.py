"""The reports API: one router that includes the sub-routers of each area (import; stats and export)."""

from __future__ import annotations

from fastapi import APIRouter

from app.reports.router_history import router as history_router
from app.reports.router_imports import router as imports_router
from app.reports.router_stats import router as stats_router

router = APIRouter()
router.include_router(imports_router)
router.include_router(stats_router)
router.include_router(history_router)
