"""A Hub snapshot: the repos, files and metadata a fake Hub serves.

On disk, one folder per repo: `repos/<owner>/<name>/repo.json` holds the model's API
object (`info`, shaped like `GET /api/models/{id}`) and its `files`. A small file carries
its content (`content_file`, beside repo.json); a large LFS file carries only `size` and
`sha256`, and optionally `head_file`: its first bytes (a GGUF header, say), the rest
served as zeros. That keeps a 100 GB build servable from a few kilobytes of fixture.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RepoFile:
    path: str
    size: int
    content: bytes | None = None       # whole file (small, non-LFS)
    head: bytes | None = None          # first bytes of a large file; zeros after
    sha256: str | None = None          # LFS oid

    def __post_init__(self) -> None:
        if self.content is not None:
            self.size = len(self.content)

    @property
    def is_lfs(self) -> bool:
        return self.content is None

    @property
    def oid(self) -> str:
        """The git blob id: of the content, or of the LFS pointer for large files."""
        body = self.content if self.content is not None else self._pointer()
        return hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()

    def _pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {self.size}\n"
        ).encode()

    def read(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file, materialising only what is asked for."""
        end = min(end, self.size)
        if start >= end:
            return b""
        if self.content is not None:
            return self.content[start:end]
        head = self.head or b""
        out = head[start:end]
        return out + b"\0" * (end - start - len(out))

    def tree_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": self.oid, "size": self.size}
        if self.is_lfs:
            pointer = len(self._pointer())
            entry["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": pointer}
        entry["path"] = self.path
        return entry


@dataclass
class Repo:
    info: dict[str, Any]
    files: dict[str, RepoFile] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.info["id"]

    @property
    def sha(self) -> str:
        return self.info["sha"]


class Snapshot:
    """Repos by id; mutable so tests can simulate a commit (`touch`) between runs."""

    def __init__(self, repos: list[Repo] | None = None) -> None:
        self.repos: dict[str, Repo] = {r.id: r for r in repos or []}

    def add(self, repo: Repo) -> None:
        self.repos[repo.id] = repo

    def touch(self, repo_id: str, **changes: Any) -> str:
        """Simulate a new commit: a new sha (and any info changes). Returns the new sha."""
        repo = self.repos[repo_id]
        repo.info.update(changes)
        repo.info["sha"] = hashlib.sha1(f"{repo.sha}+1".encode()).hexdigest()
        return repo.sha

    @classmethod
    def load(cls, root: Path) -> Snapshot:
        """Read every `repos/*/*/repo.json` below root."""
        repos = []
        for manifest in sorted(Path(root).glob("repos/*/*/repo.json")):
            repos.append(_load_repo(manifest))
        return cls(repos)


def _load_repo(manifest: Path) -> Repo:
    try:
        data = json.loads(manifest.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{manifest}: not valid JSON ({exc})") from exc
    folder = manifest.parent
    files = {}
    for spec in data.get("files", []):
        content = (folder / spec["content_file"]).read_bytes() if "content_file" in spec else None
        if "content" in spec:
            content = spec["content"].encode()
        head = (folder / spec["head_file"]).read_bytes() if "head_file" in spec else None
        size = len(content) if content is not None else int(spec["size"])
        files[spec["path"]] = RepoFile(
            path=spec["path"], size=size, content=content, head=head, sha256=spec.get("sha256")
        )
    return Repo(info=data["info"], files=files)
