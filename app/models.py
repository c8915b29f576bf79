"""Every domain's table models, imported in dependency order so Alembic and relationships see them all."""

from app.appraisal.models import (
    Representative,
    SelfEvaluation,
    SelfEvaluationEvent,
    SelfEvaluationPhoto,
    Slip,
    SlipAnswer,
    SlipBatch,
)
from app.appraisal.models_debrief import (
    DebriefAttachment,
    DebriefReport,
    DebriefRound,
    DebriefRoundEvent,
    DebriefScore,
    DebriefSlipAnswer,
)
from app.appraisal.models_tiers import (
    BranchTier,
    BranchTierEvent,
    RankingEvent,
    RankingPublication,
    RectificationStep,
)
from app.auth.models import Account, LoginFailure, RefreshToken, RevokedAccessToken
from app.boards.models import Board, BoardMember, BoardViewDay, RetiredBoardToken
from app.core import db as _db  # noqa: F401  (naming convention before any table)
from app.core.changes import ChangeEvent
from app.core.idempotency import IdempotencyRecord
from app.core.ratelimit_stores import RateHit
from app.evaluations.models import PublicRating, Suggestion
from app.members.models import Member
from app.members.models import Post as Post
from app.members.models_registration import CommunityRegistration, RegistrationEvent
from app.notifications.models import Notification
from app.org.models import OrgUnit, RoleGrant
from app.pledges.models import Pledge, PledgeEvent, PledgeNote, PledgePhoto, PledgeProgress, PledgeRevision
from app.pledges.models import PledgeDocument as PledgeDocument
from app.pledges.models_pairing import Pairing
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
    "BranchTier",
    "BranchTierEvent",
    "ChangeEvent",
    "CommunityRegistration",
    "DebriefAttachment",
    "DebriefReport",
    "DebriefRound",
    "DebriefRoundEvent",
    "DebriefScore",
    "DebriefSlipAnswer",
    "Honour",
    "IdempotencyRecord",
    "LoginFailure",
    "Member",
    "Notification",
    "OrgUnit",
    "Pairing",
    "PeerFlag",
    "PeerReview",
    "Pledge",
    "PledgeEvent",
    "PledgeNote",
    "PledgePhoto",
    "PledgeProgress",
    "PledgeRevision",
    "PublicRating",
    "RankingEvent",
    "RankingPublication",
    "RateHit",
    "RatingBranchStatus",
    "RatingDecision",
    "RatingPeriod",
    "RatingPeriodEvent",
    "RatingPolicy",
    "RatingResult",
    "RectificationStep",
    "RefreshToken",
    "RegistrationEvent",
    "Representative",
    "RetiredBoardToken",
    "RevokedAccessToken",
    "RoleGrant",
    "SelfEvaluation",
    "SelfEvaluationEvent",
    "SelfEvaluationPhoto",
    "SelfStatement",
    "Slip",
    "SlipAnswer",
    "SlipBatch",
    "Suggestion",
]
