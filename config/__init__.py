"""IRISX configuration: the one settings object every component reads."""

from config.settings import PROJECT_ROOT, Profile, Settings, get_settings

__all__ = ["PROJECT_ROOT", "Profile", "Settings", "get_settings"]
