"""`fitcat estimate`: delegates to catalog.estimate (memory, fit and speed for any model and device)."""

from catalog.estimate import add_parser, run

__all__ = ["add_parser", "run"]
