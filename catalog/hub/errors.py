"""Per-repo Hub failures: named by kind, recorded, never fatal to the run."""

from __future__ import annotations

from dataclasses import dataclass

from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from catalog.failures import one_line
from catalog.hub import validate
from catalog.hub.client import DeadlinePassed, RequestCapExceeded
from catalog.hub.source import ConfigError

PERMANENT = {"gated", "not_found", "bad_config"}


@dataclass
class HubError:
    """A per-repo failure: recorded in source_errors, the repo's last good rows stay."""

    subject: str
    # gated | not_found | bad_config | unsafe | rate_limited | cap | deadline | timeout | http | error
    kind: str
    message: str

    @property
    def permanent(self) -> bool:
        """Settled for this commit: re-read only when the repo's sha changes."""
        return self.kind in PERMANENT


def classify(subject: str, exc: BaseException) -> HubError:
    """Name a failure without leaking anything but its kind and first line (never headers)."""
    if isinstance(exc, GatedRepoError):
        kind = "gated"
    elif isinstance(exc, RepositoryNotFoundError):
        kind = "not_found"
    elif isinstance(exc, ConfigError):
        kind = "bad_config"
    elif isinstance(exc, validate.UnsafeHubValue):
        kind = "unsafe"
    elif isinstance(exc, RequestCapExceeded):
        kind = "cap"
    elif isinstance(exc, DeadlinePassed):
        kind = "deadline"
    elif isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        kind = "rate_limited" if status == 429 else "http"
    elif "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
        kind = "timeout"
    else:
        kind = "error"
    return HubError(subject, kind, one_line(exc))
