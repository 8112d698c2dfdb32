"""`fitcat fit --this-machine` and `estimate --this-machine` end to end on recorded machines: the
real detection (fake vendor tools printing tests/fixtures/machine/ outputs, fixture /proc and /sys)
feeds the real command on the demo catalogue, and the fit is the one its device gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_machine_detect import FIXTURES, NVIDIA_ARGS, Tools

from catalog import paths
from catalog.cli import main
from catalog.commands import this_machine
from catalog.machine import detect

LLAMA = str(paths.SAMPLE_HUB / "repos/meta-llama/Llama-3.1-8B-Instruct/config.json")
ROCM_ARGS = "--showproductname --showmeminfo vram --json"
SYSCTL_ARGS = "-n machdep.cpu.brand_string hw.memsize hw.physicalcpu hw.logicalcpu"


def nvidia(fixture: str):
    return lambda t: (t.add("nvidia-smi", NVIDIA_ARGS, fixture), t.probes())[1]


def apple(t: Tools):
    t.add("sysctl", SYSCTL_ARGS, "apple-m4-max/sysctl.txt")
    t.add("system_profiler", "SPDisplaysDataType -json", "apple-m4-max/system_profiler.json")
    return t.probes(platform="darwin")


def amd(t: Tools):
    t.add("rocm-smi", ROCM_ARGS, "amd-rx7900xt/rocm-smi.json")
    return t.probes(sys_root=FIXTURES / "amd-rx7900xt" / "sys")


def intel(t: Tools):
    t.add("xpu-smi", "discovery --json", "intel-arc-pro-b60/xpu-smi.json")
    return t.probes()


# machine → (probes, the fit's device: (id or None, GPUs, bandwidth GB/s or None, backend))
MACHINES = {
    "nvidia-rtx3090ti": (nvidia("nvidia-rtx3090ti/nvidia-smi.csv"), ("nvidia-rtx-3090-ti", 1, 1008, "cuda")),
    "nvidia-2x-rtx3090": (nvidia("nvidia-2x-rtx3090/nvidia-smi.csv"), ("nvidia-rtx-3090", 2, 936, "cuda")),
    "nvidia-2x-rtx3080-20gb": (nvidia("nvidia-2x-rtx3080-20gb-rtx5090/nvidia-smi.csv"),
                               (None, 2, None, "cuda")),           # not in the catalogue: memory only
    "amd-rx7900xt": (amd, ("amd-rx-7900-xt", 1, 800, "rocm")),
    "apple-m4-max": (apple, ("apple-mac-studio-m4-max-40c-64gb", 1, 546, "metal")),
    "intel-arc-pro-b60": (intel, ("intel-arc-pro-b60", 2, 456, "vulkan")),
    "cpu-only": (lambda t: t.probes(), (None, 1, None, "cpu")),
}


@pytest.fixture(params=sorted(MACHINES))
def recorded(request, tmp_path, monkeypatch):
    probes, expected = MACHINES[request.param]
    machine = detect(probes(Tools(tmp_path)))
    monkeypatch.setattr(this_machine, "detect", lambda: machine)
    return request.param, expected


def _json(capsys, *argv: str) -> dict:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_fit_on_this_machine(recorded, demo_db, capsys):
    name, (device_id, gpus, bandwidth, backend) = recorded
    found = _json(capsys, "--db", str(demo_db), "fit", "--this-machine", "--json")
    device = found["device"]
    assert (device["device_id"] if gpus == 1 else device_id, device["gpu_count"], device["bandwidth_gbps"],
            device["backend"]) == (device_id, gpus, bandwidth, backend), name
    assert found["machine"]["described"] and found["models"], name
    speeds = [m["decode_tok_s"] for m in found["models"]]
    assert all(s is None for s in speeds) if bandwidth is None else all(s > 0 for s in speeds)
    if device_id is not None:     # the same answer as naming the device (N of it)
        named = _json(capsys, "--db", str(demo_db), "fit", "--device", device_id, "--json",
                      *(["--gpus", str(gpus)] if gpus > 1 else []))
        assert [(m["repo_id"], m["best_quant"]) for m in named["models"]] == \
            [(m["repo_id"], m["best_quant"]) for m in found["models"]]


def test_estimate_on_this_machine(recorded, demo_db, capsys):
    name, (_, gpus, bandwidth, _) = recorded
    out = _json(capsys, "--db", str(demo_db), "estimate", "--config", LLAMA, "--this-machine", "--json")
    assert out["device"]["gpus"] == gpus and out["device"]["bandwidth_gbps"] == bandwidth, name
    assert out["verdict"] in ("runs_great", "decent", "too_small")
    assert (out["decode_tok_s"] is None) == (bandwidth is None)


def test_cpu_only_fits_in_ram_and_says_speed_is_unknown(demo_db, capsys, tmp_path, monkeypatch):
    machine = detect(Tools(tmp_path).probes())
    monkeypatch.setattr(this_machine, "detect", lambda: machine)
    assert main(["--db", str(demo_db), "fit", "--this-machine"]) == 0
    out = capsys.readouterr().out
    assert "GPU: none found" in out and "RAM: 23.5 GiB (25.3 GB)" in out and "AMD EPYC" in out
    assert "system RAM" in out and "speed unknown" in out and "meta-llama/Llama-3.1-8B-Instruct" in out
    assert main(["--db", str(demo_db), "fit", "--this-machine", "--bandwidth-gbps", "80", "--json"]) == 0
    assert all(m["decode_tok_s"] > 0 for m in json.loads(capsys.readouterr().out)["models"])


def test_this_machine_excludes_the_other_ways(demo_db, capsys):
    assert main(["--db", str(demo_db), "fit", "--this-machine", "--device", "rtx 4090"]) == 2
    assert "not both" in capsys.readouterr().err


def test_the_build_machine(demo_db, capsys):
    """No fake: this machine (a CPU-only build machine in CI) reports its CPU and RAM and what fits."""
    if Path("/sys/class/drm").exists() and any(Path("/sys/class/drm").iterdir()):
        pytest.skip("this machine has a GPU")
    found = _json(capsys, "--db", str(demo_db), "fit", "--this-machine", "--json")
    assert found["device"]["backend"] == "cpu" and found["machine"]["ram_bytes"] > 0
    assert any(line.startswith("CPU: ") for line in found["machine"]["described"])
