"""Shared fixtures: one small demo world and one pipeline run on it, reused by the tests."""

import dagster as dg
import pytest

from demo_world.world import generate_world
from orchestration.definitions import build_definitions

TEST_SCALE = 0.05  # about 5k persons: every code path, seconds instead of minutes


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    path = tmp_path_factory.mktemp("world") / "world"
    generate_world(path, seed=7, scale=TEST_SCALE)
    return path


@pytest.fixture(scope="session")
def built_home(tmp_path_factory):
    """A deployment folder whose warehouse was built by a full in-process run."""
    home = tmp_path_factory.mktemp("home")
    generate_world(home / "world", seed=7, scale=TEST_SCALE)
    defs = build_definitions(str(home))
    result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    return home, result
