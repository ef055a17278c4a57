#!/usr/bin/env python3
"""Is a warm `fastapi-perf check` (the result cache) always the cold one?  Random real edits.

From the repository root (the project's .venv runs the tool):

    python3 bench/cache_check.py TREE [--edits N] [--seed S]

TREE is copied to bench/.work/cache-check/ (never written in place); one run fills a cache of
its own; then, N times: one module of the copy is edited at random -- a `time.sleep(1)` as the
first statement of a sync `def` (a new blocking call, maybe on a chain), an early `return None`
(a chain cut), a statement appended, or a new route awaiting one of the module's coroutines (a
new entry point, new startup-only answers) -- and `check --jobs 1` with the cache must print what
`check --no-cache` prints, byte for byte.  Exit 1 on the first mismatch (its diff printed), else
0.  The edits accumulate, as in a working session.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work" / "cache-check"
TOOL = REPO / ".venv" / "bin" / "fastapi-perf"
KINDS = ("sleep", "return", "append", "route", "route")


def check(tree: Path, *extra: str) -> str:
    env = {**os.environ, "FASTAPI_PERF_CACHE_DIR": str(WORK / "cache")}
    proc = subprocess.run([str(TOOL), "check", "--jobs", "1", *extra, "."], cwd=tree, env=env,
                          capture_output=True, text=True)
    return proc.stdout


def edit(path: Path, rng: random.Random, n: int) -> str | None:
    """Edit the module at ``path``; what was done, or None when it cannot be edited."""
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.splitlines(True)
    defs = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.body]
    coroutines = [node for node in tree.body if isinstance(node, ast.AsyncFunctionDef)]
    kind = rng.choice(KINDS)
    if kind in ("sleep", "return") and defs:
        fn = rng.choice(defs)
        first = fn.body[0]
        statement = "__import__('time').sleep(1)" if kind == "sleep" else "return None"
        lines.insert(first.lineno - 1, " " * first.col_offset + statement + "\n")
        what = f"{kind} in {fn.name}"
    elif kind == "route" and coroutines:
        target = rng.choice(coroutines).name
        lines.append(f"\n\nfrom fastapi import APIRouter as _CacheCheckRouter\n_cache_check_{n} = _CacheCheckRouter()\n\n\n"
                     f"@_cache_check_{n}.get('/cache-check/{n}')\nasync def _cache_check_route_{n}():\n"
                     f"    await {target}()\n")
        what = f"route awaiting {target}"
    else:
        lines.append(f"\n_CACHE_CHECK_EDIT = {n}\n")
        what = "statement appended"
    path.write_text("".join(lines), encoding="utf-8", errors="surrogateescape")
    return what


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    copy = WORK / "tree"
    shutil.copytree(args.tree, copy, symlinks=True)
    files = sorted(p for p in copy.rglob("*.py") if not p.is_symlink())
    rng = random.Random(args.seed)
    check(copy)  # fills the cache
    for n in range(args.edits):
        path = rng.choice(files)
        what = edit(path, rng, n)
        if what is None:
            continue
        warm, cold = check(copy), check(copy, "--no-cache")
        print(f"{n}: {path.relative_to(copy)}: {what}: {'same' if warm == cold else 'MISMATCH'}", flush=True)
        if warm != cold:
            sys.stdout.writelines(difflib.unified_diff(cold.splitlines(True), warm.splitlines(True), "cold", "warm"))
            return 1
    print(f"{args.edits} edits: warm == cold every time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
