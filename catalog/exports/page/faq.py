"""The seed page's frequently asked questions, each answered as data plus one sentence, from the
same fit rows as the lists (catalog/exports/page/facts.py). Lists of devices are most popular
first, so "which consumer GPUs" names the cards people own before rare ones."""

from __future__ import annotations

from typing import Any

from catalog.exports.page.facts import DEVICE_CLASSES, LOCAL_CLASSES, Facts
from catalog.exports.page.rows import RTX_5090
from catalog.exports.page.sections import NAMED
from catalog.units import GB, round_gb, round_toks, show_gb, show_tokens


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    """The most popular few (a page's `fit` has every device)."""
    return [e["device_id"] for e in entries[:NAMED]]


def _first(found: dict[str, Any] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"quant": found["quant"], "vram_gb": round_gb(found["vram_gb"]),
            "device_count": len(found["devices"]), "devices": _ids(found["devices"])}


def vram_needed(f: Facts) -> dict[str, Any]:
    rec, largest = f.rec, f.largest
    vram, full = round_gb(rec["vram_gb"]), round_gb(rec["vram_full_context_gb"])
    addition = round_gb(rec["vram_full_context_gb"] - rec["vram_gb"])
    return {
        "quant": rec["quant"], "vram_gb": vram, "max_quant": largest["quant"],
        "max_quant_vram_gb": round_gb(largest["vram_gb"]), "full_context_tokens": f.full_ctx,
        "full_context_addition_gb": addition, "vram_full_context_gb": full,
        "answer": (f"{f.name} needs {show_gb(vram)} at {rec['quant']}, or "
                   f"{show_gb(round_gb(largest['vram_gb']))} at {largest['quant']}. The full "
                   f"{show_tokens(f.full_ctx)}-token context adds {show_gb(addition)} ({show_gb(full)} "
                   f"total)."),
    }


def minimum_memory(f: Facts) -> dict[str, Any]:
    q = f.smallest
    vram = round_gb(q["vram_gb"])
    return {"quant": q["quant"], "vram_gb": vram,
            "answer": f"The smallest option is {q['quant']} at {show_gb(vram)}."}


def rtx_5090(f: Facts) -> dict[str, Any] | None:
    """The seed asks about this card by name. Its marketed 32 GB are GiB (34.36 decimal GB); the
    answer says both, and what is usable, so "usable > marketed" never reads as a bug."""
    card = f.device.get(RTX_5090)
    if card is None:
        return None
    runs = [f.fits[(q["quant"], RTX_5090)] for q in f.quants
            if (q["quant"], RTX_5090) in f.fits and f.fits[(q["quant"], RTX_5090)]["verdict"] != "too_small"]
    best = max(runs, key=lambda r: f.by_quant[r["quant"]]["vram_bytes"]) if runs else None
    marketed = float(card["memory_gb"])
    memory = (f"{marketed:g} GiB ({marketed * 2**30 / GB:.2f} GB), "
              f"{round_gb(card['usable_memory_gb'])} GB usable")
    smallest = f.smallest
    return {
        "device_id": RTX_5090, "name": card["name"], "memory_gb": marketed,
        "usable_gb": round_gb(card["usable_memory_gb"]), "can_run": best is not None,
        "best_quant": best["quant"] if best else None,
        "decode_tok_s": round_toks(best["decode_tok_s"]) if best else None,
        "answer": (f"Yes — at {best['quant']} ({show_gb(round_gb(f.by_quant[best['quant']]['vram_gb']))}), "
                   f"~{round_toks(best['decode_tok_s'])} tok/s on its {memory}." if best else
                   f"No — {f.name} needs at least {show_gb(round_gb(smallest['vram_gb']))} at "
                   f"{smallest['quant']}, more than the {card['name']} has: {memory}."),
    }


