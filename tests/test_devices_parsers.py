"""Each vendor parser on its saved page (reconstructed fixtures, see fixtures/devices/README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.devices import amd, apple, geforce, intel, nvidia
from catalog.devices.model import LayoutChanged

FIXTURES = Path(__file__).parent / "fixtures" / "devices"


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def table(observations):
    return {(o.product, o.field): o for o in observations}


def test_nvidia_multi_sku_table_reads_columns_by_header_and_marks_sparsity():
    obs = table(nvidia.parse(page("nvidia_h100.html"), "https://x/h100/"))
    assert obs["H100 SXM", "memory_gb"].value == 80
    assert obs["H100 NVL", "memory_gb"].value == 94
    assert obs["H100 SXM", "bandwidth_gbps"].value == 3350
    assert obs["H100 NVL", "bandwidth_gbps"].value == 3900
    fp16 = obs["H100 SXM", "fp16_tflops_dense"]
    assert (fp16.value, fp16.basis) == (1979, "sparse")
    assert all(o.scope == "per_gpu" and o.source_url == "https://x/h100/" for o in obs.values())


def test_nvidia_system_page_is_scoped_system():
    obs = table(nvidia.parse(page("nvidia_dgx_b200.html"), "u"))
    assert obs["NVIDIA DGX B200", "memory_gb"].value == 1440
    assert obs["NVIDIA DGX B200", "memory_gb"].scope == "system"
    assert obs["NVIDIA DGX B200", "bandwidth_gbps"].value == 64000


def test_nvidia_changed_layout_is_reported_not_guessed():
    with pytest.raises(LayoutChanged):
        nvidia.parse(page("nvidia_h100_layout_changed.html"), "u")


def test_geforce_series_without_bandwidth_row_and_multi_valued_cells():
    obs = table(geforce.parse(page("geforce_compare.html"), "u"))
    assert obs["GeForce RTX 5090", "memory_gb"].value == 32
    assert obs["GeForce RTX 5090", "bandwidth_gbps"].value == 1792
    assert obs["GeForce RTX 5090", "memory_type"].text == "GDDR7"
    assert obs["GeForce RTX 4090", "memory_gb"].value == 24
    assert ("GeForce RTX 4090", "bandwidth_gbps") not in obs  # 40 series: no bandwidth row
    assert obs["GeForce RTX 4060 Ti 16GB", "memory_gb"].value == 16
    assert obs["GeForce RTX 4060 Ti 8GB", "memory_gb"].value == 8
    assert obs["GeForce RTX 5060 Ti 8GB", "bandwidth_gbps"].value == 448
    assert not any("Varies" in o.text for o in obs.values())


def test_apple_page_with_two_chip_bins_has_per_bin_bandwidth():
    obs = table(apple.parse(page("apple_mac_studio.html"), "u"))
    assert obs["Mac Studio M4 Max 14-core CPU 32-core GPU 36GB", "bandwidth_gbps"].value == 410
    assert obs["Mac Studio M4 Max 16-core CPU 40-core GPU 128GB", "bandwidth_gbps"].value == 546
    assert obs["Mac Studio M3 Ultra 32-core CPU 80-core GPU 512GB", "memory_gb"].value == 512
    products = {p for p, _ in obs}
    assert len(products) == 8  # 1 + 3 + 2 + 2 memory options
    assert "Mac Studio M4 Max 14-core CPU 32-core GPU 64GB" not in products


def test_amd_reads_dram_bandwidth_and_ignores_effective_bandwidth():
    radeon = table(amd.parse(page("amd_rx_7900xtx.html"), "u"))
    assert radeon["AMD Radeon RX 7900 XTX", "bandwidth_gbps"].value == 960
    assert radeon["AMD Radeon RX 7900 XTX", "memory_gb"].value == 24
    assert ("AMD Radeon RX 7900 XTX", "fp16_tflops_dense") not in radeon  # shader rate, unused
    instinct = table(amd.parse(page("amd_mi300x.html"), "u"))
    assert instinct["AMD Instinct MI300X", "memory_gb"].value == 192
    assert instinct["AMD Instinct MI300X", "bandwidth_gbps"].value == 5300
    assert instinct["AMD Instinct MI300X", "fp16_tflops_dense"].value == 1307.4
    assert instinct["AMD Instinct MI300X", "memory_type"].text == "HBM3"


def test_intel_ark_labels_with_marks():
    obs = table(intel.parse(page("intel_arc_a770_16gb.html"), "u"))
    name = "Intel Arc A770 Graphics (16GB)"
    assert obs[name, "memory_gb"].value == 16
    assert obs[name, "bandwidth_gbps"].value == 560  # label printed as "...Bandwidth‡"


@pytest.mark.parametrize("module", [nvidia, geforce, amd, apple, intel])
def test_every_parser_fails_loudly_on_an_unrelated_page(module):
    with pytest.raises(LayoutChanged):
        module.parse("<html><body><h1>Access Denied</h1></body></html>", "u")
