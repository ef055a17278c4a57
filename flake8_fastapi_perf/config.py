"""One ``Settings`` object, from ``[tool.fastapi-perf]`` in pyproject.toml and/or flake8 options.

Keys (pyproject) and their flake8 spellings:

=================== ===================================== =========================================
pyproject key       flake8 option                         value
=================== ===================================== =========================================
``extend-blocking`` ``--fastapi-perf-extend-blocking``    ``["mylib.fetch=FPF102"]`` or a table
``allow``           ``--fastapi-perf-allow``              qualified names never flagged
``select``          (flake8's own ``--select``)           codes or prefixes to report
``ignore``          (flake8's own ``--ignore``)           codes or prefixes not to report
``per-file-ignores`` (flake8's own)                       ``{"tests/*" = ["FPF1"]}``
``extend-select``   (flake8's own ``--extend-select``)    codes or prefixes added to ``select``
``exclude``         (command line only)                   glob patterns; replaces the default list
``extend-exclude``  (command line only)                   glob patterns added to the default list
``unsafe-fixes``    (command line only)                   apply unsafe fixes with ``--fix``
``output-format``   (command line only)                   concise, full, json, json-lines, github, sarif
``fix-max-size``    (command line only)                   larger files are not fixed: bytes, or "5MB"
``unserved``        (pyproject only)                      patterns of code no server runs; replaces
                                                          the default list (tests, scripts, docs...)
``extend-unserved`` (pyproject only)                      patterns added to the default list
``entry-points``    (pyproject only)                      ``["pkg.mod:func", "pkg.mod:Class.method"]``
                                                          run by a server the project does not hold
``every-coroutine`` (pyproject only)                      true: report blocking calls in every
                                                          coroutine, reached from an entry or not
=================== ===================================== =========================================

An unknown key or a bad value is an error that names the key and the file: a value of any wrong
type (``select = 5``, ``tool = 5``), a code no rule has (``ignore = ["FPF999"]``), a file that is
not valid TOML or not UTF-8, a ``pyproject.toml`` that is a directory.  So is a wrong type in the
parts of ruff's configuration read for the ``external`` warning (``[tool.ruff]``, ``lint``,
``external``, in pyproject.toml or ruff.toml).  The command line's ``--select``, ``--ignore``,
``--extend-select`` and ``--per-file-ignores`` are checked the same way (``parse_codes``).
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import re
import stat
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .data.blocking import BLOCKING

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

KNOWN_KEYS = frozenset(
    ["extend-blocking", "allow", "select", "extend-select", "ignore", "per-file-ignores", "exclude",
     "extend-exclude", "unsafe-fixes", "output-format", "fix-max-size", "unserved", "extend-unserved",
     "entry-points", "every-coroutine"]
)
OUTPUT_FORMATS = ("concise", "full", "json", "json-lines", "github", "sarif")
#: The codes an ``extend-blocking`` entry may name: the rules that flag one blocking call.
BLOCKING_CODES = ("FPF101", "FPF102", "FPF103", "FPF104", "FPF105", "FPF106")
_CODE_PREFIX = re.compile(r"^FPF[0-9]{0,3}$")
#: The code of the errors (cannot parse, cannot read, configuration and internal errors).
ERROR_CODE = "FPF000"


class ConfigError(Exception):
    """A configuration value that cannot be used; the message names the key and the file."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: every code
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extend_blocking: tuple[tuple[str, str], ...] = ()
    allow: frozenset[str] = frozenset()
    exclude: tuple[str, ...] | None = None  # None: the default list of tool and environment folders
    extend_exclude: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    output_format: str | None = None
    fix_max_size: int | None = None  # bytes; None: the default, 0: no limit
    unserved: tuple[str, ...] | None = None  # None: the default list (analysis.served.DEFAULT_UNSERVED)
    extend_unserved: tuple[str, ...] = ()
    entry_points: tuple[str, ...] = ()  # "pkg.module:function" or "pkg.module:Class.method"
    every_coroutine: bool | None = None  # None: only what the entry points reach (a library: all)
    root: str | None = None  # the directory of the pyproject.toml they came from
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def blocking_table(self) -> dict[str, str]:
        return _merged_table(self.extend_blocking)

    def is_enabled(self, code: str, filename: str | None = None) -> bool:
        if self.select and not code.startswith(self.select) and not code.startswith(self.extend_select or ("\0",)):
            return False
        if self.ignore and code.startswith(self.ignore):
            return False
        if filename and self.per_file_ignores:
            for pattern, codes in self.per_file_ignores:
                if _matches(pattern, filename, self.root) and code.startswith(codes):
                    return False
        return True

    def merged(self, other: Settings) -> Settings:
        """``self`` extended by ``other`` (tables and allow lists add up; filters of ``other`` win)."""
        return replace(
            self,
            select=other.select or self.select,
            extend_select=self.extend_select + other.extend_select,
            ignore=self.ignore + other.ignore,
            per_file_ignores=self.per_file_ignores + other.per_file_ignores,
            extend_blocking=self.extend_blocking + other.extend_blocking,
            allow=self.allow | other.allow,
            exclude=other.exclude if other.exclude is not None else self.exclude,
            extend_exclude=self.extend_exclude + other.extend_exclude,
            unsafe_fixes=other.unsafe_fixes if other.unsafe_fixes is not None else self.unsafe_fixes,
            output_format=other.output_format or self.output_format,
            fix_max_size=other.fix_max_size if other.fix_max_size is not None else self.fix_max_size,
            unserved=other.unserved if other.unserved is not None else self.unserved,
            extend_unserved=self.extend_unserved + other.extend_unserved,
            entry_points=self.entry_points + other.entry_points,
            every_coroutine=other.every_coroutine if other.every_coroutine is not None else self.every_coroutine,
            root=other.root or self.root,
            warnings=self.warnings + other.warnings,
        )

    def exclude_patterns(self) -> tuple[str, ...]:
        from .discovery import DEFAULT_EXCLUDE

        return (DEFAULT_EXCLUDE if self.exclude is None else self.exclude) + self.extend_exclude

    def unserved_patterns(self) -> tuple[str, ...]:
        """Patterns of the files no server runs (see ``analysis.served``)."""
        from .analysis.served import DEFAULT_UNSERVED

        return (DEFAULT_UNSERVED if self.unserved is None else self.unserved) + self.extend_unserved