def consumer_gpus(f: Facts) -> dict[str, Any]:
    first = f.first_quant_with(("consumer_gpu",))
    at_rec = f.fitting(f.rec["quant"], ("consumer_gpu",))
    names = [e["name"] for e in (at_rec or (first["devices"] if first else []))]
    smallest = f.smallest
    return {
        "can_run": first is not None, "smallest_quant_that_fits": _first(first),
        "at_recommended_count": len(at_rec), "at_recommended": _ids(at_rec),
        "answer": (f"Yes — from {first['quant']} ({show_gb(round_gb(first['vram_gb']))}) on "
                   f"{len(first['devices'])} consumer GPU(s), e.g. {', '.join(names[:4])}." if first else
                   f"No single consumer GPU can hold {f.name}, even at {smallest['quant']} "
                   f"({show_gb(round_gb(smallest['vram_gb']))})."),
    }


def best_quant(f: Facts) -> dict[str, Any]:
    rec, better, smallest = f.rec, f.better, f.smallest
    vram = round_gb(rec["vram_gb"])
    return {
        "recommended": rec["quant"], "recommended_vram_gb": vram,
        "better_quality": better["quant"] if better else None,
        "better_quality_vram_gb": round_gb(better["vram_gb"]) if better else None,
        "smallest": smallest["quant"], "smallest_vram_gb": round_gb(smallest["vram_gb"]),
        "answer": (f"{rec['quant']} ({show_gb(vram)}) offers the best balance of quality and memory."
                   + (f" {better['quant']} ({show_gb(round_gb(better['vram_gb']))}) is better if you have "
                      "the memory." if better else "")
                   + f" The smallest option is {smallest['quant']} at "
                     f"{show_gb(round_gb(smallest['vram_gb']))}."),
    }


def mac(f: Facts) -> dict[str, Any]:
    rec, smallest = f.rec, f.smallest
    first = f.first_quant_with(("mac",))
    at_rec = f.fitting(rec["quant"], ("mac",))
    least = min(at_rec, key=lambda e: (e["usable_gb"], e["device_id"])) if at_rec else None
    return {
        "can_run": first is not None, "smallest_quant_that_fits": _first(first),
        "at_recommended_count": len(at_rec), "at_recommended": _ids(at_rec),
        "smallest_mac_at_recommended": least["device_id"] if least else None,
        "answer": (f"Yes — at {rec['quant']} ({show_gb(round_gb(rec['vram_gb']))}) on {len(at_rec)} Mac "
                   f"configuration(s), the smallest being the {least['name']}." if least else
                   f"Only at {first['quant']} ({show_gb(round_gb(first['vram_gb']))}), on "
                   f"{len(first['devices'])} Mac configuration(s)." if first else
                   f"No Mac in the catalogue has enough GPU-usable memory, even at {smallest['quant']} "
                   f"({show_gb(round_gb(smallest['vram_gb']))})."),
    }


def run_locally(f: Facts) -> dict[str, Any]:
    rec = f.rec
    at_rec = f.fitting(rec["quant"], LOCAL_CLASSES)
    first = f.first_quant_with(LOCAL_CLASSES)
    return {
        "can_run": first is not None, "at_recommended_count": len(at_rec), "at_recommended": _ids(at_rec),
        "smallest_quant_that_fits": _first(first),
        "answer": (f"Yes — at {rec['quant']} ({show_gb(round_gb(rec['vram_gb']))}) on {len(at_rec)} "
                   f"consumer, "
                   "workstation or Mac device(s), with tools such as llama.cpp, Ollama or LM Studio."
                   if at_rec else
                   f"Only at {first['quant']} ({show_gb(round_gb(first['vram_gb']))}) on a local device."
                   if first else "Not on one consumer, workstation or Mac device; it needs data-centre "
                                 "hardware."),
    }


def how_fast(f: Facts, speed: dict[str, Any]) -> dict[str, Any]:
    example = speed["example"]
    return {
        "quant": f.rec["quant"], "context_tokens": f.ctx, "method": speed["method"],
        "formula": speed["formula"], "example": example,
        "answer": (f"At {f.rec['quant']}, ~{example['decode_tok_s']} tok/s on the {example['name']}"
                   + ("" if example["gpus"] == 1 else f" ({example['gpus']} GPUs)")
                   + (f" (likely {example['decode_tok_s_low']}–{example['decode_tok_s_high']})"
                      if example["decode_tok_s_low"] is not None else "")
                   + "; speed depends mainly on memory bandwidth." if example else
                   f"No device in the catalogue fits {f.name} at {f.rec['quant']}."),
    }


