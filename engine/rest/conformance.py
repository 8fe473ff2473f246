"""Checks of the REST API's answers, for the test suite: every answer of the server goes through each check
(`create_app(checks=...)`), which may record what is wrong with it. The engine's pytest plugin passes one that
validates answers against Camunda's 8.8 OpenAPI spec (engine/rest/openapi.py); for an engine in another process
(`pbj up` or `pbj engine` under test) it sets PBJ_REST_CONFORMANCE_LOG, and the server appends a line per violation
to that file, which the test reads. Nothing of this runs unless a test asks for it."""

import os
from collections.abc import Callable

ResponseCheck = Callable[[str, str, int, str, bytes], None]
"""(method, path, status, content type, body)."""

LOG_VARIABLE = "PBJ_REST_CONFORMANCE_LOG"


def checks_from_environment() -> list[ResponseCheck]:
    """The check the environment asks for (a test running this engine in another process), or none."""
    target = os.environ.get(LOG_VARIABLE)
    if not target:
        return []
    from engine.rest.openapi import logging_check  # the test support, only when a test switched it on

    return [logging_check(target)]
