"""The ratings API (三评定星): one router that includes the sub-routers of each area."""

from __future__ import annotations

from fastapi import APIRouter

from app.ratings.router_assessments import router as assessments_router
from app.ratings.router_periods import router as periods_router
from app.ratings.router_results import router as results_router
from app.ratings.router_reviews import router as reviews_router

router = APIRouter()
router.include_router(periods_router)
router.include_router(reviews_router)
router.include_router(assessments_router)
router.include_router(results_router)