@lru_cache(maxsize=32)
def _merged_table(extend: tuple[tuple[str, str], ...]) -> dict[str, str]:
    if not extend:
        return BLOCKING
    table = dict(BLOCKING)
    table.update(extend)
    return table


def _matches(pattern: str, filename: str, root: str | None) -> bool:
    path = filename.replace(os.sep, "/")
    candidates = [path, path.removeprefix("./"), path.rsplit("/", 1)[-1]]
    if root:
        try:
            candidates.append(os.path.relpath(os.path.abspath(filename), root).replace(os.sep, "/"))
        except ValueError:  # different drives on Windows
            pass
    return any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates)


def parse_blocking_entries(entries: object, where: str) -> tuple[tuple[str, str], ...]:
    """``["a.b=FPF102", ...]`` or ``{"a.b" = "FPF102"}`` -> ``(("a.b", "FPF102"), ...)``."""
    pairs: list[tuple[str, str]] = []
    if isinstance(entries, dict):
        items = list(entries.items())
    elif isinstance(entries, (list, tuple)):
        items = []
        for entry in entries:
            if not isinstance(entry, str) or "=" not in entry:
                raise ConfigError(f"{where}: expected 'qualified.name=FPF10x', got {entry!r}")
            name, _, code = entry.partition("=")
            items.append((name, code))
    else:
        raise ConfigError(f"{where}: expected a list of 'qualified.name=FPF10x' or a table, got {_got(entries)}")
    for name, code in items:
        if not isinstance(code, str):
            raise ConfigError(f"{where}: {name}: expected a code such as FPF102, got {_got(code)}")
        name, code = str(name).strip(), code.strip().upper()
        if not re.fullmatch(r"[A-Za-z_][\w.]*(\.\*)?", name):
            raise ConfigError(f"{where}: {name!r} is not a qualified name")
        if code not in BLOCKING_CODES:
            raise ConfigError(f"{where}: {name}={code}: the code must be one of {', '.join(BLOCKING_CODES)}")
        pairs.append((name, code))
    return tuple(pairs)


