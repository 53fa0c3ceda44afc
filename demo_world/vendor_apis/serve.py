"""Start the local vendor APIs of a demo world (its CRM, Mailchimp and the three ad platforms) and
hand back the environment the connectors need to reach them.

Credentials are made up for the run, or, with `credentials_from_env`, taken from the variables
the connectors read, so a separately started Dagster can share them. They are never printed.
"""

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from demo_world.vendor_apis.base import LocalApiServer, VendorApi
from demo_world.world import read_manifest
from extract.common.credentials import require_env

# The secret variables each local API is started with (what the connectors read).
CREDENTIAL_VARIABLES = {
    "hubspot": ["HUBSPOT_ACCESS_TOKEN"],
    "salesforce": ["SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"],
    "mailchimp": ["MAILCHIMP_API_KEY"],
    "google_ads": ["GOOGLE_ADS_CLIENT_ID", "GOOGLE_ADS_CLIENT_SECRET", "GOOGLE_ADS_REFRESH_TOKEN",
                   "GOOGLE_ADS_DEVELOPER_TOKEN"],
    "meta_ads": ["META_ACCESS_TOKEN"],
    "linkedin_ads": ["LINKEDIN_ACCESS_TOKEN"],
}


@dataclass
class RunningApis:
    env: dict[str, str] = field(default_factory=dict)  # variables the connectors read
    apis: dict[str, VendorApi] = field(default_factory=dict)  # by system, for fault injection and tests
    servers: dict[str, LocalApiServer] = field(default_factory=dict)

    def public_env(self) -> dict[str, str]:
        """The variables that are not secrets (addresses, account ids): safe to print."""
        hidden = {name for names in CREDENTIAL_VARIABLES.values() for name in names}
        return {k: v for k, v in self.env.items() if k not in hidden}


@contextmanager
def local_vendor_apis(world_dir: str | Path, port: int = 0, random_5xx_rate: float = 0.0,
                      credentials_from_env: bool = False) -> Iterator[RunningApis]:
    """Serve the world's CRM (as the world was generated) and marketing platforms on 127.0.0.1:
    consecutive ports from `port`, or free ports when it is 0."""
    crm = read_manifest(world_dir).get("crm", "hubspot")
    systems = [crm, "mailchimp", "google_ads", "meta_ads", "linkedin_ads"]
    running = RunningApis()
    with ExitStack() as stack:
        for offset, system in enumerate(systems):
            creds = {name: _credential(name, credentials_from_env) for name in CREDENTIAL_VARIABLES[system]}
            api, public = _STARTERS[system](world_dir, creds)
            api.faults.random_5xx_rate = random_5xx_rate
            server = stack.enter_context(LocalApiServer(api, port=port + offset if port else 0))
            running.apis[system], running.servers[system] = api, server
            running.env.update(creds)
            running.env.update({k: v.replace("{base_url}", server.base_url) for k, v in public.items()})
        yield running


def _credential(name: str, from_env: bool) -> str:
    if from_env:
        return require_env(name, "set it (to any value) in both shells: the local API and Dagster share it")
    value = secrets.token_hex(16)
    return f"{value}-us21" if name == "MAILCHIMP_API_KEY" else value  # Mailchimp keys name their data centre


def _hubspot(world_dir, creds):
    from demo_world.vendor_apis.hubspot import HubSpotApi

    return (HubSpotApi.from_world(world_dir, access_token=creds["HUBSPOT_ACCESS_TOKEN"]),
            {"HUBSPOT_API_BASE_URL": "{base_url}"})


def _salesforce(world_dir, creds):
    from demo_world.vendor_apis.salesforce import SalesforceApi

    api = SalesforceApi.from_world(world_dir, client_id=creds["SALESFORCE_CLIENT_ID"],
                                   client_secret=creds["SALESFORCE_CLIENT_SECRET"])
    return api, {"SALESFORCE_LOGIN_URL": "{base_url}"}


def _mailchimp(world_dir, creds):
    from demo_world.vendor_apis.mailchimp import MailchimpApi

    return (MailchimpApi.from_world(world_dir, api_key=creds["MAILCHIMP_API_KEY"]),
            {"MAILCHIMP_API_BASE_URL": "{base_url}"})


def _google_ads(world_dir, creds):
    from demo_world.vendor_apis.google_ads import GoogleAdsApi

    api = GoogleAdsApi.from_world(world_dir, client_id=creds["GOOGLE_ADS_CLIENT_ID"],
                                  client_secret=creds["GOOGLE_ADS_CLIENT_SECRET"],
                                  refresh_token=creds["GOOGLE_ADS_REFRESH_TOKEN"],
                                  developer_token=creds["GOOGLE_ADS_DEVELOPER_TOKEN"])
    return api, {"GOOGLE_ADS_API_BASE_URL": "{base_url}", "GOOGLE_ADS_TOKEN_URL": "{base_url}/token",
                 "GOOGLE_ADS_CUSTOMER_ID": api.customer_id}


def _meta_ads(world_dir, creds):
    from demo_world.vendor_apis.meta_ads import MetaAdsApi

    api = MetaAdsApi.from_world(world_dir, access_token=creds["META_ACCESS_TOKEN"])
    return api, {"META_API_BASE_URL": "{base_url}", "META_AD_ACCOUNT_ID": api.data.account_id}


def _linkedin_ads(world_dir, creds):
    from demo_world.vendor_apis.linkedin_ads import LinkedInAdsApi

    api = LinkedInAdsApi.from_world(world_dir, access_token=creds["LINKEDIN_ACCESS_TOKEN"])
    return api, {"LINKEDIN_API_BASE_URL": "{base_url}", "LINKEDIN_AD_ACCOUNT_ID": api.data.account_id}


_STARTERS: dict[str, Callable] = {
    "hubspot": _hubspot, "salesforce": _salesforce, "mailchimp": _mailchimp,
    "google_ads": _google_ads, "meta_ads": _meta_ads, "linkedin_ads": _linkedin_ads,
}
