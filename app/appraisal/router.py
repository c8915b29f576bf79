"""The appraisal API: one router that includes the sub-routers of each area (representatives and
slips, self-evaluations; 述职评议, tiers and ranking add theirs here)."""

from __future__ import annotations

from fastapi import APIRouter

from app.appraisal.router_debrief import router as debrief_router
from app.appraisal.router_panels import router as panels_router
from app.appraisal.router_ranking import router as ranking_router
from app.appraisal.router_self import router as self_router
from app.appraisal.router_tiers import router as tiers_router

router = APIRouter()
router.include_router(panels_router)
router.include_router(self_router)
router.include_router(debrief_router)
router.include_router(tiers_router)
router.include_router(ranking_router)
