"""The one error every webhook mapper raises."""

from __future__ import annotations


class WebhookMappingError(ValueError):
    """A payload that cannot become an event; ``str(exc)`` names the field."""
