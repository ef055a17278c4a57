"""Rules: one small class per code, grouped in one module per family.

A rule describes itself (code, kebab-case name, one-line summary, the docs in its docstring with
the five sections What it does / Why is this bad? / Example / Use instead / Fix safety, and the
applicability of the fix it proposes, if any).  A family module also provides ``check(ctx)``,
which yields the family's diagnostics, and ``NEEDLES``: byte strings of which at least one must
occur in a file for the family to find anything in it (the prefilter).
"""

from __future__ import annotations

import inspect
from typing import ClassVar

from ..diagnostics import Diagnostic

REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    #: "safe", "unsafe" or None (no automatic fix)
    fix: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            if cls.code in REGISTRY:
                raise RuntimeError(f"duplicate rule code {cls.code}")
            REGISTRY[cls.code] = cls

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def diagnostic(cls, node, message: str) -> Diagnostic:  # type: ignore[no-untyped-def]
        """A finding of this rule spanning ``node`` (any ast node with positions)."""
        return Diagnostic(
            code=cls.code,
            message=message,
            line=node.lineno,
            col=node.col_offset,
            end_line=getattr(node, "end_lineno", None) or node.lineno,
            end_col=getattr(node, "end_col_offset", None) or node.col_offset,
        )


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code, in code order."""
    from . import blocking, bodies, middleware, resources, state  # noqa: F401  (registers the rules)

    return dict(sorted(REGISTRY.items()))
