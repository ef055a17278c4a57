"""Everything the rules share about one module, computed once."""

from __future__ import annotations

import ast
from functools import cached_property

from ..config import Settings
from .calls import BlockingIndex
from .fastapi import FastAPIModel, build_model
from .names import Resolver
from .scope import ModuleInfo


class ModuleContext:
    def __init__(self, tree: ast.Module, settings: Settings, filename: str = "<unknown>") -> None:
        self.tree = tree
        self.settings = settings
        self.filename = filename
        self.module = ModuleInfo(tree)
        self.resolver = Resolver(self.module)

    @cached_property
    def fastapi(self) -> FastAPIModel:
        return build_model(self.module, self.resolver)

    @cached_property
    def blocking(self) -> BlockingIndex:
        return BlockingIndex(self.resolver, self.settings.blocking_table, self.settings.allow)
