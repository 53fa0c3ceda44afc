"""Page-level error reporting shared by the API connectors."""

from collections.abc import Iterator
from typing import Any

from requests import HTTPError, JSONDecodeError

from extract.common.credentials import ConnectorConfigError


class PageError(RuntimeError):
    """A page could not be read; the message names the source, the object and the page."""


def pages_with_context(pages: Iterator[Any], source: str, obj: str, auth_variables: str,
                       auth_statuses: tuple[int, ...] = (401,)) -> Iterator[Any]:
    """Re-raise paging failures with the object and page number, and credential refusals as
    configuration errors naming the variables (never their values)."""
    number = 0
    try:
        for number, page in enumerate(pages, start=1):  # noqa: B007 - number is reported on failure
            yield page
    except JSONDecodeError as exc:
        raise PageError(f"{source} {obj}: page {number + 1} is not valid JSON (malformed or truncated "
                        f"response: {exc.msg} at char {exc.pos}); the cursor was kept, rerun to resume") from None
    except HTTPError as exc:
        raise http_error(exc, source, obj, number + 1, auth_variables, auth_statuses) from None


def http_error(exc: HTTPError, source: str, obj: str, page: int, auth_variables: str,
               auth_statuses: tuple[int, ...] = (401,)) -> Exception:
    """The one-line error for a failed request: a credential problem names the variables."""
    status = exc.response.status_code if exc.response is not None else None
    if status in auth_statuses:
        return ConnectorConfigError(f"{source} refused the credentials ({status}) while reading {obj}: "
                                    f"check {auth_variables}")
    return PageError(f"{source} {obj}: page {page} failed with HTTP {status}: {_short_body(exc)}")


def _short_body(exc: HTTPError) -> str:
    text = exc.response.text if exc.response is not None else ""
    return " ".join(text.split())[:300]
