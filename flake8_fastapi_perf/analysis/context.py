"""Everything the rules share about one module, computed once."""

from __future__ import annotations

import ast
from functools import cached_property
from typing import TYPE_CHECKING

from ..config import Settings
from .calls import BlockingIndex
from .fastapi import FastAPIModel, build_model
from .names import Resolver
from .scope import ModuleInfo

if TYPE_CHECKING:  # pragma: no cover
    from .project import ProjectIndex


class ModuleContext:
    """One module's analysis.  With a ``project`` (``fastapi-perf check``) the module, its
    resolver, FastAPI model and blocking index are the project's (shared with the other files
    of the run, so helpers of other modules are followed); without one (flake8, the fixer) the
    module stands alone."""

    def __init__(self, tree: ast.Module, settings: Settings, filename: str = "<unknown>",
                 project: ProjectIndex | None = None) -> None:
        self.tree = tree
        self.settings = settings
        self.filename = filename
        self.project = project
        if project is None:
            self._entry = None
            self.module = ModuleInfo(tree)
            self.resolver = Resolver(self.module)
            #: the module's dotted name and normalised path (project runs only)
            self.module_name: str | None = None
            self.path: str | None = None
        else:
            self._entry = project.register(filename, tree)
            self.module = self._entry.info
            self.resolver = self._entry.resolver
            self.module_name = self._entry.name
            self.path = self._entry.path

    def text_of(self, node: ast.stmt) -> bytes | None:
        """The source lines of ``node`` when the module's text is at hand (project runs), else
        None (see ``_Module.text``)."""
        return self._entry.text(node.lineno, node.end_lineno) if self._entry is not None else None

    @cached_property
    def fastapi(self) -> FastAPIModel:
        if self.project is not None and self._entry is not None:
            return self.project.model(self._entry)
        return build_model(self.module, self.resolver)

    @cached_property
    def blocking(self) -> BlockingIndex:
        if self.project is not None and self._entry is not None:
            return self.project.blocking_index(self._entry, self.settings)
        return BlockingIndex(self.resolver, self.settings.blocking_table, self.settings.allow)
