"""Pure: which tracked base model a GGUF build belongs to, and how we know (`attached_by`).

The Hub links a build to its base through tags derived from the build's model card:
`base_model:quantized:{id}` (the relation) and `base_model:{id}` (the card's `base_model`).
Real builds do not always name the tracked base exactly (docs/hub.md, "Real-Hub behaviours"):

* `tag`: a `base_model:quantized:` tag names the base (ids compared case-insensitively, as
  the Hub resolves them);
* `card`: the quantized tag names the build itself (unsloth's self-tagged builds) or is
  missing, and the card's `base_model` (its plain `base_model:{id}` tag) names the base;
* `renamed`: the id named is an old id of the base; the Hub redirects it to the new one;
* `re-upload`: the id named is another repo (a re-upload or a fine-tune published under
  the same name) whose own card names the base, possibly through further such hops.

What the Hub says about an id we do not track (where it redirects to, what its card names)
comes from one `model_info` request per id, cached forever (`hub_aliases`): an `Alias`. To keep
that bounded at Hub scale (a trusted publisher names tens of thousands of fine-tunes), only ids
that look like a tracked base are asked about: the same name in another namespace (a re-upload),
or, in a tracked base's namespace, a name containing its name or contained in it (a rename such
as `Meta-Llama-3.1-8B-Instruct` → `Llama-3.1-8B-Instruct`). Fine-tunes under other names are
their own models: not followed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_HOPS = 3                      # re-upload / rename hops followed from the id a build names
RELATIONS = ("quantized", "finetune", "adapter", "merge")


@dataclass(frozen=True)
class Alias:
    """What the Hub answered for an id: the id it lives under now (None: no such repo) and the
    base models its card names."""

    named: str
    repo_id: str | None
    base_models: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    base: str                     # the tracked base model
    attached_by: str              # tag | card | renamed | re-upload
    named: str                    # the id the build's tag or card named


@dataclass
class Tracked:
    """The base models in scope, looked up case-insensitively."""

    ids: Iterable[str]
    by_lower: dict[str, str] = field(init=False)
    names: set[str] = field(init=False)
    by_namespace: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_lower = {i.lower(): i for i in self.ids}
        self.names = {i.split("/")[-1] for i in self.by_lower}
        self.by_namespace = {}
        for i in self.by_lower:
            namespace, _, name = i.partition("/")
            self.by_namespace.setdefault(namespace, []).append(name)

    def get(self, repo_id: str) -> str | None:
        return self.by_lower.get(repo_id.lower())

    def worth_asking(self, repo_id: str) -> bool:
        """Could this untracked id be a tracked base under another name: a re-upload (the same
        name elsewhere) or a rename (in the base's namespace, one name containing the other)?
        Only those cost a request."""
        namespace, _, name = repo_id.lower().partition("/")
        return name in self.names or any(name in n or n in name for n in self.by_namespace.get(namespace, ()))


def named_bases(listing: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(route, ids): the ids a build's quantized tags name, other than itself ('tag'); if none,
    the ids of its plain `base_model:{id}` tags, i.e. its card ('card')."""
    own = str(listing.get("id", "")).lower()
    quantized, plain = [], []
    for tag in listing.get("tags") or []:
        tag = str(tag)
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:"):]
        relation, sep, rid = rest.partition(":")
        if sep and relation in RELATIONS:
            if relation == "quantized" and rid.lower() != own:
                quantized.append(rid)
        elif "/" in rest and rest.lower() != own:
            plain.append(rest)
    return ("tag", quantized) if quantized else ("card", plain)


def attach(listing: Mapping[str, Any], tracked: Tracked, aliases: Mapping[str, Alias]
           ) -> tuple[Attachment | None, set[str]]:
    """The tracked base a build belongs to (None if none is reached), and the untracked ids
    worth a look-up that might reach one (empty once every id involved is known)."""
    route, ids = named_bases(listing)
    wanted: set[str] = set()
    for named in ids:
        reached = _reach(named, tracked, aliases, wanted, depth=0, seen=set())
        if reached is not None:
            base, kinds = reached
            how = "re-upload" if "re-upload" in kinds else "renamed" if "renamed" in kinds else route
            return Attachment(base, how, named), set()
    return None, wanted


def _reach(repo_id: str, tracked: Tracked, aliases: Mapping[str, Alias], wanted: set[str],
           depth: int, seen: set[str]) -> tuple[str, set[str]] | None:
    base = tracked.get(repo_id)
    if base is not None:
        return base, set()
    key = repo_id.lower()
    if depth >= MAX_HOPS or key in seen:
        return None
    alias = aliases.get(key)
    if alias is None:
        if tracked.worth_asking(repo_id):
            wanted.add(repo_id)
        return None
    if alias.repo_id is None:
        return None
    seen.add(key)
    current = alias.repo_id.lower()
    kinds = set()
    if current != key:
        kinds.add("renamed")
        base = tracked.get(alias.repo_id)
        if base is not None:
            return base, kinds
    for parent in alias.base_models:
        if parent.lower() in (key, current):           # a card naming its own repo
            continue
        reached = _reach(parent, tracked, aliases, wanted, depth + 1, seen)
        if reached is not None:
            return reached[0], reached[1] | kinds | {"re-upload"}
    return None
