#!/usr/bin/env python3
"""Corpus crash check: run the checker and the fixer over every .py file of pinned real trees.

Run from the repository root with the project's venv (``bench/run.py --crash-check`` calls
:func:`main` with the remaining arguments):

    .venv/bin/python bench/crash_check.py [--tree NAME ...] [--timeout SECONDS] [--slowest N]

For each tree (wheels of open-webui, prefect, gradio, litellm; sdists of fastapi and starlette,
unpacked under bench/.work/trees/NAME/, downloads in bench/.work/dl/):

1. ``fastapi-perf check --no-cache --output-format json --exit-zero TREE``: exit 0/1, or 2 only
   with ``FPF000`` lines for files that really do not parse; no traceback on stderr.
2. ``fastapi-perf-fix --diff --unsafe-fixes TREE``: no traceback, no write.
3. ``fastapi-perf check --fix --unsafe-fixes`` on a scratch copy (bench/.work/crash-scratch/NAME):
   no traceback, every changed file parses and ``compile()``s (when the original did), and the
   counts agree with step 2.  ``FPF000 not fixed: ...`` lines (a file over the fix size limit, too
   deep for LibCST, or that does not compile as it is) are reported as notes, each claim checked.

Every run sets ``FASTAPI_PERF_DEBUG_FIXERS=1`` so that the exceptions the fixer swallows by design
(a fixer bug costs a finding its fix, never the user's file) are printed as ``FPF000 fixer error``
lines; each counts as an exception here.  Prints a markdown table; returns 0 only when clean.
Progress goes to stderr, the report to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
DL = WORK / "dl"
TREES = WORK / "trees"
SCRATCH = WORK / "crash-scratch"

#: The formats step computes fixes (LibCST) only for files up to this size: seconds each beyond.
FORMATS_FIX_LIMIT = 100_000
LINUX_WHEEL = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11")


@dataclass(frozen=True)
class Pin:
    """A pinned corpus tree: a wheel (unzipped) or an sdist (unpacked, every .py file in it)."""
    name: str
    version: str
    sdist: bool = False
    pip_args: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def marker(self) -> str:
        """What .bench-source holds; bench/run.py writes the bare spec for wheels."""
        return self.spec + (" (sdist)" if self.sdist else "")


PINS = [
    Pin("open-webui", "0.12.4"),
    Pin("prefect", "3.9.1"),
    Pin("gradio", "6.31.0"),
    Pin("litellm", "1.109.1", pip_args=LINUX_WHEEL),  # only platform wheels (compiled extras)
    Pin("fastapi", "0.165.0", sdist=True),
    Pin("starlette", "1.10.0", sdist=True),
]

# Run by the venv's interpreter, so that discovery and parsing are those of the tool.
HELPER = r"""
import ast, json, os, sys, warnings
mode = sys.argv[1]
if mode == "files":
    from flake8_fastapi_perf.config import settings_for_directory
    from flake8_fastapi_perf.discovery import iter_python_files
    tree = sys.argv[2]
    errors = []
    files = list(iter_python_files([tree], errors, exclude=settings_for_directory(tree).exclude_patterns()))
    print(json.dumps({"files": files, "errors": errors}))
elif mode == "parse":
    out = {}
    for path in sys.stdin.read().splitlines():
        try:
            with open(path, "rb") as fh:
                source = fh.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(source, path)
            out[path] = None
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OSError) as exc:
            out[path] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    print(json.dumps(out))
elif mode == "compile":  # pairs of lines: original, fixed; the fixed files that do not compile
    out = {}
    lines = sys.stdin.read().splitlines()
    def compiles(path):
        try:
            with open(path, "rb") as fh:
                source = fh.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(source, path, "exec", dont_inherit=True)
            return None
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OSError) as exc:
            return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    for original, fixed in zip(lines[::2], lines[1::2]):
        error = compiles(fixed)
        if error is not None:
            out[fixed] = [error, compiles(original)]
    print(json.dumps(out))
