"""Loaders of the appraisal routes."""

from __future__ import annotations
