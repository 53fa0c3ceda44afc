"""Salesforce OAuth: the client-credentials or the username-password flow, secrets from the
environment. The token reply also says which instance serves the org's data."""

from dataclasses import dataclass

from dlt.sources.helpers import requests
from requests import HTTPError

from extract.common.credentials import ConnectorConfigError, env_or_default, require_env
from extract.salesforce.settings import (
    CLIENT_ID_VARIABLE,
    CLIENT_SECRET_VARIABLE,
    CREDENTIAL_VARIABLES,
    DEFAULT_LOGIN_URL,
    LOGIN_URL_VARIABLE,
    PASSWORD_VARIABLE,
    USERNAME_VARIABLE,
)


@dataclass(frozen=True)
class SalesforceSession:
    access_token: str
    instance_url: str

    def __repr__(self) -> str:  # never print the token
        return f"SalesforceSession(instance_url={self.instance_url!r})"


def login_from_env() -> SalesforceSession:
    """Obtain a token with the credentials in the environment (one-line errors name variables)."""
    login_url = env_or_default(LOGIN_URL_VARIABLE, DEFAULT_LOGIN_URL).rstrip("/")
    data = {
        "client_id": require_env(CLIENT_ID_VARIABLE, "the connected app's consumer key"),
        "client_secret": require_env(CLIENT_SECRET_VARIABLE, "the connected app's consumer secret"),
        "grant_type": "client_credentials",
    }
    username = env_or_default(USERNAME_VARIABLE, "")
    if username:
        password = require_env(PASSWORD_VARIABLE, f"the password (and security token) of {USERNAME_VARIABLE}")
        data.update(grant_type="password", username=username, password=password)
    try:  # dlt's requests retry 429/5xx and raise on the rest
        response = requests.post(f"{login_url}/services/oauth2/token", data=data)
    except HTTPError as exc:
        if exc.response is not None and exc.response.status_code in (400, 401):
            reason = _error_code(exc.response)
            raise ConnectorConfigError(f"Salesforce refused the login ({reason}): check {CREDENTIAL_VARIABLES}") \
                from None
        raise
    body = response.json()
    return SalesforceSession(access_token=body["access_token"], instance_url=body.get("instance_url") or login_url)


def _error_code(response) -> str:
    try:
        return str(response.json().get("error", response.status_code))
    except ValueError:
        return str(response.status_code)