def parse_codes(value: object, where: str) -> tuple[str, ...]:
    """Rule codes or prefixes (``select``, ``ignore``, ``--select``, ...): a list of strings (or
    one string), each the code of a rule, a prefix of one (``FPF1``), or ``FPF000`` (the code of
    the errors).  Anything else is an error naming ``where``: a typo must not silently select or
    ignore nothing."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes or prefixes, got {_got(value)}")
    codes = tuple(v.strip().upper() for v in value if v.strip())
    known = _known_codes()
    for code in codes:
        if not _CODE_PREFIX.match(code):
            raise ConfigError(f"{where}: {code!r} is not an FPF code or prefix (e.g. FPF1, FPF101)")
        if not any(k.startswith(code) for k in known):
            raise ConfigError(f"{where}: {code!r} matches no rule (`fastapi-perf rule --all` lists them)")
    return codes


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    from .rules import all_rules

    return frozenset(all_rules()) | {ERROR_CODE}


def _got(value: object) -> str:
    """What a TOML value is, for a message: ``an integer``, ``a table``, ..."""
    for kind, name in ((bool, "a boolean"), (str, "a string"), (int, "an integer"), (float, "a float"),
                       (dict, "a table"), (list, "an array"), (datetime.datetime, "a date-time"),
                       (datetime.date, "a date"), (datetime.time, "a time")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _names(value: object, where: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of qualified names, got {_got(value)}")
    return frozenset(v.strip() for v in value if v.strip())


def _patterns(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of glob patterns, got {_got(value)}")
    return tuple(v.strip().rstrip("/") for v in value if v.strip())


_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")


def _entry_points(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of \"module:function\" names, got {_got(value)}")
    entries = tuple(v.strip() for v in value if v.strip())
    for entry in entries:
        if not _ENTRY_POINT.match(entry):
            raise ConfigError(
                f"{where}: {entry!r} is not \"pkg.module:function\" or \"pkg.module:Class.method\""
            )
    return entries


def settings_from_table(table: dict, source: str, root: str | None = None) -> Settings:
    """Validate a ``[tool.fastapi-perf]`` table: an unknown key or a bad value is an error that
    names the key and the file."""
    for key in table:
        if key not in KNOWN_KEYS:
            raise ConfigError(
                f"{source}: unknown key '{key}' in [tool.fastapi-perf] (known: {', '.join(sorted(KNOWN_KEYS))})"
            )
    per_file: list[tuple[str, tuple[str, ...]]] = []
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{source}: per-file-ignores: expected a table of pattern = [codes], got {_got(pfi)}")
    for pattern, codes in pfi.items():
        per_file.append((pattern, parse_codes(codes, f"{source}: per-file-ignores.{pattern}")))
    unsafe = table.get("unsafe-fixes")
    if unsafe is not None and not isinstance(unsafe, bool):
        raise ConfigError(f"{source}: unsafe-fixes: expected true or false, got {_got(unsafe)}")
    output_format = table.get("output-format")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        got = repr(output_format) if isinstance(output_format, str) else _got(output_format)
        raise ConfigError(f"{source}: output-format: expected one of {', '.join(OUTPUT_FORMATS)}, got {got}")
    every = table.get("every-coroutine")
    if every is not None and not isinstance(every, bool):
        raise ConfigError(f"{source}: every-coroutine: expected true or false, got {_got(every)}")
    fix_max_size = table.get("fix-max-size")
    if fix_max_size is not None:
        from .fileio import parse_size

        try:
            fix_max_size = parse_size(fix_max_size)
        except ValueError as exc:
            raise ConfigError(f"{source}: fix-max-size: {exc}") from None
    return Settings(
        select=parse_codes(table.get("select", []), f"{source}: select"),
        extend_select=parse_codes(table.get("extend-select", []), f"{source}: extend-select"),
        ignore=parse_codes(table.get("ignore", []), f"{source}: ignore"),
        per_file_ignores=tuple(per_file),
        extend_blocking=parse_blocking_entries(table.get("extend-blocking", []), f"{source}: extend-blocking"),
        allow=_names(table.get("allow", []), f"{source}: allow"),
        exclude=_patterns(table["exclude"], f"{source}: exclude") if "exclude" in table else None,
        extend_exclude=_patterns(table.get("extend-exclude", []), f"{source}: extend-exclude"),
        unsafe_fixes=unsafe,
        output_format=output_format,
        fix_max_size=fix_max_size,
        unserved=_patterns(table["unserved"], f"{source}: unserved") if "unserved" in table else None,
        extend_unserved=_patterns(table.get("extend-unserved", []), f"{source}: extend-unserved"),
        entry_points=_entry_points(table.get("entry-points", []), f"{source}: entry-points"),
        every_coroutine=every,
        root=root,
    )


def _read_toml(path: Path) -> dict:
    """The TOML document at ``path``; any problem is a ConfigError naming the file."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a directory (a bind mount of a missing file), a FIFO
            raise ConfigError(f"{path}: cannot read: not a file")
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {_first_line(exc)}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # nested too deeply, too large
        raise ConfigError(f"{path}: cannot read: {type(exc).__name__}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _subtable(table: dict, key: str, where: str) -> dict | None:
    """``table[key]``, which must be a table if present (``where`` names it in the message)."""
    value = table.get(key)
    if value is not None and not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table, got {_got(value)}")
    return value


def _external(table: dict, where: str) -> list[str]:
    value = table.get("external", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes, got {_got(value)}")
    return value


def _ruff_warning(tool: dict, path: Path) -> str | None:
    """A warning when the project configures ruff without keeping our codes as external."""
    ruff = _subtable(tool, "ruff", f"{path}: tool.ruff")
    prefix = "tool.ruff."
    if ruff is None:
        for name in ("ruff.toml", ".ruff.toml"):
            candidate = path.parent / name
            if candidate.is_file():
                ruff, path, prefix = _read_toml(candidate), candidate, ""
                break
    if ruff is None:
        return None
    lint = _subtable(ruff, "lint", f"{path}: {prefix}lint") or {}
    external = _external(lint, f"{path}: {prefix}lint.external") + _external(ruff, f"{path}: {prefix}external")
    if any(e and (e.upper().startswith("FPF") or "FPF".startswith(e.upper())) for e in external):
        return None
    return (
        f"{path}: ruff is configured but does not list FPF in lint.external; ruff will report our "
        f"`# noqa: FPF...` comments as unused (RUF100): add `external = [\"FPF\"]` to [tool.ruff.lint]"
    )


def load_pyproject(path: Path) -> Settings:
    data = _read_toml(path)
    tool = _subtable(data, "tool", f"{path}: tool") or {}
    warning = _ruff_warning(tool, path)
    extra = (warning,) if warning else ()
    table = tool.get("fastapi-perf")
    if table is None:
        return Settings(root=str(path.parent), warnings=extra)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.fastapi-perf] must be a table, got {_got(table)}")
    return replace(settings_from_table(table, str(path), str(path.parent)), warnings=extra)


@lru_cache(maxsize=8)
def load_pyproject_cached(path: str) -> Settings:
    """``load_pyproject`` once per path (``--config``)."""
    if not os.path.exists(path):
        raise ConfigError(f"{path}: --config: no such file")
    return load_pyproject(Path(path))


@lru_cache(maxsize=256)
def find_pyproject(directory: str) -> Path | None:
    """The nearest pyproject.toml at or above ``directory`` that has a [tool.fastapi-perf] table,
    else the nearest pyproject.toml at all (it marks the project root).  One that cannot be read
    or is not a file (a directory) counts as one without the table: if it is the nearest, loading
    it is the error that says so."""
    current = Path(directory).resolve()
    nearest: Path | None = None
    for folder in (current, *current.parents):
        candidate = folder / "pyproject.toml"
        if candidate.exists():
            if nearest is None:
                nearest = candidate
            try:
                if candidate.is_file() and b"[tool.fastapi-perf" in candidate.read_bytes():
                    return candidate
            except OSError:
                continue
    return nearest


@lru_cache(maxsize=256)
def settings_for_directory(directory: str) -> Settings:
    """Settings from the pyproject.toml that governs ``directory`` (defaults if none)."""
    path = find_pyproject(directory)
    return _load_pyproject_once(str(path)) if path is not None else Settings()


@lru_cache(maxsize=64)
def _load_pyproject_once(path: str) -> Settings:
    return load_pyproject(Path(path))
