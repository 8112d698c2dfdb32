"""`fitcat models`: search and filter the catalogue's models."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from catalog.commands import arguments, catalogue, errors, lookup, output
from catalog.units import show_gb, show_params, show_tokens


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, search and filter models")
    p.add_argument("search", nargs="*",
                   help="words of the repo id, family or architecture (all of them, else any)")
    p.add_argument("--publisher", type=arguments.name, help="only this publisher (repo owner)")
    p.add_argument("--min-params", type=arguments.billions, metavar="B", help="at least B billion parameters")
    p.add_argument("--max-params", type=arguments.billions, metavar="B", help="at most B billion parameters")
    p.add_argument("--moe", action="store_true", help="mixture-of-experts models only")
    p.add_argument("--min-context", type=arguments.tokens, metavar="N",
                   help="context window of at least N tokens")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(run=errors.command("models", _run))


SQL = """
SELECT m.repo_id, m.publisher, m.family, m.architecture, m.params_total, m.params_active, m.params_source,
       m.params_disagreement, m.n_experts IS NOT NULL AND m.n_experts > 0 AS moe, m.context_length,
       m.license, m.release_date, m.derivatives, m.canonical_gguf_repo_id,
       q.vram_gb AS q4_k_m_vram_gb, q.size_source AS q4_k_m_size_source
FROM models m
LEFT JOIN quantizations q ON q.repo_id = m.repo_id AND q.quant = 'Q4_K_M'
WHERE ($publisher IS NULL OR lower(m.publisher) = lower($publisher))
  AND ($min_p IS NULL OR m.params_total >= $min_p * 1e9)
  AND ($max_p IS NULL OR m.params_total <= $max_p * 1e9)
  AND (NOT $moe OR coalesce(m.n_experts, 0) > 0)
  AND ($min_ctx IS NULL OR m.context_length >= $min_ctx)
ORDER BY m.params_total DESC NULLS LAST, m.repo_id
"""


def _entry(m: dict[str, Any]) -> lookup.Entry:
    return lookup.Entry(m["repo_id"], tuple(v for v in (m["family"], m["architecture"]) if v))


def _run(args: argparse.Namespace) -> int:
    con = catalogue.open_db(args)
    try:
        found = catalogue.rows(con, SQL, {"publisher": args.publisher, "min_p": args.min_params,
                                          "max_p": args.max_params, "moe": args.moe,
                                          "min_ctx": args.min_context})
        publishers = [r[0] for r in con.execute("SELECT DISTINCT publisher FROM models").fetchall()]
        everyone = lookup.model_entries(con)
    finally:
        con.close()
    ids, rule = lookup.search(args.search, [_entry(m) for m in found])
    found = [m for m in found if m["repo_id"] in set(ids)]

    def close() -> tuple[str, list[str]]:
        hint = lookup.close_to(args.publisher, publishers) if args.publisher else ""
        near = lookup.suggestions(" ".join(args.search), everyone) if args.search else []
        return hint, near

    output.print_matches(found, _render, as_json=args.json, noun="model", search=args.search, rule=rule,
                         close=close)
    return errors.OK


def _render(found: list[dict[str, Any]], out: Console) -> None:
    wide = not output.narrow(out)
    columns = ["Model", ("Params", "right"), ("Active", "right"), ("Context", "right"),
               ("Q4_K_M VRAM", "right")]
    if wide:
        columns += ["License", ("GGUF repos", "right")]
    t = output.table(*columns, title=f"{len(found)} models")
    for m in found:
        cells = [m["repo_id"], show_params(m["params_total"]) + (" ⚠" if m["params_disagreement"] else ""),
                 show_params(m["params_active"]) if m["moe"] else "", show_tokens(m["context_length"]),
                 show_gb(m["q4_k_m_vram_gb"])]
        if wide:
            cells += [m["license"] or "—", m["derivatives"]]
        output.row(t, *cells)
    output.show(out, t)
    if any(m["params_disagreement"] for m in found):
        out.print("⚠ parameter count sources disagree by more than 10 % (see param_candidates)")
