"""``fastapi-perf-fix`` / ``check --fix`` as users run it: bad input, read-only files, races, stdin."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import ROOT, fastapi_perf, parse_findings, run
from flake8_fastapi_perf.fileio import WriteRefused, write_atomic

SLEEPY = "import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n    await asyncio.sleep(0)\n"
FIXED = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n    await asyncio.sleep(0)\n"


def fix(*args: str, cwd: Path):
    return run([sys.executable, "-c", "import sys; from flake8_fastapi_perf.cli import fix_main; sys.exit(fix_main())", *args], cwd=cwd)


def test_fix_command_fixes_and_summarises(tmp_path: Path):
    (tmp_path / "app.py").write_text(SLEEPY)
    proc = fix("app.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "app.py").read_text() == FIXED
    assert proc.stderr.strip().splitlines()[-1] == "Fixed 1 finding (0 remaining)"


def test_remaining_and_unsafe_counts(tmp_path: Path):
    (tmp_path / "app.py").write_text(SLEEPY + "\n\nasync def other():\n    open('x')\n    await asyncio.sleep(0)\n")
    proc = fix("app.py", cwd=tmp_path)
    assert proc.returncode == 1
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("Fixed 1 finding (1 remaining")
    assert [f[3] for f in parse_findings(proc.stdout)] == ["FPF103"]


def test_diff_exit_codes_and_nothing_written(tmp_path: Path):
    (tmp_path / "app.py").write_text(SLEEPY)
    proc = fastapi_perf("check", "--diff", "app.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert "+    await asyncio.sleep(1)" in proc.stdout
    assert (tmp_path / "app.py").read_text() == SLEEPY
    (tmp_path / "app.py").write_text(FIXED)
    assert fastapi_perf("check", "--diff", "app.py", cwd=tmp_path).returncode == 0


def test_syntax_error_input_is_untouched_and_reported(tmp_path: Path):
    bad = "async def f(:\n    time.sleep(1)\n"
    (tmp_path / "bad.py").write_text(bad)
    (tmp_path / "good.py").write_text(SLEEPY)
    proc = fix(".", cwd=tmp_path)
    assert proc.returncode == 2
    assert (tmp_path / "bad.py").read_text() == bad
    assert (tmp_path / "good.py").read_text() == FIXED
    assert sum("FPF000" in line for line in proc.stderr.splitlines()) == 1


def test_read_only_file_is_reported_and_others_still_fixed(tmp_path: Path):
    (tmp_path / "a_locked.py").write_text(SLEEPY)
    (tmp_path / "a_locked.py").chmod(0o444)
    (tmp_path / "b_open.py").write_text(SLEEPY)
    proc = fix(".", cwd=tmp_path)
    assert proc.returncode == 2
    assert (tmp_path / "a_locked.py").read_text() == SLEEPY
    assert (tmp_path / "b_open.py").read_text() == FIXED
    assert "read-only" in proc.stderr


def test_file_changed_between_analysis_and_write_is_not_overwritten(tmp_path: Path):
    path = tmp_path / "app.py"
    path.write_text("changed by someone else\n")
    with pytest.raises(WriteRefused, match="changed"):
        write_atomic(str(path), FIXED.encode(), SLEEPY.encode())
    assert path.read_text() == "changed by someone else\n"
    assert os.listdir(tmp_path) == ["app.py"]


def test_file_changed_during_a_fix_run(tmp_path: Path, monkeypatch, capsys):
    """The CLI re-reads the file just before the rename and refuses when it changed."""
    from flake8_fastapi_perf import cli
    from flake8_fastapi_perf.fixes import engine

    path = tmp_path / "app.py"
    path.write_text(SLEEPY)
    real = engine.fix_source

    def racing_fix_source(*args, **kwargs):
        outcome = real(*args, **kwargs)
        path.write_text(SLEEPY + "# edited meanwhile\n")
        return outcome

    monkeypatch.setattr(engine, "fix_source", racing_fix_source)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--fix", "app.py"]) == 2
    assert path.read_text() == SLEEPY + "# edited meanwhile\n"
    assert "changed while it was being fixed" in capsys.readouterr().err


def test_stdin_round_trip(tmp_path: Path):
    proc = run(
        [sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--fix", "--stdin-filename", "app.py", "-"],
        cwd=tmp_path, stdin=SLEEPY,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == FIXED
    check = run([sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--stdin-filename", "app.py", "-"],
                cwd=tmp_path, stdin=SLEEPY)
    assert check.returncode == 1
    assert parse_findings(check.stdout)[0][:4] == ("app.py", 6, 5, "FPF101")


def test_crlf_and_bom_are_kept(tmp_path: Path):
    path = tmp_path / "app.py"
    path.write_bytes(b"\xef\xbb\xbf" + SLEEPY.replace("\n", "\r\n").encode())
    assert fix("app.py", cwd=tmp_path).returncode == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + FIXED.replace("\n", "\r\n").encode()


def test_latin1_file_keeps_its_encoding(tmp_path: Path):
    path = tmp_path / "app.py"
    source = "# -*- coding: latin-1 -*-\n" + SLEEPY.replace("handler():", "handler():\n    '''caf\xe9'''")
    path.write_bytes(source.encode("latin-1"))
    assert fix("app.py", cwd=tmp_path).returncode == 0
    assert "await asyncio.sleep(1)" in path.read_bytes().decode("latin-1")
    assert "caf\xe9".encode("latin-1") in path.read_bytes()


def test_libcst_is_not_imported_without_fixable_findings(tmp_path: Path):
    (tmp_path / "clean.py").write_text(FIXED + "\n\nasync def upload(request):\n    return 1\n")
    code = (
        "import sys\n"
        "from flake8_fastapi_perf.cli import main\n"
        "main(['check', '--fix', '--diff', '.'])\n"
        "print('libcst' in sys.modules)\n"
    )
    proc = run([sys.executable, "-c", code], cwd=tmp_path)
    assert proc.stdout.strip().splitlines()[-1] == "False"


def test_demo_app_fixed_version(tmp_path: Path):
    """The demo app, fixed with --unsafe-fixes, is exactly testdata/demo_app_fixed; a second run
    changes nothing, and what remains has no automatic fix."""
    import shutil

    target = tmp_path / "demo_app"
    shutil.copytree(ROOT / "testdata" / "demo_app", target)
    proc = fix("--unsafe-fixes", "demo_app", cwd=tmp_path)
    # what remains: no open() of a file only a worker thread writes (`with open(dest) as out:` around
    # the fixed `await run_in_threadpool(shutil.copyfileobj, file.file, out)`)
    assert proc.stderr.strip().splitlines()[-1] == "Fixed 15 findings (5 remaining)"
    expected_dir = ROOT / "testdata" / "demo_app_fixed"
    expected = sorted(p.relative_to(expected_dir) for p in expected_dir.rglob("*.py"))
    assert sorted(p.relative_to(target) for p in target.rglob("*.py")) == expected
    for relative in expected:
        assert (target / relative).read_bytes() == (expected_dir / relative).read_bytes(), relative
    again = fix("--unsafe-fixes", "--diff", "demo_app", cwd=tmp_path)
    assert again.returncode == 0, again.stdout


# --diff shows what --fix does, whatever the order of the files and --jobs: every file is fixed
# against the project as the run read it.  Here fixing a.py (FPF110: drop `async` from `settle`)
# turns `settle()` in the z*.py importers into a blocking helper call (FPF107).
DEPENDENCY = (
    "import time\n\nfrom fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\n"
    "async def settle():\n    time.sleep(1)\n\n\n"
    "@app.get('/')\ndef index(_=Depends(settle)):\n    return {}\n"
)
IMPORTER = "from app.a import settle\n\n\nasync def handler():\n    settle()\n"


def _fixing_tree(root: Path) -> dict[str, str]:
    # the z*.py and m*.py coroutines are named by no entry point: reported (and fixed) because
    # the project asks for every coroutine
    (root / "pyproject.toml").write_text("[tool.fastapi-perf]\nevery-coroutine = true\n")
    (root / "app").mkdir()
    files = {"app/__init__.py": "", "app/a.py": DEPENDENCY}
    files.update({f"app/m{i:02d}.py": SLEEPY for i in range(20)})  # enough files for a --jobs pool
    files.update({f"app/z{i}.py": IMPORTER for i in range(4)})
    for name, text in files.items():
        (root / name).write_text(text)
    return files


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.py"))}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fix_does_what_diff_shows_across_modules(tmp_path: Path, jobs: str):
    import difflib
    import re
    import shutil

    original = tmp_path / "original"
    original.mkdir()
    files = _fixing_tree(original)
    diff = fastapi_perf("check", "--no-cache", "-j", jobs, "--diff", "--unsafe-fixes", ".", cwd=original)
    assert diff.stderr.strip().splitlines()[-1] == "Would fix 21 findings (0 remaining)", diff.stderr
    assert _tree(original) == files  # --diff writes nothing
    fixed = tmp_path / "fixed"
    shutil.copytree(original, fixed)
    proc = fastapi_perf("check", "--no-cache", "-j", jobs, "--fix", "--unsafe-fixes", ".", cwd=fixed)
    assert proc.stderr.strip().splitlines()[-1] == "Fixed 21 findings (0 remaining)", proc.stderr
    after = _tree(fixed)
    shown = {}  # path -> its diff, as --diff printed it
    for chunk in re.split(r"(?m)^(?=--- a/)", diff.stdout):
        if chunk:
            shown[chunk.split("\n", 1)[0].removeprefix("--- a/./")] = chunk
    assert shown == {
        name: "".join(difflib.unified_diff(text.splitlines(True), after[name].splitlines(True),
                                           f"a/./{name}", f"b/./{name}"))
        for name, text in files.items() if after[name] != text
    }
    assert "async def settle" not in after["app/a.py"]
    assert all(after[f"app/z{i}.py"] == IMPORTER for i in range(4))  # fixed against the a.py read


def test_fix_source_leaves_the_project_index_with_the_text_read(tmp_path: Path):
    """After fix_source(a.py), the index answers for importers from the a.py the run read."""
    from flake8_fastapi_perf.analysis.project import ProjectIndex
    from flake8_fastapi_perf.checker import check_source
    from flake8_fastapi_perf.config import Settings
    from flake8_fastapi_perf.fixes.engine import fix_source

    _fixing_tree(tmp_path)
    a, z = tmp_path / "app" / "a.py", tmp_path / "app" / "z0.py"
    index = ProjectIndex.build([str(p) for p in sorted(tmp_path.rglob("*.py"))], [str(tmp_path)])
    assert check_source(z.read_bytes(), str(z), Settings(), project=index).diagnostics == []
    outcome = fix_source(a.read_bytes(), str(a), Settings(), unsafe=True, project=index)
    assert [d.code for d in outcome.fixed] == ["FPF110"]
    assert check_source(z.read_bytes(), str(z), Settings(), project=index).diagnostics == []


def test_fix_source_leaves_no_chain_learnt_from_the_fixed_text_in_other_modules(tmp_path: Path):
    """While fix_source checks a.py's fixed text, a chain of another live module (b.via ->
    a.settle) learnt from that text must not outlive it: once the index holds the a.py read
    again, z.py's `via()` does not block (settle is async there).  (Every coroutine is
    reported: later() and handler() are named by no entry point.)"""
    from flake8_fastapi_perf.analysis.project import ProjectIndex
    from flake8_fastapi_perf.checker import check_source
    from flake8_fastapi_perf.config import Settings
    from flake8_fastapi_perf.fixes.engine import fix_source

    (tmp_path / "app").mkdir()
    files = {
        "app/__init__.py": "",
        # FPF110 (unsafe fix: drop async); after it, later()'s via() -> settle() blocks
        "app/a.py": DEPENDENCY + "\n\nfrom app.b import via\n\n\nasync def later():\n    via()\n\n\n"
                    "async def kept():\n    via()  # noqa: FPF107\n",  # asked about in the last pass too
        "app/b.py": "from app.a import settle\n\n\ndef via():\n    settle()\n",
        "app/z.py": "import asyncio\n\nfrom app.b import via\n\n\nasync def handler():\n    via()\n"
                    "    await asyncio.sleep(0)\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    a, z = tmp_path / "app" / "a.py", tmp_path / "app" / "z.py"
    index = ProjectIndex.build([str(tmp_path / name) for name in files], [str(tmp_path)])
    with index.session():
        outcome = fix_source(a.read_bytes(), str(a), Settings(every_coroutine=True), unsafe=True, project=index)
        assert "FPF110" in [d.code for d in outcome.fixed]
        assert "await run_in_threadpool(via)" in outcome.source.decode()  # the fixed text: via() blocks
        assert check_source(z.read_bytes(), str(z), Settings(every_coroutine=True), project=index).diagnostics == []
        assert [d.code for d in check_source(a.read_bytes(), str(a), Settings(every_coroutine=True), project=index).diagnostics] == ["FPF110"]
    fresh = ProjectIndex.build([str(tmp_path / name) for name in files], [str(tmp_path)])
    assert check_source(z.read_bytes(), str(z), Settings(every_coroutine=True), project=fresh).diagnostics == []


def test_jobs_workers_never_see_a_file_fixed_in_the_same_run(tmp_path: Path, monkeypatch):
    """With --jobs, --fix writes once the pool is done: a worker reads the project's files
    lazily, and must not find the fixed text of a file another worker (or itself) fixed."""
    from flake8_fastapi_perf import cli

    files = _fixing_tree(tmp_path)
    seen = tmp_path / "changed-while-checking.txt"
    real = cli._Run.process

    def process(self, path, is_stdin):  # runs in the workers (fork)
        changed = [name for name, text in files.items() if (tmp_path / name).read_text() != text]
        if changed:
            with open(seen, "a") as fh:
                fh.write(f"{path}: {changed}\n")
        return real(self, path, is_stdin)

    monkeypatch.setattr(cli._Run, "process", process)
    monkeypatch.chdir(tmp_path)
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("the monkeypatch reaches the workers only with fork")
    assert cli.main(["check", "--no-cache", "-j", "2", "--fix", "--unsafe-fixes", "."]) == 0
    assert not seen.exists(), seen.read_text()
    assert _tree(tmp_path)["app/a.py"] != DEPENDENCY
