"""A model page's content, from its export page and devices.json: the seed page's sections in its
order (exports/README.md "The model page"), with our corrections and where the figures come from."""

from __future__ import annotations

from typing import Any

from catalog.exports.page.matrix import Fit, fits
from catalog.site import charts
from catalog.site.fmt import params, tokens

SOURCE_LABELS = {
    "architecture": "counted from the architecture (config.json shapes)",
    "safetensors_raw": "the Hub's safetensors parameter count",
    "safetensors_unpacked": "the safetensors count, packed low-bit weights unpacked",
    "gguf": "a GGUF file's header",
    "card": "the model card",
}
CLASS_LABELS = {"consumer_gpu": "Consumer GPU", "workstation_gpu": "Workstation GPU",
                "datacenter_gpu": "Datacenter GPU", "mac": "Mac", "unified_other": "Other unified memory",
                "system": "Multi-GPU system"}


def faqs(page: dict[str, Any]) -> list[dict[str, Any]]:
    """Every FAQ entry of the page that has an answer, in the export's order."""
    # A 2.0 release has no `question` (added in 2.1): the key, in words, stands in.
    return [{"key": key, "id": f"faq-{key.replace('_', '-')}",
             "question": entry.get("question") or key.replace("_", " ").capitalize() + "?",
             "answer": entry["answer"], "data": entry}
            for key, entry in page["faq"].items() if isinstance(entry, dict) and entry.get("answer")]


def corrections(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Parameter counts we did not use, each with why (e.g. DeepSeek-V4-Flash's 158.1B)."""
    return [{"source": c["source"], "source_label": SOURCE_LABELS.get(c["source"], c["source"]),
             "params_total": params(c["params_total"]), "reason": c["rejected_reason"]}
            for c in spec.get("parameter_candidates") or []
            if not c.get("chosen") and c.get("rejected_reason")]


def specifications(spec: dict[str, Any]) -> list[tuple[str, str]]:
    total, active = spec["params_total"], spec.get("params_active")
    parameters = params(total) + (f" ({params(active)} active)" if active and active != total else "")
    rows = [("Publisher", spec["publisher"]), ("Family", spec.get("family")), ("Parameters", parameters),
            ("Architecture", spec.get("architecture")),
            ("Context Length", f"{tokens(spec['context_length'])} tokens"),
            ("Vocabulary Size", tokens(spec.get("vocab_size"))), ("Layers", spec.get("layers")),
            ("Experts", f"{spec['experts']} ({spec.get('experts_used')} used per token)"
             if spec.get("experts") else None),
            ("Release Date", spec.get("release_date")), ("License", spec.get("license")),
            ("Gated", ("yes" + (f" ({spec['gated_mode']})" if spec.get("gated_mode") else ""))
             if spec.get("gated") else None)]
    return [(label, str(value)) for label, value in rows if value not in (None, "", "—")]


def device_rows(ids: list[str], by_id: dict[str, Fit], devices: dict[str, dict[str, Any]]) -> list[dict]:
    """Named rows for a list of device ids, with the fit matrix's verdict and speed."""
    out = []
    for device_id in ids:
        device, fit = devices.get(device_id), by_id.get(device_id)
        if device is None:          # a page naming a device devices.json lacks: a broken release
            raise KeyError(f"device {device_id!r} is not in devices.json")
        out.append({"device": device, "verdict": fit.verdict if fit else None,
                    "decode_tok_s": fit.decode_tok_s if fit else None})
    return out


def model_context(page: dict[str, Any], devices: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Everything model.html shows."""
    rec = page["summary"]["recommended_quant"]
    at_rec = {f.device_id: f for f in fits(page, rec)}
    speed_extra = {d["device_id"]: d for d in page["speed"]["devices"]}
    gpus, devs = page["gpus"], page["devices"]
    return {
        "page": page, "spec": page["specifications"], "rec": rec,
        "specifications": specifications(page["specifications"]),
        "corrections": corrections(page["specifications"]),
        "quants": page["quantizations"],
        "gpus": device_rows(gpus["single_gpu"], at_rec, devices),
        "runs_great": device_rows(devs["runs_great"], at_rec, devices),
        "decent": device_rows(devs["decent"], at_rec, devices),
        "speed_rows": charts.speed_rows(page, at_rec, devices, speed_extra),
        "faqs": faqs(page),
        "params_source_label": SOURCE_LABELS.get(page["specifications"]["params_source"],
                                                 page["specifications"]["params_source"]),
        "charts": charts.model_charts(page, devices, at_rec),
        "memory_lines": charts.memory_lines(page, devices),
    }
