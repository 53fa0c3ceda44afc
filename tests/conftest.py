"""Shared fixtures: one small demo world and one pipeline run on it per CRM, reused by the tests."""

import os
from contextlib import contextmanager

import dagster as dg
import pytest

from demo_world.vendor_apis.serve import local_crm_api
from demo_world.world import generate_world
from orchestration.definitions import build_definitions

TEST_SCALE = 0.05  # about 5k persons: every code path, seconds instead of minutes


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    path = tmp_path_factory.mktemp("world") / "world"
    generate_world(path, seed=7, scale=TEST_SCALE)
    return path


@contextmanager
def environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_refresh(home, crm: str):
    """A full in-process run of the refresh job, the CRM read through its local API."""
    with local_crm_api(home / "world") as apis, environment(apis.env):
        defs = build_definitions(str(home), crm)
        return defs.resolve_job_def("refresh_warehouse").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


@pytest.fixture(scope="session")
def built_home(tmp_path_factory):
    """A deployment folder (HubSpot CRM) whose warehouse was built by a full in-process run."""
    home = tmp_path_factory.mktemp("home")
    generate_world(home / "world", seed=7, scale=TEST_SCALE)
    return home, run_refresh(home, "hubspot")


@pytest.fixture(scope="session")
def built_salesforce_home(tmp_path_factory):
    """The same, for a company running Salesforce."""
    home = tmp_path_factory.mktemp("home_sf")
    generate_world(home / "world", seed=7, scale=TEST_SCALE, crm="salesforce")
    return home, run_refresh(home, "salesforce")
