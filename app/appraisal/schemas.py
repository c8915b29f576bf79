"""Request and response bodies of the representatives' evaluation and the quarterly self-evaluation."""

from __future__ import annotations
