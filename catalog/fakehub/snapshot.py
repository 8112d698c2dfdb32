"""A Hub snapshot: the repos, files and metadata a fake Hub serves.

On disk, one folder per repo: `repos/<owner>/<name>/repo.json` holds the model's API
object (`info`, shaped like `GET /api/models/{id}`) and its `files`. A small file carries
its content (`content_file`, beside repo.json); a large LFS file carries only `size` and
`sha256`, and optionally `head_file`: its first bytes (a GGUF header, say), the rest
served as zeros. That keeps a 100 GB build servable from a few kilobytes of fixture.

Two more keys keep the real Hub's mess small on disk: `renamed_from` lists the repo's old ids
(the Hub redirects them to the current one), and `clones` lists repos that share this repo's
files and tags and differ only in id and counters (a popular base's many derivatives).
`Snapshot.churn` moves download counts and trending scores between runs without a commit.
"""

from __future__ import annotations

import hashlib
import json
import random
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
    """Repos by id; mutable so tests can simulate a commit (`touch`), a rename (`rename`) or
    moving counters (`churn`) between runs. Change repos through these methods (or `add`, or
    `del snapshot.repos[id]`): the tag index the listings use is rebuilt when they are used."""

    def __init__(self, repos: list[Repo] | None = None, renames: dict[str, str] | None = None) -> None:
        self.repos: dict[str, Repo] = {r.id: r for r in repos or []}
        self.renames: dict[str, str] = dict(renames or {})      # old id -> the id it moved to
        self._version = 0
        self._index: tuple[tuple[int, int], dict[str, list[str]]] | None = None

    def add(self, repo: Repo) -> None:
        self.repos[repo.id] = repo
        self._version += 1

    def touch(self, repo_id: str, **changes: Any) -> str:
        """Simulate a new commit: a new sha (and any info changes). Returns the new sha."""
        repo = self.repos[repo_id]
        repo.info.update(changes)
        repo.info["sha"] = hashlib.sha1(f"{repo.sha}+1".encode()).hexdigest()
        self._version += 1
        return repo.sha

    def rename(self, old: str, new: str) -> None:
        """Move a repo to a new id; the old id redirects to it from now on."""
        repo = self.repos.pop(old)
        repo.info.update(id=new, modelId=new, author=new.split("/")[0])
        self.repos[new] = repo
        self.renames = {k: (new if v == old else v) for k, v in self.renames.items()}
        self.renames[old] = new
        self._version += 1

    def current_id(self, repo_id: str) -> str | None:
        """The id a repo is served under now: itself, where its old id redirects, or None."""
        seen = set()
        while repo_id not in self.repos:
            if repo_id in seen or repo_id not in self.renames:
                return None
            seen.add(repo_id)
            repo_id = self.renames[repo_id]
        return repo_id

    def churn(self, seed: int, spread: float = 0.2, ids: list[str] | None = None) -> None:
        """Move download counts and trending scores as a day on the Hub does: each by a random
        factor in 1 ± spread, no commit (shas unchanged). Deterministic for a seed."""
        rng = random.Random(seed)
        for rid in sorted(ids if ids is not None else self.repos):
            info = self.repos[rid].info
            for key in ("downloads", "trendingScore"):
                if isinstance(info.get(key), int | float):
                    info[key] = max(0, round(info[key] * (1 + spread * (2 * rng.random() - 1))))

    def with_tags(self, tags: list[str]) -> list[Repo]:
        """Repos carrying every tag (a pipeline tag counts), looked up through the rarest one in
        an index rebuilt when repos change (a Hub of 70,000 repos answers each listing at once)."""
        key = (self._version, len(self.repos))
        if self._index is None or self._index[0] != key:
            index: dict[str, list[str]] = {}
            for rid, repo in self.repos.items():
                for t in {*repo.info.get("tags", []), repo.info.get("pipeline_tag")}:
                    if t:
                        index.setdefault(t, []).append(rid)
            self._index = (key, index)
        index = self._index[1]
        rarest = min(tags, key=lambda t: len(index.get(t, ())))
        found = (self.repos.get(rid) for rid in index.get(rarest, ()))
        return [r for r in found if r is not None and all(
            t in r.info.get("tags", []) or t == r.info.get("pipeline_tag") for t in tags)]

    @classmethod
    def load(cls, root: Path) -> Snapshot:
        """Read every `repos/*/*/repo.json` below root (with its clones and old ids)."""
        repos, renames = [], {}
        for manifest in sorted(Path(root).glob("repos/*/*/repo.json")):
            data = _read(manifest)
            repo = _load_repo(manifest, data)
            repos.append(repo)
            repos += [_clone(repo, spec) for spec in data.get("clones", [])]
            renames.update({old: repo.id for old in data.get("renamed_from", [])})
        return cls(repos, renames)


def _read(manifest: Path) -> dict[str, Any]:
    try:
        return json.loads(manifest.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{manifest}: not valid JSON ({exc})") from exc


def _clone(template: Repo, spec: dict[str, Any]) -> Repo:
    """A repo with the template's files and tags under another id and counters."""
    rid = spec["id"]
    info = json.loads(json.dumps(template.info))
    info.update(id=rid, modelId=rid, author=rid.split("/")[0],
                _id=hashlib.md5(rid.encode()).hexdigest()[:24],
                sha=hashlib.sha1(rid.encode()).hexdigest(), **{k: v for k, v in spec.items() if k != "id"})
    return Repo(info=info, files=dict(template.files))


def _load_repo(manifest: Path, data: dict[str, Any]) -> Repo:
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
