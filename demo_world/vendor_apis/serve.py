"""Start the local vendor API of a demo world's CRM and hand back the environment a connector
needs to reach it (base URL and freshly made credentials, which are never printed)."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from demo_world.vendor_apis.base import LocalApiServer, VendorApi
from demo_world.world import read_manifest
from extract.common.credentials import require_env


@dataclass
class RunningApis:
    env: dict[str, str]  # variables the connectors read
    apis: dict[str, VendorApi] = field(default_factory=dict)  # by system, for fault injection and tests
    servers: dict[str, LocalApiServer] = field(default_factory=dict)

    def public_env(self) -> dict[str, str]:
        """The variables without secret values, safe to print."""
        return {k: (v if k.endswith("_URL") else "<generated>") for k, v in self.env.items()}


@contextmanager
def local_crm_api(world_dir: str | Path, port: int = 0, random_5xx_rate: float = 0.0,
                  credentials_from_env: bool = False) -> Iterator[RunningApis]:
    """Serve the world's CRM (HubSpot or Salesforce, as the world was generated) on 127.0.0.1.

    Credentials are made up for the run, or, with `credentials_from_env`, taken from the
    variables the connector reads (so a separately started Dagster can share them)."""
    crm = read_manifest(world_dir).get("crm", "hubspot")

    def credential(name: str, length: int) -> str:
        if credentials_from_env:
            return require_env(name, "set it (to any value) in both shells: this API and Dagster share it")
        return secrets.token_urlsafe(length)

    if crm == "hubspot":
        from demo_world.vendor_apis.hubspot import HubSpotApi

        env = {"HUBSPOT_ACCESS_TOKEN": credential("HUBSPOT_ACCESS_TOKEN", 24)}
        api = HubSpotApi.from_world(world_dir, access_token=env["HUBSPOT_ACCESS_TOKEN"])
        url_variable = "HUBSPOT_API_BASE_URL"
    else:
        from demo_world.vendor_apis.salesforce import SalesforceApi

        env = {"SALESFORCE_CLIENT_ID": credential("SALESFORCE_CLIENT_ID", 12),
               "SALESFORCE_CLIENT_SECRET": credential("SALESFORCE_CLIENT_SECRET", 24)}
        api = SalesforceApi.from_world(world_dir, client_id=env["SALESFORCE_CLIENT_ID"],
                                       client_secret=env["SALESFORCE_CLIENT_SECRET"])
        url_variable = "SALESFORCE_LOGIN_URL"
    api.faults.random_5xx_rate = random_5xx_rate
    server = LocalApiServer(api, port=port).start()
    try:
        yield RunningApis(env={url_variable: server.base_url, **env}, apis={crm: api}, servers={crm: server})
    finally:
        server.stop()
