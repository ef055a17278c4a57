"""Bad input (issue 6): each case runs the real command on files in tmp_path.

For every case: the exit code, the exact error lines on stderr (one ``path:line:col: FPF000 ...``
line per bad path, nothing else but the summary), no traceback, the other files still reported,
and ``check`` writes nothing in the tree (bytes, modes, mtimes of every entry, directories too).
The result cache is kept outside the tree (FASTAPI_PERF_CACHE_DIR); a second run, from the warm
cache, must print exactly the same.

Unreadable files: root reads a ``chmod 000`` file, so those cases are skipped under root; what
fails to open even for root (a dangling symlink, a symlink to itself) is tested everywhere.
"""

from __future__ import annotations

import ast
import math
import os
import random
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from conftest import ROOT, parse_findings
from flake8_fastapi_perf.fileio import TEMPORARY_SUFFIX, WriteRefused, write_atomic
from flake8_fastapi_perf.syntax_hint import bad_bytes, newer_syntax

BLOCKING = "import time\n\nasync def handler():\n    time.sleep(1)\n"
ERROR_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): FPF000 (?P<message>.+)$")
SUMMARY = re.compile(r"^Found \d+ findings?\.$")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"


# -- running the command ---------------------------------------------------------------------

def command_env(cache_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLAKE8", "FASTAPI_PERF"))}
    env["FASTAPI_PERF_CACHE_DIR"] = str(cache_dir)  # the cache never lands in the checked tree
    return env


def fastapi_perf(*args: str, cwd: Path, cache_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8_fastapi_perf.cli", *args],
        cwd=cwd, capture_output=True, text=True, env=command_env(cache_dir), timeout=timeout, check=False,
    )


@cache
def has_cache() -> bool:
    """Whether this version has the result cache (``--no-cache``)."""
    proc = subprocess.run([sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--help"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    return "--no-cache" in proc.stdout


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry below ``root`` (symlinks not followed): kind, mode, size, mtime, content."""
    entries: dict[str, tuple] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            content: bytes | str | None = None
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(info.st_mode) and os.access(path, os.R_OK):
                content = Path(path).read_bytes()
            entries[os.path.relpath(path, root)] = (info.st_mode, info.st_size, info.st_mtime_ns, content)
    return entries


def error_lines(stderr: str) -> list[tuple[str, int, int, str]]:
    """The FPF000 lines of stderr; any other line but the summary fails the test."""
    assert "Traceback" not in stderr, stderr
    errors = []
    for line in stderr.splitlines():
        match = ERROR_LINE.match(line)
        if match:
            errors.append((match["path"], int(match["line"]), int(match["col"]), match["message"]))
        else:
            assert SUMMARY.match(line), f"unexpected stderr line: {line!r}"
    return errors


# -- the table ------------------------------------------------------------------------------

SYMLINK = "symlink:"  # a file value "symlink:TARGET" makes a symbolic link
FIFO = "fifo:"

#: A PNG file's first bytes: "\x89PNG\r\n" ends line 1, "\x1a\n" line 2, then NUL bytes (line 3).
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(random.Random(6).randrange(256) for _ in range(4000))


@dataclass
class Case:
    id: str
    files: dict[str, bytes | str]
    args: list[str]
    #: (path, line, col or None for "any", regular expression of the message after "FPF000 ")
    errors: list[tuple[str, int, int | None, str]]
    #: the paths of the findings (each FPF101 of BLOCKING: one per file)
    findings: list[str]
    exit: int
    marks: list = field(default_factory=list)


NUL_MESSAGE = re.escape("cannot parse: source code contains NUL bytes (is it a binary file?)")

CASES = [
    Case("syntax-error", {"broken.py": b"async def f(:\n    pass\n"}, ["."],
         [("./broken.py", 1, None, "cannot parse: .+")], ["./zz_good.py"], 2),
    Case("syntax-error-no-needle", {"broken.py": b"x = = 1\n"}, ["."], [], ["./zz_good.py"], 1),
    Case("undecodable-utf8", {"latin.py": b"async def f():\n    x = '\xff\xfe'\n"}, ["."],
         [("./latin.py", 2, 10, re.escape("cannot parse: invalid UTF-8 byte 0xff (invalid start byte); "
                                          "a file in another encoding needs a coding cookie"))],
         ["./zz_good.py"], 2),
    Case("undecodable-utf8-no-needle", {"latin.py": b"x = '\xe9t\xe9'\n"}, ["."],
         [("./latin.py", 1, 6, "cannot parse: invalid UTF-8 byte 0xe9 .+")], ["./zz_good.py"], 2),
    Case("unknown-coding-cookie", {"klingon.py": b"#!/usr/bin/env python\n# -*- coding: klingon -*-\nx = 1\n"},
         ["."], [("./klingon.py", 2, 1, re.escape("cannot parse: unknown encoding: klingon"))], ["./zz_good.py"], 2),
    Case("wrong-coding-cookie", {"ascii.py": b"# coding: ascii\nasync def f():\n    x = '\xc3\xa9'\n"}, ["."],
         [("./ascii.py", 3, 10, re.escape("cannot parse: invalid ascii byte 0xc3 (ordinal not in range(128))"))],
         ["./zz_good.py"], 2),
    Case("bom-and-other-cookie", {"bom.py": b"\xef\xbb\xbf# coding: latin-1\nx = 1\n"}, ["."],
         [("./bom.py", 1, 1, ("cannot parse: the file starts with a UTF-8 byte order mark but its coding "
                              "cookie names another encoding"))], ["./zz_good.py"], 2),
    Case("nul-byte", {"nul.py": b"async def f():\n    pass\x00\n"}, ["."],
         [("./nul.py", 2, 9, NUL_MESSAGE)], ["./zz_good.py"], 2),
    Case("binary-with-py-suffix", {"image.py": PNG}, ["."], [("./image.py", 3, 1, NUL_MESSAGE)], ["./zz_good.py"], 2),
    Case("utf16", {"utf16.py": "async def f():\n    pass\n".encode("utf-16")}, ["."],
         [("./utf16.py", 1, 1, "cannot parse: the file is UTF-16 text; .+")], ["./zz_good.py"], 2),
    Case("empty-file", {"empty.py": b"", "blank.py": b"\n\n   \n"}, ["."], [], ["./zz_good.py"], 1),
    # valid Python nested deeper than a recursive walk of the analysis survives (issue 15): an
    # internal error for that file, never a crash of the run; not cached, so the same again
    Case("too-deep-for-the-analysis", {"chain.py": b"async def f(q):\n    return q" + b".m()" * 400 + b"\n"}, ["."],
         [("./chain.py", 1, 1, re.escape("internal error: RecursionError (expressions nested too deeply); "
                                         "this file was not checked"))], ["./zz_good.py"], 2),
    Case("missing-path", {}, [".", "missing.py", "gone/"],
         [("missing.py", 1, 1, "cannot read: No such file or directory"),
          ("gone/", 1, 1, "cannot read: No such file or directory")], ["./zz_good.py"], 2),
    Case("dangling-symlink-named", {"link.py": SYMLINK + "nowhere.py"}, ["link.py", "zz_good.py"],
         [("link.py", 1, 1, "cannot read: No such file or directory")], ["zz_good.py"], 2),
    Case("symlink-to-itself-named", {"self.py": SYMLINK + "self.py"}, ["self.py", "zz_good.py"],
         [("self.py", 1, 1, "cannot read: Too many levels of symbolic links")], ["zz_good.py"], 2),
    # found by a walk, a symlink that points nowhere is not a file: an Emacs lock file, a link to
    # itself; both skipped (ruff reports them as E902)
    Case("dangling-symlinks-walked", {".#app.py": SYMLINK + "root@host.4242:1700000000",
                                      "self.py": SYMLINK + "self.py"}, ["."], [], ["./zz_good.py"], 1),
    Case("symlinked-file-walked", {"pkg/real.py": BLOCKING.encode(), "pkg/alias.py": SYMLINK + "real.py"},
         ["pkg"], [], ["pkg/alias.py", "pkg/real.py"], 1),
    Case("directory-symlink-loop", {"a/inner.py": BLOCKING.encode(), "a/loop": SYMLINK + ".."}, ["."], [],
         ["./a/inner.py", "./zz_good.py"], 1),
    Case("directory-symlink-loop-named-twice",
         {"a/inner.py": BLOCKING.encode(), "a/loop": SYMLINK + ".."}, [".", "a/loop", "a", "a/loop/a/inner.py"], [],
         ["./a/inner.py", "./zz_good.py"], 1),
    Case("same-file-named-twice", {}, ["zz_good.py", "./zz_good.py", "."], [], ["zz_good.py"], 1),
    # a file named explicitly is Python whatever its suffix (as in ruff); a walk takes only *.py
    Case("non-python-file-named", {"notes.txt": BLOCKING.encode()}, [".", "notes.txt"], [],
         ["./zz_good.py", "notes.txt"], 1),
    Case("non-python-file-walked", {"notes.txt": BLOCKING.encode(), "data.json": b"{}", "image.png": PNG},
         ["."], [], ["./zz_good.py"], 1),
    Case("prose-file-named", {"README.md": b"# Service\n\nEvery handler is an async def.\n"}, ["README.md", "zz_good.py"],
         [("README.md", 3, None, "cannot parse: .+")], ["zz_good.py"], 2),
    Case("directory-named-like-a-module", {"pkg.py/inner.py": BLOCKING.encode()}, ["."], [],
         ["./pkg.py/inner.py", "./zz_good.py"], 1),
    Case("fifo-walked", {"pipe.py": FIFO}, ["."], [], ["./zz_good.py"], 1,
         [pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")]),
    Case("unreadable-file", {"secret.py": BLOCKING.encode()}, ["."],
         [("./secret.py", 1, 1, "cannot read: Permission denied")], ["./zz_good.py"], 2,
         [pytest.mark.skipif(IS_ROOT, reason="root reads a chmod 000 file (see the symlink cases)")]),
    Case("unreadable-directory", {"locked/inner.py": BLOCKING.encode()}, ["."],
         [("./locked", 1, 1, "cannot read directory: Permission denied")], ["./zz_good.py"], 2,
         [pytest.mark.skipif(IS_ROOT, reason="root lists a chmod 000 directory (see the in-process test)")]),
]


def build(root: Path, files: dict[str, bytes | str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "zz_good.py").write_text(BLOCKING)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith(SYMLINK):
            os.symlink(content[len(SYMLINK):], path)
        elif content == FIFO:
            os.mkfifo(path)
        else:
            path.write_bytes(content)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input(tmp_path: Path, case: Case):
    root = tmp_path / "project"
    build(root, case.files)
    locked = [root / name for name in ("secret.py", "locked") if case.id.startswith("unreadable")]
    for path in locked:
        if path.exists():
            path.chmod(0)
    try:
        before = snapshot(root)
        runs = 2 if has_cache() else 1  # the second from the warm cache
        outputs = []
        for _ in range(runs):
            proc = fastapi_perf("check", *case.args, cwd=root, cache_dir=tmp_path / "cache", timeout=60)
            errors = error_lines(proc.stderr)
            assert len(errors) == len(case.errors), proc.stderr
            for (path, line, col, message), expected in zip(sorted(errors), sorted(case.errors, key=lambda e: e[0])):
                e_path, e_line, e_col, e_message = expected
                assert (path, line) == (e_path, e_line), proc.stderr
                assert e_col is None or col == e_col, proc.stderr
                assert re.fullmatch(e_message, message), message
            assert sorted(f[0] for f in parse_findings(proc.stdout)) == sorted(case.findings)
            assert proc.returncode == case.exit, proc.stderr
            outputs.append((proc.returncode, proc.stdout, proc.stderr))
            assert snapshot(root) == before, "check wrote in the tree"
        assert all(output == outputs[0] for output in outputs), "the warm cache changed the output"
    finally:
        for path in locked:
            if path.exists():
                path.chmod(0o755)


def test_unreadable_directory_in_process(tmp_path: Path, monkeypatch):
    """The walk reports a directory it cannot list (what chmod 000 does to non-root) and goes on."""
    from flake8_fastapi_perf import discovery

    build(tmp_path, {"locked/inner.py": BLOCKING.encode(), "open/inner.py": BLOCKING.encode()})
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    errors: list[str] = []
    found = list(discovery.iter_python_files([str(tmp_path)], errors))
    assert found == [str(tmp_path / "zz_good.py"), str(tmp_path / "open" / "inner.py")]
    assert errors == [f"{tmp_path / 'locked'}:1:1: FPF000 cannot read directory: Permission denied"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_process_substitution_is_read_once(tmp_path: Path):
    """``fastapi-perf check <(git show HEAD:app.py)``: a pipe can be read only once."""
    (tmp_path / "app.py").write_text(BLOCKING)
    command = f"{shlex.quote(sys.executable)} -m flake8_fastapi_perf.cli check <(cat app.py)"
    proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True,
                          env=command_env(tmp_path / "cache"), timeout=60, check=False)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert [f[1:4] for f in parse_findings(proc.stdout)] == [(4, 5, "FPF101")]


# -- syntax of a newer Python ----------------------------------------------------------------

#: (id, source, the Python that parses it, the construct named)
NEWER = [
    ("type-alias", "type Vector = list[float]\n", (3, 12), "type alias statement"),
    ("type-alias-generic", "class A:\n    type Pair[T] = tuple[T, T]\n", (3, 12), "type alias statement"),
    ("generic-function", "def first[T](items: list[T]) -> T:\n    return items[0]\n", (3, 12),
     "type parameters of a function"),
    ("generic-coroutine", "async def first[T](items: list[T]) -> T:\n    return items[0]\n", (3, 12),
     "type parameters of a function"),
    ("generic-class", "class Box[T]:\n    pass\n", (3, 12), "type parameters of a class"),
    ("generic-class-multiline", "class Box[\n    T,\n]:\n    pass\n", (3, 12), "type parameters of a class"),
    ("fstring-same-quotes", 'name = f"{"a" + "b"}"\n', (3, 12), "an f-string's own quotes nested inside it"),
    ("fstring-same-quotes-subscript", "x = f'{row['id']}'\n", (3, 12), "an f-string's own quotes nested inside it"),
    ("fstring-backslash", "x = f\"{'\\n'.join(lines)}\"\n", (3, 12), "backslash in an f-string expression"),
    ("fstring-comment", "x = f'''{value # the value\n}'''\n", (3, 12), "comment in an f-string expression"),
    ("type-parameter-default", "def f[T = int](x: T) -> T:\n    return x\n", (3, 13), "type parameter default"),
    ("class-type-parameter-default", "class C[T: (int, str) = int]:\n    pass\n", (3, 13), "type parameter default"),
    ("except-star", "try:\n    pass\nexcept* ValueError:\n    pass\n", (3, 11), "except* clause"),
    ("except-without-parentheses", "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", (3, 14),
     "except with several exception types and no parentheses"),
    ("template-string", 'greeting = t"Hello {name}"\n', (3, 14), "template string literal"),
    ("raw-template-string", "pattern = rt'\\d+{suffix}'\n", (3, 14), "template string literal"),
]

#: Syntax errors on every Python: never a "newer Python" hint.
NEVER_NEWER = [
    "x = = 1\n", "def f(:\n    pass\n", 'x = f"{x"\n', "print 'hello'\n", "type X\n", "x = [1, *]\n",
    "try:\n    pass\nexcept ValueError, e:\n    pass\n",  # Python 2, not PEP 758
    "try:\n    pass\nexcept ValueError, TypeError as e:\n    pass\n",  # still needs parentheses in 3.14
    "x = f'{}'\n", "x = f'{a!x}'\n", "class C[:\n    pass\n", "def f[T](:\n    pass\n",
]


@pytest.fixture(scope="module")
def newer_syntax_run(tmp_path_factory) -> tuple[dict[str, str], subprocess.CompletedProcess]:
    """One run of the command over one file per case; each file's error line by file name."""
    root = tmp_path_factory.mktemp("newer")
    for case_id, source, _, _ in NEWER:
        (root / f"{case_id}.py").write_text("import asyncio\n\n\n" + source)  # "async": past the prefilter
    proc = fastapi_perf("check", ".", cwd=root, cache_dir=root.parent / f"{root.name}-cache")
    lines = {}
    for path, line, col, message in error_lines(proc.stderr):
        lines[os.path.basename(path)] = (line, col, message)
    return lines, proc


@pytest.mark.parametrize(
    ("source", "needs", "construct"),
    [pytest.param(source, needs, construct, id=case_id,
                  marks=pytest.mark.skipif(sys.version_info[:2] >= needs, reason=f"Python {RUNNING} parses it"))
     for case_id, source, needs, construct in NEWER],
)
def test_newer_syntax_names_the_python_needed(newer_syntax_run, request, source, needs, construct):
    lines, proc = newer_syntax_run
    assert proc.returncode == 2
    line, col, message = lines[f"{request.node.callspec.id}.py"]
    assert message == (f"cannot parse: this file uses syntax of Python {needs[0]}.{needs[1]}+ ({construct}); "
                       f"the running Python is {RUNNING}")
    with pytest.raises(SyntaxError) as raised:
        ast.parse("import asyncio\n\n\n" + source)
    assert (line, col) == (raised.value.lineno, raised.value.offset)  # where the parser stopped


@pytest.mark.parametrize("source", NEVER_NEWER)
def test_plain_syntax_errors_get_no_newer_python_hint(source: str):
    with pytest.raises(SyntaxError) as raised:
        ast.parse(source)
    assert newer_syntax(raised.value) is None


def test_newer_syntax_hint_always_terminates():
    """Every prefix and every one-character deletion of f-string lines: an answer, fast."""
    lines = ['x = f"{"a" + f\'{b}\'}" + rb"\\x" + t\'{c!r:>{w}}\'\n', "y = f'''{d['k'] # c\n}''' f'{{}}' F'{e=}'\n"]
    started = time.perf_counter()
    for line in lines:
        variants = [line[:n] for n in range(len(line))] + [line[:n] + line[n + 1:] for n in range(len(line))]
        for text in variants:
            exc = SyntaxError("f-string: expecting '}'", ("<x>", 1, 1, text, 1, 2))
            newer_syntax(exc, running=(3, 11))
    assert time.perf_counter() - started < 5


def test_bad_bytes_accepts_what_python_reads():
    for source in (b"", b"x = 1\n", "x = 'caf\xe9'\n".encode(), b"\xef\xbb\xbfx = 1\n",
                   "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n".encode("latin-1"), b"x = 1\r\ny = 2\r"):
        ast.parse(source)
        assert bad_bytes(source) is None, source


# -- a 20 MB generated module ----------------------------------------------------------------

DOC = "Generated endpoint wrapper.\n\n    " + " ".join(
    f"Parameter p{k} is forwarded unchanged to the upstream service." for k in range(4)) + "\n    "


def generated_module(size: int, every: int = 50) -> tuple[str, int]:
    """About ``size`` bytes of generated code (small functions with docstrings, as API clients
    have); every ``every``-th one a coroutine that calls time.sleep.  (source, findings)."""
    parts = ["import asyncio\nimport time\n\n\n"]
    total, i, findings = len(parts[0]), 0, 0
    while total < size:
        if i % every == 0:
            chunk = (f'async def handler_{i}(request):\n    """{DOC}"""\n    time.sleep({i % 7})\n'
                     f"    await asyncio.sleep(0)\n    return {{'n': {i}}}\n\n\n")
            findings += 1
        else:
            chunk = (f'def helper_{i}(value, *, scale={i % 13}):\n    """{DOC}"""\n'
                     f"    # generated code: keep in sync with the schema, version {i}\n"
                     f"    return value * scale + {i}\n\n\n")
        parts.append(chunk)
        total += len(chunk)
        i += 1
    return "".join(parts), findings


def timed_check(path: Path, cache_dir: Path) -> tuple[float, subprocess.CompletedProcess]:
    """The child's CPU time (user + system: steadier than wall time on a shared machine)."""
    before = os.times()
    proc = fastapi_perf("check", "--statistics", "--output-format", "json", path.name,
                        cwd=path.parent, cache_dir=cache_dir, timeout=240)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system), proc


def test_20_mb_module_completes_in_linear_time(tmp_path: Path):
    import json

    small, small_findings = generated_module(5 * 2**20)
    big, big_findings = generated_module(20 * 2**20)
    (tmp_path / "small.py").write_text(small)
    (tmp_path / "big.py").write_text(big)
    assert len(big) >= 20 * 2**20
    small_time, small_proc = timed_check(tmp_path / "small.py", tmp_path / "cache")
    big_time, big_proc = timed_check(tmp_path / "big.py", tmp_path / "cache")
    for proc, findings in ((small_proc, small_findings), (big_proc, big_findings)):
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        assert [(s["code"], s["count"]) for s in json.loads(proc.stdout)] == [("FPF101", findings)]
    # time ~ size ** k: linear is k = 1 (startup makes it a little less); quadratic would be 2
    exponent = math.log(big_time / small_time) / math.log(len(big) / len(small))
    assert exponent < 1.3, (small_time, big_time)


# -- fix: killed mid-run ----------------------------------------------------------------------

SLEEPY = "import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n    await asyncio.sleep(0)\n"
PADDING = "".join(f"\n\ndef helper_{i}(value):\n    return value * {i}\n" for i in range(120))


FIX_MAIN = "import sys; from flake8_fastapi_perf.cli import fix_main; sys.exit(fix_main())"


def start_fix(root: Path, cache_dir: Path, jobs: str = "1") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", FIX_MAIN, "--jobs", jobs, "."],
        cwd=root, env=command_env(cache_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the signal reaches --jobs workers too
    )


def fix_tree(tmp_path: Path, count: int) -> tuple[Path, bytes, bytes]:
    """``count`` copies of a file with one safe fix; (root, original bytes, fixed bytes)."""
    original = (SLEEPY + PADDING).encode()
    one = tmp_path / "one"
    one.mkdir()
    (one / "m.py").write_bytes(original)
    proc = start_fix(one, tmp_path / "cache-one")
    proc.communicate(timeout=120)
    fixed = (one / "m.py").read_bytes()
    assert fixed != original and b"await asyncio.sleep(1)" in fixed
    root = tmp_path / "tree"
    for i in range(count):
        directory = root / f"pkg{i % 10}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"m{i:03}.py").write_bytes(original)
    return root, original, fixed


def interrupt_mid_fix(tmp_path: Path, sig: int, jobs: str = "1", count: int = 300) -> tuple[Path, bytes, bytes, bytes]:
    """Start fixing a large tree, send ``sig`` to its process group as soon as one file has
    changed, wait until every process of the group is gone.

    With one job each file is written as soon as it is fixed (a slow file: the kill lands after
    the first of 300); with ``--jobs`` the main process writes them all once the workers are done
    (``_Run.commit``), so the kill lands in that burst of writes."""
    root, original, fixed = fix_tree(tmp_path, count)
    files = sorted(root.rglob("*.py"))
    proc = start_fix(root, tmp_path / "cache", jobs)
    deadline = time.monotonic() + 120
    try:
        while not any(path.read_bytes() != original for path in files):
            assert proc.poll() is None, "the fix run ended before any file changed"
            assert time.monotonic() < deadline, "no file changed in 120 s"
            time.sleep(0.005)
        os.killpg(proc.pid, sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for _ in range(500):  # workers of --jobs die with the group, a moment later
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    return root, original, fixed, stderr


def assert_old_or_new(root: Path, original: bytes, fixed: bytes) -> tuple[int, list[str]]:
    """Every .py file is byte-equal to its original or to its fully fixed version."""
    new = 0
    for path in sorted(root.rglob("*.py")):
        content = path.read_bytes()
        assert content in (original, fixed), f"{path} is neither old nor new"
        new += content == fixed
    leftovers = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".py")
    return new, leftovers


def assert_only_temporary_files(leftovers: list[str]) -> None:
    """A SIGKILL between a temporary file's creation and its rename leaves it: never a .py file."""
    for name in leftovers:
        assert re.fullmatch(r"pkg\d/\.m\d{3}\.py\.[\w-]+" + re.escape(TEMPORARY_SUFFIX), name), name


def test_fix_killed_mid_run_leaves_every_file_old_or_new(tmp_path: Path):
    root, original, fixed, _ = interrupt_mid_fix(tmp_path, signal.SIGKILL)
    new, leftovers = assert_old_or_new(root, original, fixed)
    assert 0 < new < 300, "the kill did not land mid-run"
    assert_only_temporary_files(leftovers)


def test_fix_with_jobs_killed_while_writing_leaves_every_file_old_or_new(tmp_path: Path):
    root, original, fixed, _ = interrupt_mid_fix(tmp_path, signal.SIGKILL, jobs="2", count=20)  # >= POOL_MIN_FILES
    new, leftovers = assert_old_or_new(root, original, fixed)
    assert new > 0  # the kill came after the first write (when all are written, fine too)
    assert_only_temporary_files(leftovers)


def test_fix_interrupted_mid_run_cleans_up(tmp_path: Path):
    """Ctrl-C (SIGINT to the process group): old-or-new files, no temporary file left, no traceback."""
    root, original, fixed, stderr = interrupt_mid_fix(tmp_path, signal.SIGINT)
    new, leftovers = assert_old_or_new(root, original, fixed)
    assert 0 < new < 300, "the interrupt did not land mid-run"
    assert leftovers == []
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-2000:]


# -- write_atomic ----------------------------------------------------------------------------

def test_write_atomic_keeps_a_symlink(tmp_path: Path):
    (tmp_path / "real.py").write_bytes(b"old\n")
    (tmp_path / "link.py").symlink_to("real.py")
    write_atomic(str(tmp_path / "link.py"), b"new\n", b"old\n")
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "real.py").read_bytes() == b"new\n"
    assert sorted(os.listdir(tmp_path)) == ["link.py", "real.py"]


def test_write_atomic_refuses_when_no_temporary_file_can_be_made(tmp_path: Path, monkeypatch):
    import tempfile

    path = tmp_path / "app.py"
    path.write_bytes(b"old\n")

    def mkstemp(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(WriteRefused, match="cannot write: Read-only file system"):
        write_atomic(str(path), b"new\n", b"old\n")
    assert path.read_bytes() == b"old\n"


def test_write_atomic_long_name_and_mode(tmp_path: Path):
    path = tmp_path / ("m" * 240 + ".py")
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    write_atomic(str(path), b"new\n", b"old\n")
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == [path.name]
