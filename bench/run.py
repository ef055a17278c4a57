#!/usr/bin/env python3
"""Benchmark flake8-fastapi-perf on pinned real-world trees.

Run from the repository root with the project's venv:

    .venv/bin/python bench/run.py [--tree NAME==VERSION ...] [--path DIR ...]
                                  [--repeat N] [--only NAME ...] [--markdown FILE]

Everything downloaded or built lives in bench/.work/ (gitignored). Progress goes to
stderr; the markdown report goes to stdout (and to --markdown FILE with machine info).
Each measurement is a function in MEASUREMENTS that returns rows; add new ones there.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import re
import shlex
import shutil
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
DEFAULT_TREES = ["open-webui==0.12.4"]  # also pinned and known to work: khoj==1.42.10
FLAKE8_PINS = ("flake8", "pycodestyle", "pyflakes", "mccabe")  # copied into venv-noplugin
FLAKE8_EXCLUDE = (".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs",
                  "*.egg")  # flake8's default --exclude

# Reads and parses every file named in argv[1]: the floor any AST-based checker pays.
AST_BASELINE = r"""
import ast, sys
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as f:
        source = f.read()
    try:
        ast.parse(source, path)
    except (SyntaxError, ValueError):
        pass
"""


PLUGIN_TIME = r"""
import ast, sys, time
from flake8_fastapi_perf.plugin import Plugin
spent = 0.0
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError):
        continue
    start = time.perf_counter()
    list(Plugin(tree, path).run())
    spent += time.perf_counter() - start
print(spent)
"""


def log(msg: str) -> None:
    """Print a progress line to stderr (stdout is reserved for the report)."""
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a setup command, failing loudly; returns the completed process (text mode)."""
    return subprocess.run([str(c) for c in cmd], check=True, text=True, **kwargs)


# --------------------------------------------------------------------------- setup


def venv_bin(venv: Path) -> Path:
    """Directory holding a venv's executables."""
    return venv / ("Scripts" if os.name == "nt" else "bin")


def installed_versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    """Versions of the given distributions as installed for interpreter `python`."""
    code = ("import importlib.metadata as m, json, sys\n"
            "out = {}\n"
            "for n in sys.argv[1:]:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    return json.loads(run([python, "-c", code, *names], capture_output=True).stdout)


def ensure_noplugin_venv(bin_dir: Path) -> Path:
    """Create (once) bench/.work/venv-noplugin: same flake8 stack, no FPF plugin; return its bin."""
    venv = WORK / "venv-noplugin"
    pins = [f"{n}=={v}" for n, v in installed_versions(bin_dir / "python", FLAKE8_PINS).items()]
    key = "\n".join([*pins, python_version(bin_dir)])  # rebuilt when any of these change
    marker = venv / "bench-pins.txt"
    if marker.exists() and marker.read_text() == key:
        return venv_bin(venv)
    log(f"creating {venv.relative_to(REPO)} with {' '.join(pins)}")
    shutil.rmtree(venv, ignore_errors=True)
    run([bin_dir / "python", "-m", "venv", venv])
    run([venv_bin(venv) / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
         *pins])
    if "fastapi-perf" in flake8_version(venv_bin(venv)):
        sys.exit("venv-noplugin unexpectedly has the FPF plugin")
    marker.write_text(key)
    return venv_bin(venv)


def find_wheel(directory: Path, name: str, version: str) -> Path | None:
    """The downloaded wheel for name==version in `directory`, if any."""
    prefix = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"
    matches = [p for p in directory.glob("*.whl") if p.name.lower().startswith(prefix)]
    return matches[0] if matches else None


def prepare_tree(spec: str, bin_dir: Path) -> Path:
    """Download the wheel for NAME==VERSION (once) and unzip it into bench/.work/trees/NAME."""
    name, sep, version = spec.partition("==")
    if not (sep and name and version):
        sys.exit(f"--tree wants NAME==VERSION, got {spec!r}")
    dest = WORK / "trees" / name
    marker = dest / ".bench-source"
    if marker.exists() and marker.read_text().strip() == spec:
        return dest
    dl = WORK / "dl"
    wheel = find_wheel(dl, name, version)
    if wheel is None:
        log(f"downloading {spec}")
        run([bin_dir / "python", "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--disable-pip-version-check", "-q", spec, "-d", dl])
        wheel = find_wheel(dl, name, version)
        if wheel is None:
            sys.exit(f"pip downloaded no wheel for {spec} into {dl}")
    log(f"unzipping {wheel.name} into {dest.relative_to(REPO)}")
    shutil.rmtree(dest, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    marker.write_text(spec + "\n")
    return dest


def python_files(tree: Path) -> list[Path]:
    """The .py files flake8 would find under `tree` with its default --exclude, sorted.

    fastapi-perf check also skips build/, dist/, venv dirs and the like; on the pinned
    wheel trees both walks find the same files.
    """
    found = []
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in FLAKE8_EXCLUDE))
        found += [Path(root, f) for f in sorted(files) if f.endswith(".py")]
    return found


