"""A fake HuggingFace Hub served on loopback from a snapshot (tests and `make demo`)."""

from catalog.fakehub.server import FakeHub, Fault, RecordedRequest, bucket_of
from catalog.fakehub.snapshot import Repo, RepoFile, Snapshot

__all__ = ["FakeHub", "Fault", "RecordedRequest", "Repo", "RepoFile", "Snapshot", "bucket_of"]
