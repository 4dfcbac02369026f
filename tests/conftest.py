"""Shared test set-up for the whole repository."""

from __future__ import annotations

import os

# Quiet SQLAlchemy 2.0 migration warnings (Rasa pins SQLAlchemy 1.4); real warnings still show.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
