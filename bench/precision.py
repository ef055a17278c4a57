#!/usr/bin/env python3
"""Precision of flake8-fastapi-perf on real FastAPI apps, judged by hand.

From the repository root (the project's .venv runs the tool):

    python3 bench/precision.py fetch                   download and unpack the pinned apps
    python3 bench/precision.py run LABEL               check every app: bench/precision/runs/LABEL.json
    python3 bench/precision.py sample LABEL NAME N [--seed S]
                                                       N findings of run LABEL, at random per code,
                                                       to judge: bench/precision/samples/NAME.csv
    python3 bench/precision.py report [LABEL ...]      per run: which judged findings it still
                                                       reports, precision per code, counts per app
    python3 bench/precision.py show APP PATH LINE      the code around a finding

The apps are pinned wheels from PyPI (``APPS``), unpacked under ``bench/.work/precision/`` (never
committed).  A run lists every finding of ``fastapi-perf check --no-cache`` on each app's whole
tree (tests, scripts and CLI code included: the tool must stay silent there), paths relative to
the app.  A sample is a CSV with one row per finding to judge; a judge fills ``verdict``:

* ``TRUE``: a real problem of a server in production, per request (or for the server's life);
* ``MINOR``: true, but negligible (a tiny local file read on a rare admin path ...);
* ``FALSE``: a false alarm (the code never runs on a serving event loop, runs once, does not
  block, or the rule misread it),

and ``why``, one line.  A judged finding is known by (app, path, line, code): ``report`` matches
every sample against a run, says which judged findings the run no longer reports (and whether
they were true), and prints TRUE% and TRUE+MINOR% per code over the judged findings still
reported.  The judgments are kept in the repository; docs/precision.md publishes the tables.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = REPO / "bench" / "precision"
WORK = REPO / "bench" / ".work" / "precision"
DL = WORK / "dl"
APPS_DIR = WORK / "apps"

#: The pinned apps (issue 16): the new set and the earlier one.
APPS = [
    "skypilot==0.14.1", "dstack==0.22.5", "marimo==0.25.2", "dagster-webserver==1.13.27",
    "infinity-emb==0.0.78", "mlserver==1.7.1", "argilla-server==2.8.0", "aim==3.29.1",
    "open-webui==0.12.4", "prefect==3.9.1", "gradio==6.31.0", "chainlit==2.12.0", "khoj==1.42.10",
    "litellm==1.109.1", "langflow-base==1.13.0",
]
#: Wheels with compiled parts: the Linux wheel for the machine's Python.
PLATFORM = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11")
VERDICTS = ("TRUE", "MINOR", "FALSE")
FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>FPF\d{3}) (?P<message>.*)$")
FIELDS = ["app", "path", "line", "col", "code", "verdict", "why", "message"]


def _name(spec: str) -> str:
    return spec.partition("==")[0]


def _python() -> Path:
    python = REPO / ".venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    if not python.exists():
        raise SystemExit("no .venv: create it first (README.md, 'Run the tests')")
    return python


# -- fetch ----------------------------------------------------------------------------------------

def fetch(_: argparse.Namespace) -> int:
    DL.mkdir(parents=True, exist_ok=True)
    for spec in APPS:
        name = _name(spec)
        dest = APPS_DIR / name
        marker = dest / ".precision-source"
        if marker.exists() and marker.read_text().strip() == spec:
            continue
        wheel = _wheel(spec)
        if wheel is None:
            for extra in ((), PLATFORM):
                subprocess.run([str(_python()), "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                                *extra, "-q", "--disable-pip-version-check", spec, "-d", str(DL)], check=False)
                wheel = _wheel(spec)
                if wheel is not None:
                    break
        if wheel is None:
            print(f"{spec}: cannot be downloaded", file=sys.stderr)
            continue
        print(f"{spec}: unpacking {wheel.name}", file=sys.stderr)
        if dest.exists():
            import shutil

            shutil.rmtree(dest)
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(dest)
        marker.write_text(spec + "\n")
    return 0


def _wheel(spec: str) -> Path | None:
    name, _, version = spec.partition("==")
    stem = name.replace("-", "_").lower()
    for path in sorted(DL.glob("*.whl")):
        dist, _, rest = path.name.partition("-")
        if dist.lower() == stem and rest.startswith(version + "-"):
            return path
    return None


# -- run ------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    out: dict = {"tool": _revision(), "apps": {}}
    for spec in APPS:
        root = APPS_DIR / _name(spec)
        if not root.exists():
            print(f"{spec}: not fetched (run `fetch`)", file=sys.stderr)
            continue
        # the concise format: the JSON one computes every finding's fix (minutes on litellm)
        proc = subprocess.run(
            [str(_python()), "-m", "flake8_fastapi_perf.cli", "check", "--no-cache", "--exit-zero", "--quiet", "."],
            cwd=root, capture_output=True, text=True, check=False,
        )
        if proc.returncode not in (0, 2):
            print(f"{spec}: exit {proc.returncode}; stderr:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return 2
        rows = []
        for line in proc.stdout.splitlines():
            match = FINDING.match(line)
            if match is None:
                print(f"{spec}: unexpected output line: {line!r}", file=sys.stderr)
                return 2
            rows.append([_relative(match["path"], root), int(match["line"]), int(match["col"]), match["code"],
                         match["message"]])
        rows.sort()
        out["apps"][spec] = {"findings": rows, "errors": proc.stderr.count(": FPF000 ")}
        print(f"{spec}: {len(rows)} findings", file=sys.stderr)
    target = HERE / "runs" / f"{args.label}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {target.relative_to(REPO)}", file=sys.stderr)
    return 0


def _relative(path: str, root: Path) -> str:
    """A path the tool printed (relative to the app's root, where it ran) as ``pkg/mod.py``."""
    if not os.path.isabs(path):
        return os.path.normpath(path)
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def _revision() -> str:
    proc = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() or "unknown"


def _load_run(label: str) -> dict:
    path = HERE / "runs" / f"{label}.json"
    if not path.exists():
        raise SystemExit(f"no run {label!r} ({path.relative_to(REPO)}): `run {label}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def _findings(run_data: dict) -> list[dict]:
    return [
        {"app": _name(spec), "path": path, "line": line, "col": col, "code": code, "message": message}
        for spec, data in run_data["apps"].items()
        for path, line, col, code, message in data["findings"]
    ]


# -- sample ---------------------------------------------------------------------------------------

def sample(args: argparse.Namespace) -> int:
    """``N`` findings at random, per code: each code gets its share of ``N`` by its count, at
    least ``MIN_PER_CODE`` (or all it has).  Within a code, each draw picks an app at random
    (among those with findings of that code left), then one of its findings: litellm has two
    thirds of all findings, and a uniform draw would measure litellm alone.  Findings judged in
    an earlier sample are left out."""
    target = HERE / "samples" / f"{args.name}.csv"
    if target.exists():
        raise SystemExit(f"{target.relative_to(REPO)} exists: samples are never redrawn")
    findings = _findings(_load_run(args.label))
    judged = {_key(row) for row in _judgments()}
    fresh = [f for f in findings if _key(f) not in judged]
    by_code: dict[str, list[dict]] = defaultdict(list)
    for finding in fresh:
        by_code[finding["code"]].append(finding)
    rng = random.Random(args.seed)
    total = len(fresh)
    quota = {code: min(len(items), max(MIN_PER_CODE, round(args.n * len(items) / total)))
             for code, items in by_code.items()}
    chosen: list[dict] = []
    for code in sorted(by_code):
        per_app: dict[str, list[dict]] = defaultdict(list)
        for finding in sorted(by_code[code], key=_key):
            per_app[finding["app"]].append(finding)
        for _ in range(quota[code]):
            app = rng.choice(sorted(a for a, items in per_app.items() if items))
            items = per_app[app]
            chosen.append(items.pop(rng.randrange(len(items))))
    chosen.sort(key=lambda f: (f["app"], f["path"], f["line"], f["code"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for finding in chosen:
            writer.writerow({**finding, "verdict": "", "why": ""})
    print(f"wrote {len(chosen)} findings to judge to {target.relative_to(REPO)} "
          f"({', '.join(f'{c} {quota[c]}' for c in sorted(quota))})", file=sys.stderr)
    return 0


MIN_PER_CODE = 3


def _key(row: dict) -> tuple[str, str, int, str]:
    return (row["app"], row["path"], int(row["line"]), row["code"])


def _judgments(name: str | None = None) -> list[dict]:
    rows = []
    for path in sorted((HERE / "samples").glob("*.csv")) if (HERE / "samples").exists() else []:
        if name is not None and path.stem != name:
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                row["sample"] = path.stem
                rows.append(row)
    return rows


# -- report ---------------------------------------------------------------------------------------

def report(args: argparse.Namespace) -> int:
    labels = args.labels or sorted(p.stem for p in (HERE / "runs").glob("*.json"))
    judgments = _judgments()
    bad = [r for r in judgments if r["verdict"] and r["verdict"] not in VERDICTS]
    if bad:
        raise SystemExit(f"unknown verdicts: {sorted({r['verdict'] for r in bad})}")
    lines: list[str] = []
    for label in labels:
        run_data = _load_run(label)
        reported = {_key(f) for f in _findings(run_data)}
        lines += [f"### Run `{label}` (tool {run_data['tool']})", ""]
        for sample_name in sorted({r["sample"] for r in judgments}):
            rows = [r for r in judgments if r["sample"] == sample_name and r["verdict"]]
            if not rows:
                continue
            present = [r for r in rows if _key(r) in reported]
            gone = [r for r in rows if _key(r) not in reported]
            lines += [f"#### Sample `{sample_name}`: {len(rows)} judged, {len(present)} still reported", ""]
            lines += _precision_table(present)
            lines += ["", "False alarms by pattern (the letter a FALSE verdict's `why` starts with): "
                      + _patterns(present)]
            if gone:
                went = Counter(r["verdict"] for r in gone)
                lines += ["", f"No longer reported: {len(gone)} ("
                          + ", ".join(f"{went[v]} {v}" for v in VERDICTS if went[v]) + ")"]
                lines += [f"- {r['verdict']} {r['code']} {r['app']}/{r['path']}:{r['line']}: {r['why']}"
                          for r in gone if r["verdict"] == "TRUE"]
            lines.append("")
        lines += _weighted(run_data, judgments, reported) + [""]
        lines += _counts_table(run_data) + [""]
    try:
        print("\n".join(lines))
    except BrokenPipeError:  # `report | head`
        pass
    return 0


def _weighted(run_data: dict, judgments: list[dict], reported: set) -> list[str]:
    """Precision of the whole run, estimated from every judgment of a finding it still reports
    (a finding judged in two samples counts once, its latest sample's verdict), each code's
    share weighted by its count in the run: a sample draws codes by the findings not judged
    yet, so no one sample is the run's mix."""
    verdicts: dict[tuple, str] = {}
    for row in judgments:
        if row["verdict"] and _key(row) in reported:
            verdicts[_key(row)] = row["verdict"]
    by_code: dict[str, Counter] = defaultdict(Counter)
    for key, verdict in verdicts.items():
        by_code[key[3]][verdict] += 1
    population = Counter(row[3] for data in run_data["apps"].values() for row in data["findings"])
    total = sum(population.values())
    true = tm = covered = 0.0
    for code, count in population.items():
        judged = by_code.get(code)
        if not judged:
            continue
        n = sum(judged.values())
        covered += count
        true += count * judged["TRUE"] / n
        tm += count * (judged["TRUE"] + judged["MINOR"]) / n
    if not covered:
        return ["Weighted over every judgment: nothing judged"]
    return [f"Weighted over every judgment ({len(verdicts)} of the {total} findings judged; codes "
            f"with no judgment, {total - covered:.0f} findings, left out): TRUE {100 * true / covered:.0f}%, "
            f"TRUE+MINOR {100 * tm / covered:.0f}%"]


def _precision_table(rows: list[dict]) -> list[str]:
    by_code: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        by_code[row["code"]][row["verdict"]] += 1
    out = ["| code | judged | TRUE | MINOR | FALSE | TRUE % | TRUE+MINOR % |", "|---|---:|---:|---:|---:|---:|---:|"]
    total: Counter = Counter()
    for code in sorted(by_code):
        counts = by_code[code]
        total.update(counts)
        out.append(_row(code, counts))
    out.append(_row("**all**", total))
    return out


#: The false-alarm patterns of issue 16 (a FALSE ``why`` starts with the letter and a colon).
PATTERNS = {
    "A": "code no server runs", "B": "startup/shutdown only", "C": "a hop that runs once",
    "D": "does not block", "E": "FPF502 on parameter names", "F": "FPF204 limit elsewhere",
    "G": "FPF202 body offloaded", "H": "FPF304 one path only", "I": "FPF205 file modified",
    "J": "duplicate", "X": "other",
}


def _patterns(rows: list[dict]) -> str:
    counts = Counter()
    for row in rows:
        if row["verdict"] == "FALSE":
            letter = row["why"][:2]
            counts[letter[0] if len(letter) == 2 and letter[1] == ":" and letter[0] in PATTERNS else "X"] += 1
    return ", ".join(f"{letter} {PATTERNS[letter]} {counts[letter]}" for letter in PATTERNS if counts[letter]) or "none"


def _row(label: str, counts: Counter) -> str:
    n = sum(counts.values())
    pct = (lambda k: f"{100 * k / n:.0f}%") if n else (lambda k: "-")
    return (f"| {label} | {n} | {counts['TRUE']} | {counts['MINOR']} | {counts['FALSE']} | {pct(counts['TRUE'])} "
            f"| {pct(counts['TRUE'] + counts['MINOR'])} |")


def _counts_table(run_data: dict) -> list[str]:
    codes = sorted({row[3] for data in run_data["apps"].values() for row in data["findings"]})
    out = ["| app | findings | " + " | ".join(codes) + " |", "|---|---:|" + "---:|" * len(codes)]
    totals: Counter = Counter()
    for spec, data in run_data["apps"].items():
        counts = Counter(row[3] for row in data["findings"])
        totals.update(counts)
        out.append(f"| {spec} | {len(data['findings'])} | " + " | ".join(str(counts[c] or "") for c in codes) + " |")
    out.append(f"| **all** | {sum(totals.values())} | " + " | ".join(str(totals[c]) for c in codes) + " |")
    return out


# -- show -----------------------------------------------------------------------------------------

def show(args: argparse.Namespace) -> int:
    path = APPS_DIR / args.app / args.path
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    start, end = max(1, args.line - args.context), min(len(lines), args.line + args.context)
    for number in range(start, end + 1):
        print(f"{'>' if number == args.line else ' '}{number:6d}  {lines[number - 1]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/precision.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch").set_defaults(func=fetch)
    p = sub.add_parser("run")
    p.add_argument("label")
    p.set_defaults(func=run)
    p = sub.add_parser("sample")
    p.add_argument("label")
    p.add_argument("name")
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=16)
    p.set_defaults(func=sample)
    p = sub.add_parser("report")
    p.add_argument("labels", nargs="*")
    p.set_defaults(func=report)
    p = sub.add_parser("show")
    p.add_argument("app")
    p.add_argument("path")
    p.add_argument("line", type=int)
    p.add_argument("--context", type=int, default=12)
    p.set_defaults(func=show)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
