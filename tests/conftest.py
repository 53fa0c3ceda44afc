"""Shared fixtures: one small demo world and one pipeline run on it per CRM, reused by the tests."""

import hashlib

import dagster as dg
import pytest

from demo_world.vendor_apis.serve import local_vendor_apis
from demo_world.world import generate_world
from orchestration.definitions import build_definitions
from orchestration.settings import temporary_env

TEST_SCALE = 0.05  # about 5k persons: every code path, seconds instead of minutes


def folder_digest(folder) -> str:
    """One hash of every file's relative path and bytes: equal only for byte-identical folders."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    path = tmp_path_factory.mktemp("world") / "world"
    generate_world(path, seed=7, scale=TEST_SCALE)
    return path


def run_refresh(home, crm: str):
    """A full in-process run of the refresh job, the CRM read through its local API.
    Returns the result and the secret values the connector was given."""
    with local_vendor_apis(home / "world") as apis, temporary_env(apis.env):
        defs = build_definitions(str(home), crm)
        result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    secrets = [value for name, value in apis.env.items() if not name.endswith("_URL")]
    return result, secrets


@pytest.fixture(scope="session")
def built_home(tmp_path_factory):
    """A deployment folder (HubSpot CRM) whose warehouse was built by a full in-process run."""
    home = tmp_path_factory.mktemp("home")
    generate_world(home / "world", seed=7, scale=TEST_SCALE)
    return home, *run_refresh(home, "hubspot")


@pytest.fixture(scope="session")
def built_salesforce_home(tmp_path_factory):
    """The same, for a company running Salesforce."""
    home = tmp_path_factory.mktemp("home_sf")
    generate_world(home / "world", seed=7, scale=TEST_SCALE, crm="salesforce")
    return home, *run_refresh(home, "salesforce")