def count_lines(files: list[Path]) -> int:
    """Total number of lines in `files` (also warms the OS file cache before timing)."""
    total = 0
    for path in files:
        data = path.read_bytes()
        total += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return total


def flake8_version(bin_dir: Path) -> str:
    """`flake8 --version` on one line (it lists the loaded plugins), or why it failed."""
    proc = subprocess.run([str(bin_dir / "flake8"), "--version"], capture_output=True, text=True)
    if proc.returncode:
        return f"unavailable (`flake8 --version` exited {proc.returncode})"
    return " ".join(proc.stdout.split())


def python_version(bin_dir: Path) -> str:
    """Implementation and version of the venv's interpreter, e.g. 'CPython 3.11.7'."""
    code = "import platform; print(platform.python_implementation(), platform.python_version())"
    return run([bin_dir / "python", "-c", code], capture_output=True).stdout.strip()


def tool_version(bin_dir: Path) -> str:
    """`fastapi-perf --version` if the command has it, else the installed distribution version."""
    try:
        proc = subprocess.run([str(bin_dir / "fastapi-perf"), "--version"], capture_output=True,
                              text=True, timeout=60)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    versions = installed_versions(bin_dir / "python", ("flake8-fastapi-perf",))
    return versions.get("flake8-fastapi-perf", "not installed") + " (from package metadata)"


# --------------------------------------------------------------------------- timing


@dataclass
class Spec:
    """One command to time; `baseline` names the row its ratio is taken against."""
    name: str
    cmd: list
    baseline: str | None = None
    target: float | None = None  # maximum acceptable ratio to the baseline
    ok_codes: tuple[int, ...] = (0, 1)  # 1 = findings, normal for linters
    note: str = ""  # printed under the table
    skip: str = ""  # if set, not run; reported as this error
    reports_seconds: bool = False  # the command prints the seconds to report as its last line


@dataclass
class Row:
    """One line of the report: a measured command (or an error) and how it compares."""
    spec: Spec
    runs: list[float] = field(default_factory=list)
    cpu_runs: list[float] = field(default_factory=list)  # user+system CPU of the process tree
    error: str = ""

    @property
    def seconds(self) -> float | None:
        return statistics.median(self.runs) if self.runs and not self.error else None

    @property
    def cpu_seconds(self) -> float | None:
        return statistics.median(self.cpu_runs) if self.cpu_runs and not self.error else None


@dataclass
class Bench:
    """What every measurement function gets: the tree, its files and the tools to run."""
    label: str
    tree: Path
    files: list[Path]
    lines: int
    bin: Path  # the project venv (plugin and fastapi-perf installed)
    noplugin_bin: Path
    repeat: int

    def time_all(self, specs: list[Spec]) -> list[Row]:
        """Time each spec `repeat` times, interleaving rounds so drift hits all alike."""
        rows = [Row(s, error=s.skip) for s in specs]
        for i in range(self.repeat):
            for row in rows:
                if row.error:
                    continue
                log(f"{self.label}: {row.spec.name} (run {i + 1}/{self.repeat})")
                row.runs.append(self._time_once(row))
        return rows

    def _time_once(self, row: Row) -> float:
        """Wall time of one run; records an error on the row when the command fails."""
        cmd = [str(c) for c in row.spec.cmd]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE if row.spec.reports_seconds else subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, cwd=WORK)
        except OSError as exc:
            row.error = f"cannot run: {exc.strerror}"
            return 0.0
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        row.cpu_runs.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if row.spec.reports_seconds and proc.returncode == 0:
            elapsed = float(proc.stdout.decode().strip().splitlines()[-1])
            row.cpu_runs[-1] = elapsed
        stderr = proc.stderr.decode(errors="replace")
        last = (stderr.strip().splitlines() or [""])[-1][:120]
        if proc.returncode not in row.spec.ok_codes:
            row.error = f"exit {proc.returncode}: {last}"
        elif "Traceback (most recent call last)" in stderr:  # a crash can still exit 1
            row.error = f"crashed: {last}"
        return elapsed


