"""``fastapi-perf check`` and ``fastapi-perf rule`` as users run them."""

from __future__ import annotations

from pathlib import Path

from conftest import fastapi_perf, parse_findings

BLOCKING = "import time\n\nasync def handler():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\nasync def handler():\n    await asyncio.sleep(1)\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_exit_codes(tmp_path: Path):
    write(tmp_path, "clean.py", CLEAN)
    assert fastapi_perf("check", "clean.py", cwd=tmp_path).returncode == 0
    write(tmp_path, "bad.py", BLOCKING)
    proc = fastapi_perf("check", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert parse_findings(proc.stdout) == [
        ("./bad.py", 4, 5, "FPF101",
         "time.sleep() blocks the event loop in coroutine `handler`; use await asyncio.sleep(...)")
    ]
    assert fastapi_perf("check", "--exit-zero", ".", cwd=tmp_path).returncode == 0


def test_default_path_is_current_directory(tmp_path: Path):
    write(tmp_path, "pkg/mod.py", BLOCKING)
    proc = fastapi_perf("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert [f[0] for f in parse_findings(proc.stdout)] == ["./pkg/mod.py"]


def test_excluded_directories_are_not_walked(tmp_path: Path):
    for folder in (".venv", "venv", "node_modules", "build", "dist", ".git"):
        write(tmp_path, f"{folder}/mod.py", BLOCKING)
    assert fastapi_perf("check", ".", cwd=tmp_path).returncode == 0


def test_select_and_ignore(tmp_path: Path):
    write(tmp_path, "mod.py", BLOCKING + "    open('x')\n")
    both = fastapi_perf("check", "mod.py", cwd=tmp_path)
    assert [f[3] for f in parse_findings(both.stdout)] == ["FPF101", "FPF103"]
    only = fastapi_perf("check", "--select", "FPF103", "mod.py", cwd=tmp_path)
    assert [f[3] for f in parse_findings(only.stdout)] == ["FPF103"]
    ignored = fastapi_perf("check", "--ignore", "FPF10", "mod.py", cwd=tmp_path)
    assert ignored.returncode == 0 and ignored.stdout == ""


def test_noqa_variants(tmp_path: Path):
    write(tmp_path, "a.py", BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa"))
    write(tmp_path, "b.py", BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa: FPF101"))
    write(tmp_path, "c.py", BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa: FPF102"))
    write(tmp_path, "d.py", "# flake8: noqa\n" + BLOCKING)
    write(tmp_path, "e.py", "# ruff: noqa: FPF101\n" + BLOCKING)
    write(tmp_path, "f.py", BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # NOQA:FPF1"))
    proc = fastapi_perf("check", ".", cwd=tmp_path)
    assert [f[0] for f in parse_findings(proc.stdout)] == ["./c.py"]


def test_rule_docs(tmp_path: Path):
    proc = fastapi_perf("rule", "FPF102", cwd=tmp_path)
    assert proc.returncode == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert section in proc.stdout
    listing = fastapi_perf("rule", "--all", cwd=tmp_path)
    codes = [line.split()[0] for line in listing.stdout.splitlines()]
    assert codes[:8] == ["FPF101", "FPF102", "FPF103", "FPF104", "FPF105", "FPF106", "FPF107", "FPF110"]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    assert fastapi_perf("rule", "FPF999", cwd=tmp_path).returncode == 2


def test_version(tmp_path: Path):
    from flake8_fastapi_perf import __version__

    proc = fastapi_perf("--version", cwd=tmp_path)
    assert proc.stdout.strip() == f"fastapi-perf {__version__}"
