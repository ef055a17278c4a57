"""``[tool.fastapi-perf]`` and flake8 options, honoured by both front ends."""

from __future__ import annotations

from pathlib import Path

from conftest import fastapi_perf, flake8, parse_findings

APP = """\
import mylib
import requests
import time

async def handler():
    mylib.fetch("x")
    requests.get("x")
    time.sleep(1)
"""


def setup(tmp_path: Path, table: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'demo'\n\n[tool.fastapi-perf]\n{table}\n")
    (tmp_path / "app.py").write_text(APP)


def codes_of(proc) -> list[tuple[int, str]]:
    return [(f[1], f[3]) for f in parse_findings(proc.stdout)]


def test_defaults_without_config(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP)
    assert codes_of(fastapi_perf("check", "app.py", cwd=tmp_path)) == [(7, "FPF102"), (8, "FPF101")]


def test_extend_blocking_and_allow_in_both_front_ends(tmp_path: Path):
    setup(tmp_path, 'extend-blocking = ["mylib.fetch=FPF102"]\nallow = ["requests"]')
    expected = [(6, "FPF102"), (8, "FPF101")]
    assert codes_of(fastapi_perf("check", "app.py", cwd=tmp_path)) == expected
    assert codes_of(flake8("--select", "FPF", "app.py", cwd=tmp_path)) == expected


def test_extend_blocking_as_table(tmp_path: Path):
    setup(tmp_path, '[tool.fastapi-perf.extend-blocking]\n"mylib.fetch" = "FPF102"')
    assert (6, "FPF102") in codes_of(fastapi_perf("check", "app.py", cwd=tmp_path))


def test_select_ignore_per_file_ignores(tmp_path: Path):
    setup(tmp_path, 'ignore = ["FPF101"]\n[tool.fastapi-perf.per-file-ignores]\n"tests/*" = ["FPF1"]')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(APP)
    proc = fastapi_perf("check", ".", cwd=tmp_path)
    assert [(f[0], f[3]) for f in parse_findings(proc.stdout)] == [("./app.py", "FPF102")]
    via_flake8 = flake8("--select", "FPF", ".", cwd=tmp_path)
    assert [(f[0], f[3]) for f in parse_findings(via_flake8.stdout)] == [("./app.py", "FPF102")]


def test_unknown_key_is_an_error_naming_key_and_file(tmp_path: Path):
    setup(tmp_path, 'alow = ["requests"]')
    proc = fastapi_perf("check", "app.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown key 'alow'" in proc.stderr
    assert "pyproject.toml" in proc.stderr
    via_flake8 = flake8("--select", "FPF", "app.py", cwd=tmp_path)
    assert "FPF000 configuration error" in via_flake8.stdout and "alow" in via_flake8.stdout


def test_bad_value_is_an_error_naming_key_and_file(tmp_path: Path):
    setup(tmp_path, 'extend-blocking = ["mylib.fetch=FPF999"]')
    proc = fastapi_perf("check", "app.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "extend-blocking" in proc.stderr and "pyproject.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_flake8_options_from_command_line_and_config_file(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP)
    proc = flake8(
        "--select", "FPF",
        "--fastapi-perf-extend-blocking", "mylib.fetch=FPF102",
        "--fastapi-perf-allow", "time.sleep",
        "app.py", cwd=tmp_path,
    )
    assert codes_of(proc) == [(6, "FPF102"), (7, "FPF102")]
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nselect = FPF\nfastapi-perf-extend-blocking =\n    mylib.fetch=FPF102\nfastapi-perf-allow = requests\n"
    )
    assert codes_of(flake8("app.py", cwd=tmp_path)) == [(6, "FPF102"), (8, "FPF101")]


def test_flake8_bad_option_value_is_reported(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP)
    proc = flake8("--select", "FPF", "--fastapi-perf-extend-blocking", "nocode", "app.py", cwd=tmp_path)
    assert "FPF000 configuration error" in proc.stdout


def test_extend_select_adds_to_select(tmp_path: Path):
    setup(tmp_path, 'select = ["FPF103"]\nextend-select = ["FPF101"]')
    assert codes_of(fastapi_perf("check", "app.py", cwd=tmp_path)) == [(8, "FPF101")]


def test_exclude_extend_exclude_and_gitignore(tmp_path: Path):
    setup(tmp_path, 'extend-exclude = ["generated", "legacy_*.py"]')
    for name in ("generated/a.py", "legacy_b.py", "ignored_dir/c.py", "kept/d.py", "build/e.py", "notes.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(APP)
    (tmp_path / ".gitignore").write_text("ignored_dir/\nnotes.py\n")
    proc = fastapi_perf("check", ".", cwd=tmp_path)
    assert sorted({f[0] for f in parse_findings(proc.stdout)}) == ["./app.py", "./kept/d.py"]
    # a file named explicitly is checked even when excluded
    assert parse_findings(fastapi_perf("check", "legacy_b.py", cwd=tmp_path).stdout)


def test_exclude_replaces_the_default_list(tmp_path: Path):
    setup(tmp_path, 'exclude = ["skipme"]')
    for name in ("build/a.py", "skipme/b.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(APP)
    proc = fastapi_perf("check", ".", cwd=tmp_path)
    assert sorted({f[0] for f in parse_findings(proc.stdout)}) == ["./app.py", "./build/a.py"]


def test_warns_once_when_ruff_does_not_keep_our_noqa_codes(tmp_path: Path):
    setup(tmp_path, 'allow = []\n[tool.ruff.lint]\nselect = ["E"]')
    (tmp_path / "other.py").write_text(APP)
    proc = fastapi_perf("check", ".", cwd=tmp_path)
    assert proc.stderr.count('external = ["FPF"]') == 1
    setup(tmp_path, 'allow = []\n[tool.ruff.lint]\nexternal = ["FPF"]')
    assert "external" not in fastapi_perf("check", ".", cwd=tmp_path).stderr


def test_command_line_extend_select_per_file_ignores_and_config(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(APP)
    proc = fastapi_perf("check", "--select", "FPF103", "--extend-select", "FPF101", "app.py", cwd=tmp_path)
    assert codes_of(proc) == [(8, "FPF101")]
    proc = fastapi_perf("check", "--per-file-ignores", "tests/*:FPF102,FPF101", ".", cwd=tmp_path)
    assert [(f[0], f[3]) for f in parse_findings(proc.stdout)] == [("./app.py", "FPF102"), ("./app.py", "FPF101")]
    other = tmp_path / "other.toml"
    other.write_text('[tool.fastapi-perf]\nignore = ["FPF102"]\n')
    assert codes_of(fastapi_perf("check", "--config", str(other), "app.py", cwd=tmp_path)) == [(8, "FPF101")]
    bad = fastapi_perf("check", "--per-file-ignores", "nocolon", "app.py", cwd=tmp_path)
    assert bad.returncode == 2 and "--per-file-ignores" in bad.stderr
    missing = fastapi_perf("check", "--config", "nope.toml", "app.py", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.toml" in missing.stderr
