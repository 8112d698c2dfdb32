"""`fitcat models`: search and filter the catalogue's models."""

from __future__ import annotations

import argparse

from catalog.commands import _common as c


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, search and filter models")
    p.add_argument(
        "search", nargs="*", help="words that must all appear in the repo id, family or architecture"
    )
    p.add_argument("--publisher", help="only this publisher (repo owner)")
    p.add_argument("--min-params", type=float, metavar="B", help="at least B billion parameters")
    p.add_argument("--max-params", type=float, metavar="B", help="at most B billion parameters")
    p.add_argument("--moe", action="store_true", help="mixture-of-experts models only")
    p.add_argument("--min-context", type=int, metavar="N", help="context window of at least N tokens")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(run=c.command("models", _run))


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


def _run(args: argparse.Namespace) -> int:
    found = c.query(args, SQL, {"publisher": args.publisher, "min_p": args.min_params,
                                "max_p": args.max_params, "moe": args.moe, "min_ctx": args.min_context})
    found = [m for m in found if c.matches(args.search, m["repo_id"], m["family"], m["architecture"])]
    if args.json:
        c.print_json(found)
        return c.OK
    t = c.table("Model", ("Params", "right"), ("Active", "right"), ("Context", "right"),
                ("Q4_K_M VRAM", "right"), "License", ("GGUF repos", "right"), title=f"{len(found)} models")
    t.columns[0].no_wrap = True
    for m in found:
        flag = " ⚠" if m["params_disagreement"] else ""
        t.add_row(
            m["repo_id"],
            c.params_b(m["params_total"]) + flag,
            c.params_b(m["params_active"]) if m["moe"] else "",
            c.tokens(m["context_length"]),
            c.gb(m["q4_k_m_vram_gb"]),
            m["license"] or "—",
            str(m["derivatives"]),
        )
    c.console().print(t)
    if any(m["params_disagreement"] for m in found):
        c.console().print("⚠ parameter count sources disagree by more than 10 % (see param_candidates)")
    return c.OK
