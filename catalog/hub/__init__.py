"""The HuggingFace source: discover base models, fetch what changed, store with provenance.

    report = refresh(api, con, scope, cache_dir, run_id, submit=...)   # the whole Hub refresh

one definition (catalog/hub/refresh.py) used by the nightly flow, the benchmark and the tests,
built from its stages, one module each:

    found = discover(api, scope)                  # discover.py: listing requests only
    known = load_watermarks(con)                  # store.py: {(repo_id, kind): sha} settled
    bundle = fetch_bundle(api, repo_id, cache_dir, listing=..., known=known,
                          derivatives=...)        # fetch.py: I/O, concurrent-safe, never raises
    store_bundle(con, bundle, run_id, trusted)    # store.py: single writer, one transaction
    finish_discovery(con, found, run_id)          # store.py: removals, after complete listings

Change detection is done from listing pages: base models from the author / top / explicit
listings, GGUF repos of the trusted publishers (`scope.gguf_publishers`) from one
`author={publisher}&filter=gguf` listing each, attached to the base models in scope that their
`base_model:quantized:{id}` tags name. A repo whose listed sha equals its watermark costs no
detail request; its counters (downloads, likes, trending) are refreshed from the listing.
The per-base derivative listing (which also finds untrusted publishers' builds) runs only for
a base model that is new or whose sha changed. Every Hub value that becomes a path or a bound
is checked first (validate.py).
"""

from catalog.hub.discover import Discovery, discover
from catalog.hub.errors import HubError, classify
from catalog.hub.fetch import GgufRepo, ModelBundle, fetch_bundle
from catalog.hub.refresh import RefreshReport, Submit, refresh, run_budget
from catalog.hub.store import finish_discovery, load_watermarks, store_bundle

__all__ = ["Discovery", "GgufRepo", "HubError", "ModelBundle", "RefreshReport", "Submit", "classify",
           "discover", "fetch_bundle", "finish_discovery", "load_watermarks", "refresh", "run_budget",
           "store_bundle"]
