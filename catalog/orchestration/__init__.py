"""Running the nightly job: Prefect settings and servers, task runners, the staged catalogue,
the run lock, the run ledger and its report. The flow (`flows/nightly.py`) calls these; the
library's data stages (`catalog/hub`, `gguf`, `devices`, `exports`) never do."""
