"""Secrets and settings come from the environment; errors name the variable, never its value."""

import os


class ConnectorConfigError(RuntimeError):
    """A connector cannot start: a variable is missing or a credential was refused."""


def require_env(name: str, purpose: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConnectorConfigError(f"{name} is not set: {purpose}")
    return value


def env_or_default(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default
