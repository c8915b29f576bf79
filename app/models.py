"""Every domain's table models, imported in dependency order so Alembic and relationships see them all."""

from app.auth.models import Account, LoginFailure, RefreshToken, RevokedAccessToken
from app.boards.models import Board, BoardMember, BoardViewDay, RetiredBoardToken
from app.core import db as _db  # noqa: F401  (naming convention before any table)
from app.core.idempotency import IdempotencyRecord
from app.core.ratelimit_stores import RateHit
from app.evaluations.models import PublicRating, Suggestion
from app.members.models import Member
from app.notifications.models import Notification
from app.org.models import OrgUnit, RoleGrant
from app.pledges.models import Pledge, PledgeEvent, PledgeNote, PledgePhoto, PledgeProgress, PledgeRevision
from app.ratings.models import (
    Assessment,
    Honour,
    PeerFlag,
    PeerReview,
    RatingBranchStatus,
    RatingDecision,
    RatingPeriod,
    RatingPeriodEvent,
    RatingPolicy,
    RatingResult,
    SelfStatement,
)

__all__ = [
    "Account",
    "Assessment",
    "Board",
    "BoardMember",
    "BoardViewDay",
    "Honour",
    "IdempotencyRecord",
    "LoginFailure",
    "Member",
    "Notification",
    "OrgUnit",
    "PeerFlag",
    "PeerReview",
    "Pledge",
    "PledgeEvent",
    "PledgeNote",
    "PledgePhoto",
    "PledgeProgress",
    "PledgeRevision",
    "PublicRating",
    "RateHit",
    "RatingBranchStatus",
    "RatingDecision",
    "RatingPeriod",
    "RatingPeriodEvent",
    "RatingPolicy",
    "RatingResult",
    "RefreshToken",
    "RetiredBoardToken",
    "RevokedAccessToken",
    "RoleGrant",
    "SelfStatement",
    "Suggestion",
]
