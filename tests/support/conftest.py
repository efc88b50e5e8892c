"""The small network with logins of ``tests/team_network.py``."""

from team_network import (  # noqa: F401 (fixtures and helpers of the folder's tests)
    ENROLLED_AT,
    IN_THE_OPEN_PERIOD,
    JOINED,
    PASSWORD,
    PLAN,
    Settled,
    Team,
    _clean_cache_and_binary,
    alice_client,
    at,
    open_period_clock,
    settled,
    team,
    verified_staff,
)
