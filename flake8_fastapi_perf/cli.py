"""``fastapi-perf``: the analysis core without flake8.

    fastapi-perf check [PATHS...]     report findings (exit 0 clean, 1 findings, 2 error)
    fastapi-perf rule FPF101          print a rule's documentation
    fastapi-perf rule --all           list every rule
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence

from . import __version__
from .checker import FileResult, check_source
from .config import ConfigError, Settings, settings_for_directory
from .output import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

#: Directories never walked into (unless named on the command line).
EXCLUDED_DIRS = frozenset(
    [".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "build", "dist",
     "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".fastapi_perf_cache", "site-packages"]
)
PYTHON_SUFFIXES = (".py",)


def iter_python_files(paths: Sequence[str], errors: list[str]) -> Iterator[str]:
    """Files named on the command line, and the .py files below named directories (sorted)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS and not d.endswith(".egg-info"))
                for name in sorted(files):
                    if name.endswith(PYTHON_SUFFIXES):
                        yield os.path.join(root, name)
        elif os.path.exists(path):
            yield path
        else:
            errors.append(f"{path}: error: no such file or directory")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastapi-perf",
        description="Find FastAPI/Starlette code that blocks the event loop or exhausts memory.",
    )
    parser.add_argument("--version", action="version", version=f"fastapi-perf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="report findings in files and directories")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--select", default="", help="comma-separated codes or prefixes to report")
    check.add_argument("--ignore", default="", help="comma-separated codes or prefixes not to report")
    check.add_argument("--output-format", choices=sorted(FORMATS), default="concise")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    check.add_argument(
        "--no-prefilter",
        action="store_true",
        help="parse every file, even those that cannot contain a finding (for debugging)",
    )

    rule = sub.add_parser("rule", help="print the documentation of a rule")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. FPF101")
    rule.add_argument("--all", action="store_true", help="list every rule")
    return parser


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in value.replace(" ", ",").split(",") if v.strip())


def run_check(args: argparse.Namespace) -> int:
    errors: list[str] = []
    cli = Settings(select=_split(args.select), ignore=_split(args.ignore))
    warned: set[str] = set()
    results: list[tuple[str, FileResult]] = []
    for path in iter_python_files(args.paths, errors):
        try:
            project = settings_for_directory(os.path.dirname(os.path.abspath(path)))
        except ConfigError as exc:
            print(f"fastapi-perf: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        for warning in project.warnings:
            if warning not in warned:
                warned.add(warning)
                print(f"fastapi-perf: warning: {warning}", file=sys.stderr)
        settings = project.merged(cli) if (cli.select or cli.ignore) else project
        try:
            with open(path, "rb") as fh:
                source = fh.read()
        except OSError as exc:
            errors.append(f"{path}:1:1: FPF000 cannot read: {exc.strerror or exc}")
            continue
        result = check_source(source, path, settings, prefilter=not args.no_prefilter)
        if result.error:
            errors.append(result.error)
        results.append((path, result))
    formatter = FORMATS[args.output_format]
    findings = [(path, d) for path, result in results for d in result.diagnostics]
    out = sys.stdout
    for line in formatter(findings):
        out.write(line + "\n")
    for error in errors:
        print(error, file=sys.stderr)
    if not args.quiet and findings:
        print(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}.", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def run_rule(args: argparse.Namespace) -> int:
    from .rules import all_rules

    rules = all_rules()
    if args.all or not args.code:
        for code, rule in rules.items():
            fix = f" [fix: {rule.fix}]" if rule.fix else ""
            print(f"{code}  {rule.name:<34} {rule.summary}{fix}")
        return EXIT_CLEAN
    rule = rules.get(args.code.upper())
    if rule is None:
        print(f"fastapi-perf: error: unknown rule {args.code!r}", file=sys.stderr)
        return EXIT_ERROR
    print(f"# {rule.name} ({rule.code})\n")
    print(rule.summary + "\n")
    print(rule.docs())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return run_check(args)
    if args.command == "rule":
        return run_rule(args)
    parser.print_help()
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
