"""Code no server runs: files (tests, benchmarks, scripts, docs examples) and coroutines that only
a process of their own runs (``asyncio.run(main())``, a CLI command).

Files: a file is *unserved* when one of the ``unserved`` patterns of the configuration matches
one of its directory names or its file name (a pattern without ``/``), or its path (a pattern
with ``/``).  The path is taken relative to the project root (the directory of the
``pyproject.toml`` that governs it); a file outside any project is taken relative to the
directory above its top package (the first directory up without ``__init__.py``), so where a
checkout lives (``/home/docs/...``, ``~/test/...``) never matters.  Nothing is reported in an
unserved file; the project model still reads it (its imports and calls are uses like any other).

Coroutines: :func:`runner_argument` and :func:`runs_elsewhere` name the ways a coroutine runs
outside the server's loop: handed to an event loop of its own, registered as a command of a CLI
framework, or as a job of a task queue (its workers run it).  The project model (``ProjectIndex.outside_requests``) treats them as it treats a
lifespan handler: a coroutine that only they run, directly or through awaits, is not reported.
"""

from __future__ import annotations

import ast
import fnmatch
import os
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings
    from ..diagnostics import Diagnostic
    from .context import ModuleContext
    from .names import Resolver
    from .scope import FunctionInfo, ModuleInfo

#: The default ``unserved`` patterns: tests, benchmarks, scripts, documentation examples, the
#: packages of a command-line interface and ``python -m`` entry points.
DEFAULT_UNSERVED = (
    "tests", "test", "testing", "benchmarks", "benchmark", "docs", "docs_src", "examples", "scripts",
    "cli", "_cli", "test_*.py", "*_test.py", "tests.py", "conftest.py", "__main__.py",
)

#: Calls that run a coroutine (their first argument, called or not) on an event loop of its own.
RUNNERS = frozenset(["asyncio.run", "asyncio.runners.run", "anyio.run", "trio.run", "uvloop.run"])
#: Loop methods that do the same.
RUNNER_METHODS = frozenset(["run_until_complete"])
#: Calls that make an event loop other than the one the server runs on; a coroutine started on
#: one (``background = asyncio.new_event_loop(); background.create_task(f())``, run by a
#: thread's ``run_forever``) runs on that loop.
NEW_LOOPS = frozenset(["asyncio.new_event_loop", "asyncio.events.new_event_loop", "uvloop.new_event_loop"])
#: How a coroutine is started on a given loop: ``loop.create_task(f())``,
#: ``asyncio.run_coroutine_threadsafe(f(), loop)``.
LOOP_SPAWNERS = frozenset(["create_task", "ensure_future"])
THREADSAFE = frozenset(["asyncio.run_coroutine_threadsafe", "asyncio.tasks.run_coroutine_threadsafe"])
#: CLI frameworks whose ``@app.command`` (``default``, ``callback``, ``group``) runs a function
#: as a command of its own process.
CLI_MODULES = ("typer", "click", "asyncclick", "cyclopts", "rich_click")
CLI_DECORATORS = frozenset(["command", "default", "callback", "group"])
#: Task queues whose ``@job``/``@app.task``/``@actor`` functions run in worker processes.
WORKER_MODULES = ("rq", "celery", "dramatiq", "huey", "taskiq", "arq")
WORKER_DECORATORS = frozenset(["rq.decorators.job", "rq.job", "celery.shared_task", "dramatiq.actor"])
WORKER_ATTRIBUTES = frozenset(["task", "actor", "job", "periodic_task"])


def unserved(filename: str, settings: Settings) -> bool:
    """Whether ``filename`` is code no server runs (see the module docstring)."""
    patterns = settings.unserved_patterns()
    if not patterns or filename in ("-", "<unknown>", "<stdin>"):
        return False
    return _unserved(os.path.abspath(filename), patterns, settings.root)


@lru_cache(maxsize=4096)
def _unserved(path: str, patterns: tuple[str, ...], root: str | None) -> bool:
    relative = _relative(path, root)
    parts = relative.split("/")
    for pattern in patterns:
        if "/" in pattern:
            if fnmatch.fnmatchcase(relative, pattern):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def _relative(path: str, root: str | None) -> str:
    if root:
        try:
            relative = os.path.relpath(path, root)
        except ValueError:  # another drive (Windows)
            relative = os.pardir
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            return relative.replace(os.sep, "/")
    top = os.path.dirname(path)
    while os.path.isfile(os.path.join(top, "__init__.py")):
        parent = os.path.dirname(top)
        if parent == top:
            break
        top = parent
    return os.path.relpath(path, os.path.dirname(top)).replace(os.sep, "/")


