"""The /api/v1 router: one include line per domain."""

from fastapi import APIRouter

from app.appraisal.router import router as appraisal_router
from app.auth.router import router as auth_router
from app.boards.router import router as boards_router
from app.boards.router_mine import router as boards_mine_router
from app.evaluations.router import router as evaluations_router
from app.members.router import router as members_router
from app.members.router_posts import router as posts_router
from app.members.router_registration import router as registrations_router
from app.notifications.router import router as notifications_router
from app.org.router import router as org_router
from app.pledges.router import router as pledges_router
from app.pledges.router_document import router as pledge_documents_router
from app.pledges.router_pairing import router as pairings_router
from app.ratings.router import router as ratings_router
from app.reports.router import router as reports_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth_router)
api_router.include_router(org_router)
api_router.include_router(members_router)
# pairings first: POST /registrations/{id}/pledges before /registrations/{id}/{action}
api_router.include_router(pairings_router)
api_router.include_router(registrations_router)
api_router.include_router(posts_router)
api_router.include_router(notifications_router)
api_router.include_router(pledges_router)
api_router.include_router(pledge_documents_router)
api_router.include_router(evaluations_router)
api_router.include_router(ratings_router)
api_router.include_router(appraisal_router)
api_router.include_router(boards_router)
api_router.include_router(boards_mine_router)
api_router.include_router(reports_router)
