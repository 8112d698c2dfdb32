"""A fake HuggingFace Hub served on loopback from a snapshot (tests and `make demo`)."""

from catalog.fakehub.server import FakeHub, Fault, RecordedRequest
from catalog.fakehub.snapshot import Repo, RepoFile, Snapshot

__all__ = ["FakeHub", "Fault", "RecordedRequest", "Repo", "RepoFile", "Snapshot"]
