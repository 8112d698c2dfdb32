"""Render the static site from one release folder: index, a page per model and per device, the
methodology. Reads only the release (catalog/site/release.py), writes plain files that work from
file:// without a server or network (scripts and Chart.js are local files, data is inline).

The site is built in a temporary folder beside `out` and swapped in when complete, so a failed
build leaves the previous site as it was. `out` is replaced only if it is empty or a site built
here (it holds the MARKER file): pointing --out at another folder is refused, not wiped.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt

from catalog.site import devices as device_pages
from catalog.site import fmt
from catalog.site.model import CLASS_LABELS, model_context
from catalog.site.release import Release, ReleaseError, load

HERE = Path(__file__).resolve().parent
MARKER = ".fitcat-site"
DEVICE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


class SiteError(Exception):
    """The site cannot be built as asked; the message names the input and the fix."""


@dataclass
class BuildResult:
    out: Path
    run_id: str
    models: int
    devices: int
    page_bytes: dict[str, int] = field(default_factory=dict)     # model page path -> bytes


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(fmt.FILTERS)
    return env


def model_path(entry: dict[str, Any]) -> str:
    """`models/<publisher>/<name>.html`, from the release's own page path (never from the id)."""
    return entry["page_path"].removesuffix(".json") + ".html"


def device_path(device_id: str) -> str:
    if not DEVICE_ID.fullmatch(device_id):
        raise ReleaseError(f"devices.json: device_id {device_id!r} is not a safe file name")
    return f"devices/{device_id}.html"


def root_of(rel: str) -> str:
    """The relative way back to the site's root from a page at `rel`."""
    return "../" * rel.count("/")


class Writer:
    """Renders templates into the staging folder, with the links every page needs."""

    def __init__(self, release: Release, staging: Path):
        self.env, self.release, self.staging = environment(), release, staging
        self.common = {"release": release, "manifest": release.manifest, "model_path": model_path,
                       "device_path": device_path, "class_labels": CLASS_LABELS,
                       "model_by_id": {m["id"]: m for m in release.models}}

    def write(self, rel: str, template: str, **context: Any) -> int:
        html = self.env.get_template(template).render(root=root_of(rel), here=rel, **self.common, **context)
        path = self.staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = html.encode("utf-8")
        path.write_bytes(data)
        return len(data)


def methodology_html(text: str | None) -> str | None:
    if text is None:
        return None
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def render(release: Release, staging: Path) -> BuildResult:
    w = Writer(release, staging)
    shutil.copytree(HERE / "static", staging / "static")
    result = BuildResult(staging, release.run_id, len(release.models), len(release.devices))

    def pages():
        for entry, page in release.pages():
            rel = model_path(entry)
            result.page_bytes[rel] = w.write(rel, "model.html", entry=entry,
                                             **model_context(page, release.devices))
            yield entry, page

    by_device = device_pages.collect(pages())
    for device_id, device in release.devices.items():
        w.write(device_path(device_id), "device.html", device=device,
                models=by_device.get(device_id, device_pages.DeviceModels()))
    w.write("devices/index.html", "devices.html", by_device=by_device)
    publishers = sorted({m["publisher"] for m in release.models}, key=str.lower)
    w.write("index.html", "index.html", models=release.models, publishers=publishers)
    w.write("methodology.html", "methodology.html", body=methodology_html(release.methodology))
    (staging / MARKER).write_text(f"built from {release.folder} (run {release.run_id})\n", encoding="utf-8")
    return result


def _replaceable(out: Path) -> bool:
    return not out.exists() or (out.is_dir() and (not any(out.iterdir()) or (out / MARKER).is_file()))


def build_site(exports: Path, out: Path) -> BuildResult:
    """Build the site of the release at `exports` (a release folder, or an exports root whose
    `latest` is read) into `out`. Raises ReleaseError / SiteError with the fix."""
    out = Path(out).absolute()
    if not _replaceable(out):
        raise SiteError(f"{out} exists and is not a site built by `fitcat site` (no {MARKER} in it): "
                        "choose another --out, or remove it yourself")
    release = load(Path(exports))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    staging.chmod(0o755)                     # mkdtemp's 0700 would hide the site from a web server
    try:
        result = render(release, staging)
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.out = out
    return result
