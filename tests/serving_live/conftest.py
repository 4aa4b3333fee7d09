"""The hot-store fixtures of live_hand_worked: ``server_settings`` (the server profile over the
test's PostgreSQL database) and ``client`` (the hand-worked events stored there, the request clock
at NOW); a module that defines one of them itself uses its own."""

from tests.serving_live.live_hand_worked import client, server_settings  # noqa: F401