def _new_loop(expr: ast.expr | None, resolver: Resolver, fn: FunctionInfo | None) -> bool:
    """``expr`` is a name only ever bound to a new event loop (``asyncio.new_event_loop()``)."""
    if not isinstance(expr, ast.Name):
        return False
    values = (fn.assigns if fn is not None else resolver.module.assigns).get(expr.id)
    return bool(values) and all(
        isinstance(value, ast.Call) and resolver.qualname(value.func, fn) in NEW_LOOPS for value in values
    )


def runner_argument(call: ast.Call, resolver: Resolver, fn: FunctionInfo | None) -> ast.expr | None:
    """The coroutine function ``call`` runs on a loop of its own (``f`` of ``asyncio.run(f())``,
    ``loop.run_until_complete(f())``, ``anyio.run(f)``, ``background.create_task(f())`` and
    ``asyncio.run_coroutine_threadsafe(f(), background)`` on ``background =
    asyncio.new_event_loop()``), else None."""
    if not call.args:
        return None
    func = call.func
    qualname = resolver.qualname(func, fn)
    if not (
        (isinstance(func, ast.Attribute) and func.attr in RUNNER_METHODS)
        or (isinstance(func, ast.Attribute) and func.attr in LOOP_SPAWNERS and _new_loop(func.value, resolver, fn))
        or qualname in RUNNERS
        or (qualname in THREADSAFE
            and _new_loop(call.args[1] if len(call.args) > 1 else
                          next((kw.value for kw in call.keywords if kw.arg == "loop"), None), resolver, fn))
    ):
        return None
    arg = call.args[0]
    return arg.func if isinstance(arg, ast.Call) else arg


def is_runner(call: ast.Call, resolver: Resolver, fn: FunctionInfo | None) -> bool:
    return runner_argument(call, resolver, fn) is not None


def uses_cli(module: ModuleInfo) -> bool:
    """The module imports a CLI framework."""
    return any(q.split(".", 1)[0] in CLI_MODULES for q in module.imports.values())


def runs_elsewhere(fn: FunctionInfo, module: ModuleInfo, resolver: Resolver) -> bool:
    """``fn`` runs in a process of its own: a CLI command or a task queue's job."""
    return is_cli_command(fn, module, resolver) or is_worker_task(fn, module, resolver)


def is_worker_task(fn: FunctionInfo, module: ModuleInfo, resolver: Resolver) -> bool:
    """``fn`` is a task queue's job, run by its workers: ``@job(queue)`` (rq), ``@shared_task``
    or ``@app.task`` (celery), ``@dramatiq.actor``, ``@broker.task`` (taskiq), ``@huey.task()``,
    in a module that imports the queue."""
    decorators = getattr(fn.node, "decorator_list", ())
    if not decorators or not any(q.split(".", 1)[0] in WORKER_MODULES for q in module.imports.values()):
        return False
    for decorator in decorators:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if resolver.qualname(target, None) in WORKER_DECORATORS:
            return True
        if isinstance(target, ast.Attribute) and target.attr in WORKER_ATTRIBUTES:
            return True
    return False


def is_cli_command(fn: FunctionInfo, module: ModuleInfo, resolver: Resolver) -> bool:
    """``fn`` is registered as a command of a CLI framework: ``@app.command()``, ``@cli.command``,
    ``@app.default`` (cyclopts), ``@click.command()``, in a module that imports one."""
    decorators = getattr(fn.node, "decorator_list", ())
    if not decorators or not uses_cli(module):
        return False
    for decorator in decorators:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in CLI_DECORATORS:
            return True
        q = resolver.qualname(target, None)
        if q is not None and q.split(".", 1)[0] in CLI_MODULES:
            return True
    return False


def drop_cli_commands(ctx: ModuleContext, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` without the blocking findings (FPF101-FPF107) inside the coroutine of a
    CLI command or a task queue's job: known from the module alone, so flake8 drops them too."""
    from .project import BLOCKING_CODES, _innermost_functions

    info = ctx.module
    relevant = [d for d in diagnostics if d.code in BLOCKING_CODES]
    if not relevant:
        return diagnostics
    dropped = {
        id(d) for d, fn in _innermost_functions(info.all_functions, relevant)
        if fn is not None and fn.is_async and runs_elsewhere(fn, info, ctx.resolver)
    }
    return [d for d in diagnostics if id(d) not in dropped] if dropped else diagnostics
