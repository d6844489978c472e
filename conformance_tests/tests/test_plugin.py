"""The pytest plugin: inert unless asked, zero-code runs by URL, capabilities, summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

_INI: Final = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

_MEMORY_SUBCLASS: Final = """
import pytest

from sessionjar.drivers.memory.store_async import AsyncMemoryStore
from sessionjar.drivers.memory._backend import MemoryBackend
from sessionjar_conformance import AsyncStoreConformance


class TestMemory(AsyncStoreConformance):
    capabilities = frozenset({capabilities})
    known_failures = {known_failures}

    @pytest.fixture
    def make_store(self):
        backend = MemoryBackend()
        return lambda namespace: AsyncMemoryStore(backend, namespace)
"""


def test_unrelated_runs_are_untouched(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "sessionjar conformance" not in result.stdout.str()


def test_unrelated_runs_load_neither_the_suite_nor_sessionjar(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(
        "import sys\n\n"
        "def test_plain():\n"
        "    assert 'sessionjar_conformance.plugin' in sys.modules\n"
        "    loaded = {name.partition('.')[0] for name in sys.modules}\n"
        "    assert 'sessionjar' not in loaded\n"
        "    assert 'sessionjar_conformance._suite' not in sys.modules\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_option_is_offered(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["*--sessionjar-url=URL*"])


def test_option_alone_changes_nothing_else(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--sessionjar-url", "memory://x"
    )
    result.assert_outcomes(passed=1)
    assert "sessionjar conformance" not in result.stdout.str()


def test_unknown_scheme_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--sessionjar-url", "nosuchdb://x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sessionjar-url nosuchdb://x*nosuchdb*"])


def test_zero_code_run_by_url(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-q", "--pyargs", "sessionjar_conformance",
        "--sessionjar-url", "memory://zero-code", "-k", "test_round_trips_every_field",
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*sessionjar conformance: memory://zero-code*", "passed: 2"])


def test_missing_capability_skips_with_its_name(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(_MEMORY_SUBCLASS.format(capabilities="()", known_failures="{}"))
    only = "test_a_second_store_on_the_namespace_sees_everything"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs", "-k", only)
    result.stdout.fnmatch_lines(
        [
            "skipped by capability: 1 (shared_namespace 1)",
            "*driver lacks capability 'shared_namespace' (Driver supports several stores*",
        ]
    )
    assert result.ret == pytest.ExitCode.OK


def test_summary_counts_the_tests_run_by_parallel_workers(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(_MEMORY_SUBCLASS.format(capabilities="()", known_failures="{}"))
    only = "test_round_trips_every_field or test_a_second_store_on_the_namespace_sees_everything"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-k", only)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*sessionjar conformance*", "passed: 1", "skipped by capability: 1 (shared_namespace 1)"]
    )


def test_known_failures_are_strict(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    known = '{"test_duplicate_handle_raises": "fixed upstream"}'
    pytester.makepyfile(_MEMORY_SUBCLASS.format(capabilities="()", known_failures=known))
    only = "test_duplicate_handle_raises or test_distinct_handles_are_independent"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rX", "-k", only)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*fixed upstream*"])


def test_misspelt_known_failure_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    known = '{"test_duplicate_handle_raise": "typo"}'
    pytester.makepyfile(_MEMORY_SUBCLASS.format(capabilities="()", known_failures=known))
    only = "test_duplicate_handle_raises or test_distinct_handles_are_independent"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", only)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*known_failures names no test of TestMemory*'*_raise'*"])


def test_make_store_is_required(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(
        "from sessionjar_conformance import StoreConformance\n"
        "class TestNothing(StoreConformance):\n    pass\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "test_no_keys_at_first")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TestNothing must define the `make_store` fixture*"])


def test_capabilities_can_be_added_on_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    only = "test_a_second_store_on_the_namespace_sees_everything"
    args = ["-p", "no:cacheprovider", "--pyargs", "sessionjar_conformance", "-k", only]
    url = ["--sessionjar-url", "memory://named"]
    without = pytester.runpytest_inprocess(*args, *url)
    without.assert_outcomes(skipped=2)
    with_it = pytester.runpytest_inprocess(
        *args, *url, "--sessionjar-capability", "shared_namespace"
    )
    with_it.assert_outcomes(passed=2)


@pytest.mark.slow
def test_sessionjar_check_runs_the_suite_against_the_url(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sessionjar", "check", f"sqlite:///{tmp_path}/check.db",
         "-q", "-x", "-p", "no:cacheprovider"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
