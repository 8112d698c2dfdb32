"""fitcat: which LLMs run on which hardware, at which quantization, how fast.

huggingface_hub reads its settings once, when first imported, so they are set here, before any
module of the package can import it: no telemetry (with it on, huggingface_hub looks up an
"agent harness" registry at huggingface.co even when pointed at another endpoint), and plain
HTTP downloads (no xet transfer daemon).
"""

import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
