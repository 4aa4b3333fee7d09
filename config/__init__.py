"""IRISX configuration: the one settings object every component reads."""

from config.settings import Profile, Settings, get_settings

__all__ = ["Profile", "Settings", "get_settings"]
