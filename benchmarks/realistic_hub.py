"""A synthetic Hub shaped like the real one, for `bench_refresh.py --realistic`.

Shape (each figure a knob; the defaults are an assumption about the real Hub, not a count of it):
B base models of `authors` publishers, downloads falling off as a power law (the first is the
most popular); the trusted GGUF publishers of the default fitcat.toml building the popular ones
(3-4 trusted builds for the top 1,000, 1-2 for the next 4,000, one for every third of the rest);
untrusted publishers building many more: `hundreds` (100-300) each for the 100 most popular base
models, 5-20 for the next 900, 0-3 for the rest. Some trusted builds carry the real Hub's mess
(docs/hub.md): ~2 % name an old id of a renamed base, ~1 % are self-tagged, ~1 % quantize an
unsloth re-upload whose card names the base.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from catalog.fakehub.snapshot import Repo, RepoFile, Snapshot

TRUSTED = ("ggml-org", "unsloth", "bartowski", "lmstudio-community", "mradermacher", "QuantFactory")
QUANTS = (("Q4_K_M", 4.8), ("Q5_K_M", 5.7), ("Q6_K", 6.6), ("Q8_0", 8.5))


@dataclass
class RealisticHub:
    snapshot: Snapshot
    bases: list[str]
    trusted_builds: list[str] = field(default_factory=list)
    untrusted_builds: list[str] = field(default_factory=list)
    authors: tuple[str, ...] = ()
    messy: dict[str, int] = field(default_factory=dict)     # renamed / self-tagged / re-upload builds


def _sha(s: str) -> str:
    return hashlib.sha1(s.encode()).hexdigest()


def _info(rid: str, downloads: int, tags: list[str], **extra: object) -> dict:
    return {"_id": hashlib.md5(rid.encode()).hexdigest()[:24], "id": rid, "modelId": rid,
            "author": rid.split("/")[0], "sha": _sha(rid), "private": False, "gated": False,
            "lastModified": "2025-06-01T00:00:00.000Z", "createdAt": "2025-01-01T00:00:00.000Z",
            "downloads": downloads, "likes": downloads // 1000, "trendingScore": downloads // 10_000,
            "pipeline_tag": "text-generation", "tags": tags, **extra}


def _gguf(rid: str, name: str, downloads: int, tags: list[str], params: int) -> Repo:
    files = {"README.md": RepoFile("README.md", 0, content=b"# synthetic\n")}
    for quant, bits in QUANTS:
        path = f"{name}-{quant}.gguf"
        sha256 = hashlib.sha256(f"{rid}/{path}".encode()).hexdigest()
        files[path] = RepoFile(path, int(params * bits / 8), sha256=sha256)
    info = _info(rid, downloads, ["gguf", "text-generation", *tags], library_name="gguf")
    return Repo(info=info, files=files)


def build(bases: int, authors: int = 11, untrusted_publishers: int = 400, hundreds: int = 100,
          seed: int = 0) -> RealisticHub:
    """The synthetic Hub (deterministic for a seed)."""
    rng = random.Random(seed)
    snap = Snapshot()
    hub = RealisticHub(snap, [], authors=tuple(f"lab{a:03d}" for a in range(authors)),
                       messy={"renamed": 0, "self-tagged": 0, "re-upload": 0})
    config = RepoFile("config.json", 0, content=(
        b'{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, '
        b'"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, '
        b'"intermediate_size": 14336, "vocab_size": 128256, "max_position_embeddings": 131072}'))
    params = 8_030_261_248
    for i in range(bases):
        author = hub.authors[i % authors]
        name = f"Model-{i:05d}-Instruct"
        rid = f"{author}/{name}"
        downloads = int(5_000_000 / (i + 1) ** 0.8) + 10
        info = _info(rid, downloads, ["transformers", "safetensors", "text-generation"],
                     library_name="transformers",
                     safetensors={"parameters": {"BF16": params}, "total": params})
        snap.add(Repo(info=info, files={"config.json": config}))
        hub.bases.append(rid)
        n_trusted = 3 + i % 2 if i < 1000 else 1 + i % 2 if i < 5000 else (1 if i % 3 == 0 else 0)
        for k in range(n_trusted):
            publisher = TRUSTED[(i + k) % len(TRUSTED)]
            gid = f"{publisher}/{name}-GGUF"
            named, tags = rid, [f"base_model:{rid}", f"base_model:quantized:{rid}"]
            roll = rng.random()
            if roll < 0.02 and k == 0:                       # the base was renamed after this build
                named = f"{author}/Old-{name}"
                snap.renames[named] = rid
                tags = [f"base_model:{named}", f"base_model:quantized:{named}"]
                hub.messy["renamed"] += 1
            elif roll < 0.03 and publisher == "unsloth":     # self-tagged
                tags = [f"base_model:{rid}", f"base_model:quantized:{gid}"]
                hub.messy["self-tagged"] += 1
            elif roll < 0.04 and k == 0:                     # quantizes an unsloth re-upload
                reupload = f"unsloth/{name}"
                if reupload not in snap.repos:
                    snap.add(Repo(info=_info(reupload, downloads // 50, ["transformers", "text-generation",
                                             f"base_model:{rid}", f"base_model:finetune:{rid}"],
                                             cardData={"base_model": [rid]}), files={"config.json": config}))
                tags = [f"base_model:{reupload}", f"base_model:quantized:{reupload}"]
                hub.messy["re-upload"] += 1
            snap.add(_gguf(gid, name, downloads // (5 + k), tags, params))
            hub.trusted_builds.append(gid)
        n_untrusted = (rng.randint(100, 300) if i < hundreds else rng.randint(5, 20) if i < 1000
                       else rng.randint(0, 3))
        for k in range(n_untrusted):
            gid = f"quanter{rng.randrange(untrusted_publishers):03d}/{name}-{k}-GGUF"
            snap.add(_gguf(gid, name, downloads // (20 + rng.randrange(1000)),
                           [f"base_model:{rid}", f"base_model:quantized:{rid}"], params))
            hub.untrusted_builds.append(gid)
    return hub