# --------------------------------------------------------------------------- measurements


def measure_flake8(b: Bench) -> list[Row]:
    """flake8 with the plugin vs the same flake8 without it, at -j1 and default jobs.

    --select FPF does not skip pycodestyle/pyflakes (flake8 runs every plugin and filters
    the output), so the fair overhead figure is default select, plugin vs no plugin.
    """
    ours, bare = b.bin / "flake8", b.noplugin_bin / "flake8"
    common = ["--isolated", b.tree]  # --isolated: no config from the repo above the tree
    loaded = "flake8-fastapi-perf" in flake8_version(b.bin)
    skip = "" if loaded else "plugin not loaded by flake8"
    return b.time_all([
        Spec("flake8 -j1, no plugin", [bare, "-j1", *common],
             note="every flake8 run uses `--isolated`; venv-noplugin pins the same flake8, "
                  "pycodestyle, pyflakes and mccabe versions"),
        Spec("flake8 -j1, plugin", [ours, "-j1", *common], "flake8 -j1, no plugin", 1.15,
             skip=skip),
        Spec("flake8 -j1 --select FPF, plugin", [ours, "-j1", "--select", "FPF", *common],
             "flake8 -j1, no plugin", skip=skip,
             note="pycodestyle and pyflakes still run under --select FPF; "
                  "the overhead figure is default select, plugin vs no plugin"),
        Spec("plugin run() time, in process", [b.bin / "python", "-c", PLUGIN_TIME, file_list(b)],
             "flake8 -j1, no plugin", 0.15, ok_codes=(0,), reports_seconds=True,
             note="the time spent in the plugin's run() over every file, given the tree flake8 already "
                  "parsed (what the plugin adds to flake8's own work), against flake8 without the plugin; "
                  "immune to noise from other processes"),
        Spec("flake8 (default jobs), no plugin", [bare, *common]),
        Spec("flake8 (default jobs), plugin", [ours, *common], "flake8 (default jobs), no plugin",
             1.15, skip=skip),
    ])


def file_list(b: Bench) -> Path:
    """A text file listing the tree's Python files, one per line."""
    path = WORK / f"files-{b.tree.name}.txt"
    path.write_text("".join(f"{p}\n" for p in b.files), encoding="utf-8")
    return path


def measure_cli(b: Bench) -> list[Row]:
    """fastapi-perf check, with and without its byte prefilter, vs read + ast.parse of each file."""
    base = "ast.parse baseline"
    cli = b.bin / "fastapi-perf"
    return b.time_all([
        Spec(base, [b.bin / "python", "-c", AST_BASELINE, file_list(b)], ok_codes=(0,),
             note=f"one `python -c` process (same interpreter) reading the bytes of and "
                  f"`ast.parse`-ing the same {len(b.files)} files"),
        Spec("fastapi-perf check", [cli, "check", b.tree], base, 2.0),
        Spec("fastapi-perf check --no-prefilter", [cli, "check", "--no-prefilter", b.tree],
             base, 2.0),
    ])


MEASUREMENTS: dict[str, Callable[[Bench], list[Row]]] = {
    "flake8": measure_flake8,
    "cli": measure_cli,
}


# --------------------------------------------------------------------------- report


