"""Hypothesis profiles of the fuzz tests: `ci` (derandomized, so a CI run is reproducible), `dev` (random, a
little more), `thorough` (long, for a local hunt). HYPOTHESIS_PROFILE chooses; else `ci` when CI is set."""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("dev", max_examples=150, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=2_000, **_COMMON)  # type: ignore[arg-type]


def profile_name() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    return "ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev"


PROFILE = settings.get_profile(profile_name())
# pytest-timeout for one fuzz test: generous for the CI and dev profiles under load; none for a thorough hunt
TIMEOUT_SECONDS = 0 if PROFILE.max_examples > 500 else 900
# field-built requests: the profile's examples per RPC; malformed payloads and random diagrams: half as many
FUZZ = settings(PROFILE)
FUZZ_RAW = settings(PROFILE, max_examples=max(1, PROFILE.max_examples // 2))
