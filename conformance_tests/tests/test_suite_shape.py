"""The aggregate classes run every test their behaviour classes define."""

from __future__ import annotations

from collections import defaultdict

import pytest

from sessionjar_conformance import AsyncStoreConformance, StoreConformance


@pytest.mark.parametrize("suite", [AsyncStoreConformance, StoreConformance])
def test_no_test_name_is_defined_by_two_behaviour_classes(suite: type) -> None:
    # A name defined twice runs once: the later class in the MRO is never collected.
    owners: defaultdict[str, list[str]] = defaultdict(list)
    for base in suite.__mro__[1:]:
        for name in vars(base):
            if name.startswith("test_"):
                owners[name].append(base.__name__)
    assert {name: where for name, where in owners.items() if len(where) > 1} == {}