def download_size(f: Facts) -> dict[str, Any]:
    rec, largest, smallest = f.rec, f.largest, f.smallest

    def part(q: dict[str, Any]) -> dict[str, Any]:
        return {"quant": q["quant"], "file_size_gb": round_gb(q["file_size_gb"]),
                "real_file": q["size_source"] == "gguf"}

    def size(q: dict[str, Any]) -> str:
        return f"{round_gb(q['file_size_gb']):.2f} GB" + ("" if q["size_source"] == "gguf" else " (estimate)")

    any_real = any(q["size_source"] == "gguf" for q in f.quants)
    return {
        "recommended": part(rec), "largest": part(largest), "smallest": part(smallest),
        "answer": (f"At {rec['quant']} the download is about {size(rec)}; {largest['quant']} is "
                   f"{size(largest)} and the smallest ({smallest['quant']}) "
                   f"{size(smallest)}." if any_real else
                   f"No GGUF build of {f.name} is known; estimated, {rec['quant']} would be about "
                   f"{round_gb(rec['file_size_gb']):.2f} GB, {largest['quant']} "
                   f"{round_gb(largest['file_size_gb']):.2f} GB and the smallest ({smallest['quant']}) "
                   f"{round_gb(smallest['file_size_gb']):.2f} GB."),
    }


def which_gpus(f: Facts, gpus: dict[str, Any]) -> dict[str, Any]:
    single = gpus["top"]
    vram = gpus["vram_gb"]
    names = [e["name"] for e in single]
    return {
        "quant": gpus["quant"], "vram_gb": vram, "count": gpus["single_gpu_count"],
        "no_single_gpu": not single,
        "answer": (f"No single GPU in the catalogue has enough memory for {f.name} at {gpus['quant']} "
                   f"({show_gb(vram)}): use several GPUs or a system." if not single else
                   f"{gpus['single_gpu_count']} single GPU(s) can run {f.name} at {gpus['quant']} "
                   f"({show_gb(vram)}), "
                   f"including {', '.join(names[:6])}."),
    }


def which_devices(f: Facts, devices: dict[str, Any]) -> dict[str, Any]:
    found = devices["top"]
    vram = devices["vram_gb"]
    return {
        "quant": devices["quant"], "count": devices["count"],
        "answer": (f"{devices['count']} unified-memory device(s) and system(s) can run {f.name} at "
                   f"{devices['quant']} ({show_gb(vram)}), including "
                   + ", ".join(e["name"] for e in found[:4]) + "." if found else
                   f"No unified-memory device or system in the catalogue fits {f.name} at "
                   f"{devices['quant']}."),
    }


def largest_context(f: Facts) -> dict[str, Any]:
    by_class = []
    for cls in DEVICE_CLASSES:
        rows = [e for e in f.fitting(f.rec["quant"], (cls,)) if e["max_context_tokens"] is not None]
        top = max(rows, key=lambda e: (e["max_context_tokens"], e["usable_gb"], e["device_id"]), default=None)
        by_class.append({"class": cls, "device_id": top["device_id"] if top else None,
                         "name": top["name"] if top else None,
                         "max_context_tokens": int(top["max_context_tokens"]) if top else None})
    return {"quant": f.rec["quant"], "by_class": by_class}


def faq(f: Facts, gpus: dict[str, Any], devices: dict[str, Any], speed: dict[str, Any]) -> dict[str, Any]:
    return {
        "vram_needed": vram_needed(f), "minimum_memory": minimum_memory(f), "rtx_5090": rtx_5090(f),
        "consumer_gpus": consumer_gpus(f), "best_quant": best_quant(f), "mac": mac(f),
        "run_locally": run_locally(f), "how_fast": how_fast(f, speed), "download_size": download_size(f),
        "which_gpus": which_gpus(f, gpus), "which_devices": which_devices(f, devices),
        "largest_context": largest_context(f),
    }
