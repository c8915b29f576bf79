"""What other packages call of the appraisal domain (counts and scores for ratings' readers above)."""

from __future__ import annotations