elif mode == "plugin":  # the flake8 path: every file (no prefilter), no project index
    import traceback
    from flake8_fastapi_perf.plugin import Plugin
    count, crashes = 0, []
    for path in sys.stdin.read().splitlines():
        try:
            with open(path, "rb") as fh:
                source = fh.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
            continue
        try:
            count += len(list(Plugin(tree, path).run()))
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[-6:]
            crashes.append([path, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
                            [f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in frames]])
    print(json.dumps({"findings": count, "crashes": crashes}))
elif mode == "formats":  # every output format, per file with findings, fixes computed when small
    import traceback
    from flake8_fastapi_perf.checker import check_source
    from flake8_fastapi_perf.config import Settings
    from flake8_fastapi_perf.fixes.edits import with_fixes
    from flake8_fastapi_perf.output import FORMATS, Finding, Options, project_root
    from flake8_fastapi_perf.output.text import statistics, statistics_json
    from flake8_fastapi_perf.rules import all_rules
    limit = int(sys.argv[2])
    formats = {**FORMATS, "statistics": statistics, "statistics-json": statistics_json}
    options = Options(fixable=frozenset(c for c, r in all_rules().items() if r.fix), show_fix_status=True,
                      root=project_root(os.path.dirname(sys.argv[3])))
    crashes, everything, with_fix = [], [], 0
    def crash(path, what, exc):
        frames = traceback.extract_tb(exc.__traceback__)[-6:]
        crashes.append([path, f"{what}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
                        [f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in frames]])
    for path in sys.stdin.read().splitlines():
        with open(path, "rb") as fh:
            source = fh.read()
        diagnostics = check_source(source, path, Settings()).diagnostics
        if not diagnostics:
            continue
        if len(source) <= limit:
            try:
                diagnostics = with_fixes(source, path, Settings(), diagnostics)
                with_fix += 1
            except Exception as exc:
                crash(path, "with_fixes", exc)
        findings = [Finding(path, d, source) for d in diagnostics]
        everything += findings
        for name, render in formats.items():
            try:
                render(findings, options)
            except Exception as exc:
                crash(path, name, exc)
    for name, render in formats.items():
        try:
            render(everything, options)
        except Exception as exc:
            crash("(all files)", name, exc)
    print(json.dumps({"findings": len(everything), "with_fixes": with_fix, "crashes": crashes}))
"""

# In-process timing of the checker and the fixer per file (--slowest N): where the time goes.
TIMING = r"""
import json, sys, time
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings
from flake8_fastapi_perf.fixes.edits import with_fixes
from flake8_fastapi_perf.fixes.engine import fix_source
rows = []
for path in sys.stdin.read().splitlines():
    source = open(path, "rb").read()
    start = time.perf_counter()
    result = check_source(source, path, Settings())
    checked = time.perf_counter() - start
    fixing = edits = 0.0
    if result.diagnostics:
        start = time.perf_counter()
        fix_source(source, path, Settings(), unsafe=True)
        fixing = time.perf_counter() - start
        start = time.perf_counter()
        with_fixes(source, path, Settings(), result.diagnostics)  # what the json output adds
        edits = time.perf_counter() - start
    rows.append((checked + fixing + edits, checked, fixing, edits, len(result.diagnostics), path))
