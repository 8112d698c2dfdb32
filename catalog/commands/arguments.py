"""Argument types that refuse what no command can use, before anything runs: argparse then prints
usage and one line naming the option (exit 2). NaN, infinity, zero and negative numbers, huge
counts, missing files, folders where files belong and the reverse."""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

MAX_TOKENS = 100_000_000        # no model has a longer context (sql/tests/value_ranges.sql)
MAX_GPUS = 1024
MAX_NUMBER = 1e15               # more than any parameter count or file size in bytes


def _number(text: str, high: float) -> float:
    try:
        if not text.isascii():          # float() would read "١٢" as 12: say what you mean in ASCII
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0 < value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number up to {high:g}")
    return value


def positive_number(text: str) -> float:
    return _number(text, MAX_NUMBER)


def memory_gb(text: str) -> float:
    """Memory per GPU in GiB: up to 100,000 (no device has 100 TB per GPU)."""
    return _number(text, 1e5)


def bandwidth_gbps(text: str) -> float:
    """Memory bandwidth in GB/s: up to 1,000,000."""
    return _number(text, 1e6)


def billions(text: str) -> float:
    """Parameters in billions: up to 100,000."""
    return _number(text, 1e5)


def _int_between(text: str, low: int, high: int, what: str) -> int:
    try:
        if not text.isascii():
            raise ValueError(text)
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: {what} must be {low:,} to {high:,}")
    return value


def tokens(text: str) -> int:
    return _int_between(text, 1, MAX_TOKENS, "a context")


def gpus(text: str) -> int:
    return _int_between(text, 1, MAX_GPUS, "a GPU count")


def rows(text: str) -> int:
    return _int_between(text, 1, 10**9, "a row count")


def json_file(text: str) -> dict[str, Any]:
    """A JSON object read from a file (a config.json)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a config.json")
    if path.exists() and not path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a regular file (a device or a pipe)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"{text}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"{text}: cannot read it ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{text} is not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError(f"{text} is JSON but not an object like a config.json")
    return data


def folder(text: str) -> Path:
    """A folder to write into: it may not exist yet, but must not be a file."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a folder")
    return path


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        told = "no such file" if not path.exists() else "not a file"
        raise argparse.ArgumentTypeError(f"{text}: {told}")
    return path


def new_file(text: str) -> Path:
    """A file to write: not a folder or a device, its folder existing."""
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty file name")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file to write")
    if path.exists() and not path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a regular file (a device or a pipe): refusing "
                                         "to replace it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: the folder {path.parent} does not exist")
    return path


def parquet_file(text: str) -> Path:
    """A Parquet file to write: new, or a Parquet file to replace (never another kind of file)."""
    path = new_file(text)
    if path.exists():
        with path.open("rb") as f:
            if f.read(4) != b"PAR1":
                raise argparse.ArgumentTypeError(f"{text} exists and is not a Parquet file: refusing to "
                                                 "overwrite it")
    return path


def database(text: str) -> str:
    """A catalogue file (it may not exist yet: `fitcat refresh` creates it), never a folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty catalogue file name")
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: give a catalogue file, "
                                         f"e.g. {text}/catalog.duckdb")
    return text


def settings_file(text: str) -> str:
    """A fitcat.toml that exists and reads as settings (checked before any run starts)."""
    from catalog.settings import load_settings

    path = existing_file(text)
    try:
        load_settings(path)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"{text}: {exc}") from None
    return text


def url(text: str) -> str:
    """An http(s) URL with a host: a Hub endpoint."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL ({exc})") from None
    host_ok = bool(parts.hostname) and re.fullmatch(r"[a-z0-9._\-:]+", parts.hostname) is not None
    if parts.scheme not in ("http", "https") or not host_ok or any(c.isspace() for c in text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL, e.g. https://huggingface.co")
    return text.strip()


def port(text: str) -> int:
    return _int_between(text, 1, 65535, "a TCP port")


def listen_port(text: str) -> int:
    """A TCP port to listen on; 0: any free one."""
    return _int_between(text, 0, 65535, "a TCP port (0: any free one)")


def address(text: str) -> str:
    """A scheduler address with a host and a port (tcp://10.0.0.5:8786), or an in-process
    cluster's inproc://host/pid/n."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text.strip() if "://" in text else f"tcp://{text.strip()}")
        has_port = parts.port is not None or parts.scheme == "inproc"
    except ValueError:
        has_port = False
    if not has_port or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address like tcp://10.0.0.5:8786")
    return text.strip()


def columns(text: str) -> int:
    """A terminal width: 40 to 1,000 columns."""
    return _int_between(text, 40, 1000, "a terminal width")


def add_out(p: argparse.ArgumentParser, help: str = "exports folder (default: FITCAT_EXPORTS or exports/)"
            ) -> None:
    p.add_argument("--out", type=folder, help=help)


def add_settings(p: argparse.ArgumentParser, default: str = "fitcat.toml") -> None:
    p.add_argument("--settings", type=settings_file, help=f"scope file (default: {default})")


def add_endpoint(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint", type=url,
                   help="Hub endpoint (default: HF_ENDPOINT or https://huggingface.co)")


def name(text: str) -> str:
    """A name to look up (a model, a device, a quant): not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name: give an id or words of a name")
    return text.strip()