def render_table(b: Bench, rows: list[Row]) -> str:
    """Markdown section for one tree: header with its size, then one table row per Row."""
    by_name = {r.spec.name: r for r in rows}
    out = [f"### {b.label}: {len(b.files):,} files, {b.lines:,} lines", "",
           "| measurement | median wall s | ratio (wall) | median CPU s | ratio (CPU) | target | met? |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        s = row.spec
        if row.seconds is not None:
            secs = f"{row.seconds:.2f}"
        else:
            secs = f"error ({row.error})".replace("|", "\\|")
        ratio = cpu_ratio = target = met = ""
        cpu = f"{row.cpu_seconds:.2f}" if row.cpu_seconds is not None else ""
        base = by_name.get(s.baseline) if s.baseline else None
        if base and row.seconds is not None and base.seconds:
            r = row.seconds / base.seconds
            ratio = f"{r:.2f}× vs {s.baseline}"
            if row.cpu_seconds is not None and base.cpu_seconds:
                cpu_ratio = f"{row.cpu_seconds / base.cpu_seconds:.2f}×"
            if s.target is not None:
                met = "yes" if r <= s.target else "**no**"
        if s.target is not None:
            target = f"≤ {s.target:g}×"
        out.append(f"| {s.name} | {secs} | {ratio} | {cpu} | {cpu_ratio} | {target} | {met} |")
    notes = [f"- {r.spec.name}: {r.spec.note}" for r in rows if r.spec.note]
    return "\n".join(out + ([""] + notes if notes else []))


def machine_info(bin_dir: Path, noplugin_bin: Path | None, argv: list[str]) -> str:
    """Markdown bullet list describing the machine and tool versions."""
    lines = [
        f"- command: `python bench/run.py {shlex.join(argv)}`",
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- platform: {platform.platform()}",
        f"- CPUs: {os.cpu_count()}",
        f"- Python: {python_version(bin_dir)}",
        f"- flake8 (plugin venv): {flake8_version(bin_dir)}",
    ]
    if noplugin_bin:
        lines.append(f"- flake8 (no-plugin venv): {flake8_version(noplugin_bin)}")
    lines.append(f"- flake8-fastapi-perf: {tool_version(bin_dir)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", action="append", metavar="NAME==VERSION",
                   help=f"PyPI wheel to benchmark on (repeatable; default {DEFAULT_TREES[0]})")
    p.add_argument("--path", action="append", type=Path, metavar="DIR",
                   help="existing directory to benchmark on (repeatable)")
    p.add_argument("--repeat", type=int, default=3, metavar="N",
                   help="runs per command, the median is reported (default 3)")
    p.add_argument("--only", action="append", choices=list(MEASUREMENTS),
                   help="run only these measurements (repeatable; default all)")
    p.add_argument("--markdown", type=Path, metavar="FILE",
                   help="also write the report, with machine info, to FILE")
    p.add_argument("--venv", type=Path, default=REPO / ".venv",
                   help="venv with flake8, the plugin and fastapi-perf (default: .venv)")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Prepare trees and venvs, run the selected measurements, print (and write) the report."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    bin_dir = venv_bin(args.venv.absolute())
    if not (bin_dir / "python").exists():
        sys.exit(f"no python in {bin_dir}; create the venv or pass --venv")
    WORK.mkdir(parents=True, exist_ok=True)
    selected = args.only or list(MEASUREMENTS)
    noplugin_bin = ensure_noplugin_venv(bin_dir) if "flake8" in selected else None

    specs = args.tree or ([] if args.path else DEFAULT_TREES)
    targets = [(spec, prepare_tree(spec, bin_dir)) for spec in specs]
    targets += [(str(p), p.resolve()) for p in args.path or []]

    sections, failed = [], False
    for label, tree in targets:
        if not tree.is_dir():
            sys.exit(f"not a directory: {tree}")
        files = python_files(tree)
        b = Bench(label, tree, files, count_lines(files), bin_dir, noplugin_bin or bin_dir,
                  args.repeat)
        log(f"{label}: {len(files)} files, {b.lines} lines")
        rows = [row for name in selected for row in MEASUREMENTS[name](b)]
        failed |= any(r.error for r in rows)
        sections.append(render_table(b, rows))

    report = "\n\n".join(sections) + "\n"
    info = machine_info(bin_dir, noplugin_bin, argv)
    print(info + "\n\n" + report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(f"## Benchmark run\n\n{info}\n\n{report}", encoding="utf-8")
        log(f"wrote {args.markdown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