rows.sort(reverse=True)
print(json.dumps(rows[: int(sys.argv[1])]))
"""

FPF000 = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): FPF000 (?P<what>.*)$")
SUMMARY = re.compile(r"^(?:Would fix|Fixed) (?P<fixed>\d+) findings? \((?P<remaining>\d+) remaining")


def log(msg: str) -> None:
    print(f"[crash-check] {msg}", file=sys.stderr, flush=True)


def venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


# --------------------------------------------------------------------------- trees


def _find_download(pin: Pin) -> Path | None:
    """The downloaded wheel (or sdist) of ``pin`` in bench/.work/dl, if any."""
    stem = re.sub(r"[-_.]+", "_", pin.name).lower() + "-" + pin.version
    suffix = ".tar.gz" if pin.sdist else ".whl"
    for path in sorted(DL.glob("*" + suffix)):
        base = path.name[: -len(suffix)]
        dist, _, rest = base.partition("-")
        version = rest.split("-", 1)[0]
        if re.sub(r"[-_.]+", "_", dist).lower() + "-" + version == stem:
            return path
    return None


def prepare(pin: Pin, python: Path) -> Path:
    """Download (once) and unpack ``pin`` into bench/.work/trees/NAME; return the tree."""
    dest = TREES / pin.name
    marker = dest / ".bench-source"
    if marker.exists() and marker.read_text().strip() == pin.marker:
        return dest
    DL.mkdir(parents=True, exist_ok=True)
    archive = _find_download(pin)
    if archive is None:
        log(f"downloading {pin.marker}")
        binary = ("--no-binary", ":all:") if pin.sdist else ("--only-binary", ":all:")
        subprocess.run([str(python), "-m", "pip", "download", "--no-deps", *binary, *pin.pip_args,
                        "--disable-pip-version-check", "-q", pin.spec, "-d", str(DL)], check=True)
        archive = _find_download(pin)
        if archive is None:
            raise SystemExit(f"pip downloaded nothing usable for {pin.marker} into {DL}")
    log(f"unpacking {archive.name} into {dest.relative_to(REPO)}")
    shutil.rmtree(dest, ignore_errors=True)
    if pin.sdist:
        staging = dest.with_name(dest.name + ".unpacking")
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(archive) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(staging, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                tf.extractall(staging)
        tops = list(staging.iterdir())
        (tops[0] if len(tops) == 1 and tops[0].is_dir() else staging).rename(dest)
        shutil.rmtree(staging, ignore_errors=True)
    else:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    marker.write_text(pin.marker + "\n")
    return dest


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    """One subprocess: its output, exit code and wall time (timed_out when it was killed)."""
    cmd: list[str]
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def label(self) -> str:
        return " ".join(Path(self.cmd[0]).name if i == 0 else c for i, c in enumerate(self.cmd))


def execute(cmd: list, timeout: float, cwd: Path = WORK, env: dict | None = None, stdin: str | None = None) -> Run:
    """Run ``cmd`` in its own process group; on timeout kill that group (workers included)."""
    cmd = [str(c) for c in cmd]
    run = Run(cmd)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        run.timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    run.seconds = time.perf_counter() - start
    run.returncode = proc.returncode
    run.stdout = out.decode("utf-8", "replace")
    run.stderr = err.decode("utf-8", "replace")
    return run


@dataclass
class Result:
    """Everything measured on one tree."""
    pin: Pin
    tree: Path
    files: int = 0
    lines: int = 0
    findings: int | None = None
    plugin_findings: int | None = None  # the flake8 plugin's (no cross-module FPF107)
    would_fix: int | None = None
    fixed: int | None = None
    remaining: int | None = None
    diff_files: int | None = None
    changed_files: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    unparsable: list[str] = field(default_factory=list)  # FPF000 for files that really do not parse
    exceptions: list[str] = field(default_factory=list)  # tracebacks, fixer errors, timeouts, bad exits
    parse_failures: list[str] = field(default_factory=list)  # fixed files that no longer parse or compile
    mismatches: list[str] = field(default_factory=list)  # --diff and --fix disagree
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.exceptions or self.parse_failures or self.mismatches)


class Checker:
    def __init__(self, bin_dir: Path, timeout: float, jobs: int | None) -> None:
        self.bin = bin_dir
        self.python = bin_dir / "python"
        self.timeout = timeout
        self.env = {**os.environ, "FASTAPI_PERF_DEBUG_FIXERS": "1", "PYTHONFAULTHANDLER": "1"}
        help_text = subprocess.run([str(bin_dir / "fastapi-perf"), "check", "--help"], check=False,
                                   capture_output=True,
                                   text=True).stdout
        self.extra: list[str] = []
        if "--no-cache" in help_text:
            self.extra.append("--no-cache")
        else:
            log("fastapi-perf check has no --no-cache yet; running without it")
        if jobs is not None:
            if "--jobs" in help_text:
                self.extra += ["--jobs", str(jobs)]
            else:
                log("fastapi-perf check has no --jobs yet; ignoring --jobs")

    def helper(self, *args: str, stdin: str | None = None, result: Result | None = None) -> dict:
        """Run a HELPER mode; with ``result``, a failure or a swallowed fixer exception is recorded there."""
        run = execute([self.python, "-c", HELPER, *args], self.timeout, env=self.env, stdin=stdin)
        if run.returncode != 0 or run.timed_out:
            if result is None:
                raise SystemExit(f"helper {args[0]} failed:\n{run.stderr}")
            tail = (run.stderr.strip().splitlines() or [""])[-12:]
            why = "timed out" if run.timed_out else f"exit {run.returncode}"
            result.exceptions.append(f"{args[0]} (in process): {why}:\n" + "\n".join("      " + t for t in tail))
            return {}
        if result is not None:
            for m in map(FPF000.match, run.stderr.splitlines()):
                if m and "fixer error" in m["what"]:
                    result.exceptions.append(f"{args[0]} (in process): {m.group(0)}")
        return json.loads(run.stdout)

    def parse_errors(self, paths: list[str]) -> dict[str, str | None]:
        return self.helper("parse", stdin="\n".join(paths)) if paths else {}

    def run_tool(self, result: Result, step: str, cmd: list) -> Run | None:
        """Run one tool command; record tracebacks, timeouts, bad exits and FPF000 lines."""
        log(f"{result.pin.name}: {step}: {' '.join(str(c) for c in cmd[1:])}")
        run = execute(cmd, self.timeout, env=self.env)
        result.seconds[step] = run.seconds
        log(f"{result.pin.name}: {step}: exit {run.returncode} in {run.seconds:.1f} s")
        where = f"{step}"
        if run.timed_out:
            result.exceptions.append(f"{where}: timed out after {self.timeout:.0f} s (killed); "
                                     f"use --slowest N to find the slow files")
            return None
        if "Traceback (most recent call last)" in run.stderr:
            tail = run.stderr[run.stderr.index("Traceback (most recent call last)"):].strip().splitlines()
            result.exceptions.append(f"{where}: traceback: {tail[-1] if tail else ''}\n"
                                     + "\n".join("      " + t for t in tail[-12:]))
        if "Fatal Python error" in run.stderr:
            result.exceptions.append(f"{where}: fatal error: {run.stderr.strip().splitlines()[-1]}")
        if run.returncode not in (0, 1, 2):
            result.exceptions.append(f"{where}: exit {run.returncode}: {(run.stderr.strip().splitlines() or [''])[-1]}")
        errors = [m for m in map(FPF000.match, run.stderr.splitlines()) if m]
        for m in errors:
            what = m["what"]
            if "fixer error" in what or "cannot fix" in what or "fix produced" in what:
                result.exceptions.append(f"{where}: {m.group(0)}")
        parse_claims = [m for m in errors if m["what"].startswith("cannot parse")]
        not_fixed = [m for m in errors if m["what"].startswith("not fixed:")]
        for m in not_fixed:  # the fixer's documented refusals: a limit, not a crash
            if "does not compile" in m["what"]:
                verdict = self.helper("compile", stdin=f"{m['path']}\n{m['path']}\n")
                if not verdict:
                    result.exceptions.append(f"{where}: 'does not compile' for a file that compiles: {m.group(0)}")
                    continue
            if step == "fix":
                result.notes.append(f"not fixed: {self.rel(result, m['path'])}: {m['what'][len('not fixed: '):]}")
        other = [m for m in errors if m not in parse_claims and m not in not_fixed and not any(
            s in m["what"] for s in ("fixer error", "cannot fix", "fix produced"))]
        for m in other:  # cannot read, analysis stopped, not written: the file was not checked/fixed
            result.exceptions.append(f"{where}: {m.group(0)}")
        if parse_claims:
            verdict = self.parse_errors(sorted({m["path"] for m in parse_claims}))
            for m in parse_claims:
                path = m["path"]
                if verdict.get(path) is None:
                    result.exceptions.append(f"{where}: FPF000 for a file that parses: {m.group(0)}")
                elif step == "check":
                    result.unparsable.append(f"{self.rel(result, path)}:{m['line']}: {m['what']}")
        if run.returncode == 2 and not errors:
            result.exceptions.append(f"{where}: exit 2 without an FPF000 line: "
                                     f"{(run.stderr.strip().splitlines() or [''])[-1]}")
        return run

    @staticmethod
    def rel(result: Result, path: str) -> str:
        for base in (result.tree, SCRATCH / result.pin.name):
            try:
                return str(Path(path).resolve().relative_to(base.resolve()))
            except ValueError:
                continue
        return path

    def check_tree(self, pin: Pin, tree: Path, slowest: int) -> Result:
        result = Result(pin, tree)
        listing = self.helper("files", str(tree))
        files = listing["files"]
        result.files = len(files)
        for path in files:
            data = Path(path).read_bytes()
            result.lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        log(f"{pin.name}: {result.files} files, {result.lines} lines")
        fp, fix = self.bin / "fastapi-perf", self.bin / "fastapi-perf-fix"

        # 1. check
        run = self.run_tool(result, "check", [fp, "check", *self.extra, "--output-format", "json",
                                              "--exit-zero", tree])
        if run is not None:
            try:
                result.findings = len(json.loads(run.stdout or "[]"))
            except json.JSONDecodeError as exc:
                result.exceptions.append(f"check: stdout is not JSON ({exc})")

        # 1b. every file, prefilter off: same findings; the flake8 plugin's path, in process
        run = self.run_tool(result, "no-prefilter", [fp, "check", *self.extra, "--no-prefilter", "--quiet",
                                                     "--exit-zero", tree])
        if run is not None and result.findings is not None:
            count = sum(1 for line in run.stdout.splitlines() if re.search(r":\d+:\d+: FPF\d{3} ", line))
            if count != result.findings:
                result.mismatches.append(f"findings: {result.findings} with the prefilter, {count} with --no-prefilter")
        log(f"{pin.name}: flake8 plugin, in process, every file")
        start = time.perf_counter()
        plugin = self.helper("plugin", stdin="\n".join(files), result=result)
        result.seconds["plugin"] = time.perf_counter() - start
        result.plugin_findings = plugin.get("findings")
        for path, error, frames in plugin.get("crashes", []):
            result.exceptions.append(f"flake8 plugin: {self.rel(result, path)}: {error} ({' <- '.join(reversed(frames))})")

        # 1c. every output format (and statistics), in process, on the files with findings
        log(f"{pin.name}: every output format, in process")
        start = time.perf_counter()
        formats = self.helper("formats", str(FORMATS_FIX_LIMIT), str(tree / "x"), stdin="\n".join(files),
                              result=result)
        result.seconds["formats"] = time.perf_counter() - start
        for path, error, frames in formats.get("crashes", []):
            result.exceptions.append(f"output: {self.rel(result, path)}: {error} ({' <- '.join(reversed(frames))})")
        if formats and result.findings is not None and formats["findings"] != result.findings:
            result.notes.append(f"output formats: {formats['findings']} findings without the project index "
                                f"(check: {result.findings})")

        # 2. fastapi-perf-fix --diff --unsafe-fixes (writes nothing)
        before = {path: os.stat(path).st_mtime_ns for path in files}
        run = self.run_tool(result, "diff", [fix, "--diff", "--unsafe-fixes", *self.extra, tree])
        diff_paths: set[str] = set()
        if run is not None:
            diff_paths = {self.rel(result, line[6:].rstrip("\n"))
                          for line in run.stdout.splitlines() if line.startswith("+++ b/")}
            result.diff_files = len(diff_paths)
            summary = [m for m in map(SUMMARY.match, run.stderr.splitlines()) if m]
            if summary:
                result.would_fix = int(summary[-1]["fixed"])
            touched = [p for p in files if os.stat(p).st_mtime_ns != before[p]]
            if touched:
                result.exceptions.append(f"diff: --diff wrote {len(touched)} files, e.g. {touched[0]}")

        # 3. check --fix --unsafe-fixes on a scratch copy; every changed file must parse
        copy = SCRATCH / pin.name
        shutil.rmtree(copy, ignore_errors=True)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tree, copy, symlinks=True)
        run = self.run_tool(result, "fix", [fp, "check", "--fix", "--unsafe-fixes", *self.extra,
                                            "--output-format", "json", "--exit-zero", copy])
        if run is not None:
            summary = [m for m in map(SUMMARY.match, run.stderr.splitlines()) if m]
            if summary:
                result.fixed = int(summary[-1]["fixed"])
                result.remaining = int(summary[-1]["remaining"])
            changed = []
            for path in files:
                relative = Path(path).resolve().relative_to(tree.resolve())
                if (copy / relative).read_bytes() != Path(path).read_bytes():
                    changed.append(str(copy / relative))
            result.changed_files = len(changed)
            for path, error in self.parse_errors(changed).items():
                if error is not None:
                    result.parse_failures.append(f"{self.rel(result, path)}: {error}")
            pairs = []
            for path in changed:
                original = tree / Path(path).resolve().relative_to(copy.resolve())
                pairs += [str(original), path]
            for path, (error, before) in (self.helper("compile", stdin="\n".join(pairs)) if pairs else {}).items():
                if before is None:  # the original compiled: the fix broke it
                    result.parse_failures.append(f"{self.rel(result, path)}: does not compile after the fix: {error}")
            changed_rel = {self.rel(result, p) for p in changed}
            if result.diff_files is not None and changed_rel != diff_paths:
                only_diff = sorted(diff_paths - changed_rel)
                only_fix = sorted(changed_rel - diff_paths)
                result.mismatches.append(f"files: --diff shows {len(diff_paths)}, --fix changed {len(changed_rel)}"
                                         f" (only in --diff: {only_diff[:5]}; only by --fix: {only_fix[:5]})")
            if result.would_fix is not None and result.fixed is not None and result.would_fix != result.fixed:
                result.mismatches.append(f"fixes: --diff would fix {result.would_fix}, --fix fixed {result.fixed}")
        if result.clean:
            shutil.rmtree(copy, ignore_errors=True)  # kept when something is wrong, to look at
        else:
            result.notes.append(f"scratch copy kept in {copy.relative_to(REPO)}")

        if slowest:
            log(f"{pin.name}: timing every file in process (--slowest {slowest})")
            run = execute([self.python, "-c", TIMING, str(slowest)], self.timeout, stdin="\n".join(files))
            if run.returncode == 0:
                for total, checked, fixing, edits, count, path in json.loads(run.stdout):
                    result.notes.append(f"slow: {self.rel(result, path)}: {total:.1f} s (check {checked:.2f} s, "
                                        f"fix {fixing:.1f} s, fix edits for json {edits:.1f} s, {count} findings)")
            else:
                result.notes.append(f"--slowest failed: {(run.stderr.strip().splitlines() or [''])[-1]}"
                                    + (" (timed out)" if run.timed_out else ""))
        return result


# --------------------------------------------------------------------------- report


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def render(results: list[Result]) -> str:
    steps = ("check", "no-prefilter", "plugin", "formats", "diff", "fix")
    out = ["| tree | files | lines | findings | flake8 plugin findings | fixed (unsafe incl.) | files changed "
           "| remaining | unparsable inputs | parse failures | exceptions | "
           + " | ".join(f"{s} s" for s in steps) + " |",
           "|---|" + "---:|" * (10 + len(steps))]

    def row(label: str, rs: list[Result]) -> str:
        def total(attr: str) -> str:
            values = [getattr(r, attr) for r in rs]
            return "?" if any(v is None for v in values) else f"{sum(values):,}"
        secs = [f"{sum(r.seconds[s] for r in rs):.1f}" if all(s in r.seconds for r in rs) else "" for s in steps]
        counts = [sum(len(getattr(r, a)) for r in rs) for a in ("unparsable", "parse_failures", "exceptions")]
        return (f"| {label} | {sum(r.files for r in rs):,} | {sum(r.lines for r in rs):,} | {total('findings')} "
                f"| {total('plugin_findings')} | {total('fixed')} | {total('changed_files')} | {total('remaining')} "
                f"| {' | '.join(map(str, counts))} | {' | '.join(secs)} |")

    out += [row(r.pin.marker, [r]) for r in results]
    if len(results) > 1:
        out.append(row("**total**", results))
    details = []
    for r in results:
        items = ([f"- unparsable input (FPF000, really does not parse): {u}" for u in r.unparsable]
                 + [f"- **exception**: {e}" for e in r.exceptions]
                 + [f"- **fixed file does not parse**: {p}" for p in r.parse_failures]
                 + [f"- **mismatch**: {m}" for m in r.mismatches]
                 + [f"- {n}" for n in r.notes])
        if items:
            details += ["", f"#### {r.pin.marker}", *items]
    verdict = "clean" if all(r.clean for r in results) else "**NOT clean**"
    legend = ("\nfindings / check s: `fastapi-perf check --output-format json` (which also computes each fix's edits); "
              "no-prefilter s: `check --no-prefilter` (must find the same); flake8 plugin: `Plugin(tree).run()` in "
              "process on every file (no project index, so no cross-module FPF107); formats s: every output format and "
              f"--statistics rendered in process for each file with findings (with fixes up to {FORMATS_FIX_LIMIT:,} "
              "bytes); diff s: `fastapi-perf-fix --diff "
              "--unsafe-fixes`; fixed / files changed / remaining / fix s: `check --fix --unsafe-fixes` on a copy, "
              "every changed file `ast.parse`d and `compile()`d (a failure counts when the original compiled). Every run with FASTAPI_PERF_DEBUG_FIXERS=1 (swallowed fixer "
              "exceptions count as exceptions).")
    return "\n".join([f"### Crash check: {verdict}", "", *out, legend, *details]) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="crash_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", action="append", choices=[pin.name for pin in PINS], metavar="NAME",
                   help=f"only these trees (repeatable; default all: {', '.join(p.name for p in PINS)})")
    p.add_argument("--timeout", type=float, default=1800, metavar="SECONDS",
                   help="kill any single run after this long and report it (default 1800)")
    p.add_argument("--slowest", type=int, default=0, metavar="N",
                   help="also time the checker and the fixer per file in process; report the N slowest")
    p.add_argument("--jobs", type=int, metavar="N", help="pass --jobs N to fastapi-perf (if it has it)")
    p.add_argument("--venv", type=Path, default=REPO / ".venv",
                   help="venv with fastapi-perf installed (default: .venv)")
    p.add_argument("--markdown", type=Path, metavar="FILE", help="also write the report to FILE")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    bin_dir = venv_bin(args.venv.absolute())
    if not (bin_dir / "fastapi-perf").exists():
        raise SystemExit(f"no fastapi-perf in {bin_dir}; create the venv or pass --venv")
    WORK.mkdir(parents=True, exist_ok=True)
    pins = [pin for pin in PINS if not args.tree or pin.name in args.tree]
    trees = [(pin, prepare(pin, bin_dir / "python")) for pin in pins]
    checker = Checker(bin_dir, args.timeout, args.jobs)
    results = []
    for pin, tree in trees:
        results.append(checker.check_tree(pin, tree, args.slowest))
    report = render(results)
    print(report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report, encoding="utf-8")
    return 0 if all(r.clean for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
