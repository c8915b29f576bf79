"""Roster and org-unit import: templates, checking a file, confirming it."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
