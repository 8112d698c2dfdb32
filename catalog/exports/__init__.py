"""Exports for websites and analysts: a versioned, schema-checked set published atomically.

    publish_exports(con, root, run_id, force=False) -> ExportResult

builds `root/releases/.staging-<run_id>/`, validates it (exports/schema/v2, sanity checks),
renames it to `root/releases/<run_id>/` and points the `root/latest` symlink at it. Consumers
read `root/latest/...`. Contract and examples: exports/README.md.
"""

from catalog.exports.page import SCHEMA_VERSION, ModelNotFound, build_model_page
from catalog.exports.publish import ExportRefused, ExportResult, publish_exports

__all__ = ["SCHEMA_VERSION", "ExportRefused", "ExportResult", "ModelNotFound", "build_model_page",
           "publish_exports"]
