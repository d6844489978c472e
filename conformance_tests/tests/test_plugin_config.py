"""The zero-code run needs no pytest configuration of the user's."""

from __future__ import annotations

import pytest


def test_zero_code_run_without_any_ini_prints_no_warning(pytester: pytest.Pytester) -> None:
    # No ini file at all, as in a fresh project: pytest-asyncio has no loop scope set.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pyargs", "sessionjar_conformance",
        "--sessionjar-url", "memory://", "-k", "test_create and Async and not reset",
        "-W", "error",
    )  # fmt: skip
    result.assert_outcomes(passed=result.parseoutcomes()["passed"])
    output = result.stdout.str() + result.stderr.str()
    assert "is unset" not in output
    assert "warnings summary" not in output
