"""Shared fixtures: a seeded Generator and the built digit subset."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import data


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def subset() -> data.Subset:
    path = data.default_path()
    if not path.exists():
        pytest.skip("the digit subset is not built; `make test` builds it first (`make data`)")
    return data.load_subset(path)
