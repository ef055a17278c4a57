"""The pre-commit hooks: .pre-commit-hooks.yaml is valid for pre-commit, the documented
.pre-commit-config.yaml snippets are valid, and ``pre-commit try-repo`` installs and runs both hooks.

The try-repo test builds the hooks' environment from a copy of this working tree, installing the
package and its dependencies from the package index (about 20-30 s). It is skipped when
FASTAPI_PERF_NO_NETWORK=1 is set, and when the install fails because the index cannot be reached.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit")
from pre_commit.clientlib import InvalidConfigError, InvalidManifestError, load_config, load_manifest  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
HOOK_IDS = ["fastapi-perf", "fastapi-perf-fix"]
NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Network is unreachable"
    r"|Name or service not known|No matching distribution found|Could not find a version that satisfies",
)


def _hooks() -> dict[str, dict]:
    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


def test_manifest_is_valid() -> None:
    hooks = _hooks()
    assert list(hooks) == HOOK_IDS
    assert hooks["fastapi-perf"]["entry"] == "fastapi-perf check"
    assert hooks["fastapi-perf-fix"]["entry"] == "fastapi-perf-fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["python"]
        assert hook["pass_filenames"] is True
        assert hook["name"] and hook["description"]
    assert hooks["fastapi-perf-fix"]["require_serial"] is True


def test_manifest_entries_are_console_scripts() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    for hook in _hooks().values():
        assert hook["entry"].split()[0] in scripts


def test_manifest_schema_rejects_a_broken_hook(tmp_path: Path) -> None:
    """The check above means something: pre-commit's schema does reject a bad manifest."""
    broken = tmp_path / ".pre-commit-hooks.yaml"
    broken.write_text("- id: fastapi-perf\n  entry: fastapi-perf check\n", encoding="utf-8")  # no name, no language
    with pytest.raises(InvalidManifestError):
        load_manifest(str(broken))


def test_documented_configs_are_valid(tmp_path: Path) -> None:
    """Every ```yaml block with `repos:` in the README and docs/ is a valid pre-commit config using our hook ids."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    blocks = [
        m.group(1)
        for path in texts
        for m in re.finditer(r"^```yaml\n(.*?)^```$", path.read_text(encoding="utf-8"), re.M | re.S)
        if re.search(r"^repos:", m.group(1), re.M)
    ]
    assert len(blocks) >= 3
    config_path = tmp_path / ".pre-commit-config.yaml"
    used: set[str] = set()
    for block in blocks:
        config_path.write_text(block, encoding="utf-8")
        try:
            config = load_config(str(config_path))
        except InvalidConfigError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"invalid pre-commit config in the docs:\n{block}\n{exc}")
        for repo in config["repos"]:
            if "flake8-fastapi-perf" in repo["repo"]:
                ids = {hook["id"] for hook in repo["hooks"]}
                assert ids <= set(HOOK_IDS), ids
                used |= ids
            if repo["repo"] == "https://github.com/PyCQA/flake8":
                (hook,) = repo["hooks"]
                assert any(dep.startswith("flake8-fastapi-perf") for dep in hook["additional_dependencies"])
    assert "fastapi-perf" in used


SAMPLE = """\
import time

from fastapi import FastAPI

from helpers import fetch_all

app = FastAPI()


@app.get("/slow")
async def slow(client):
    await client.ping()
    time.sleep(1)
    return {}


@app.get("/remote")
async def remote(client):
    await client.ping()
    return fetch_all()
"""
#: a helper module: the chain app.py -> helpers.fetch_all() -> requests.get() needs both files in
#: one run (the hook is require_serial, so pre-commit hands them to one process)
HELPERS = """import requests


def fetch_all():
    return requests.get("https://example.com").json()
"""


def _git(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
         "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, env=env, check=True, capture_output=True, timeout=60,
    )


def _fillers_that_split(first: str, second: str) -> list[str]:
    """File names that, with ``first`` and ``second``, make pre-commit put those two in different
    partitions when a hook is not ``require_serial`` (two processes at least)."""
    from pre_commit import lang_base, xargs

    jobs = max(2, lang_base.target_concurrency())
    for n in range(4, 200):
        fillers = [f"f{i:03}.py" for i in range(n)]
        files = lang_base._shuffled(sorted([first, second, *fillers]))
        parts = xargs.partition(("fastapi-perf", "check"), files, jobs)
        if not any(first in part and second in part for part in parts):
            return fillers
    raise AssertionError("no number of files splits them")


def test_the_check_hook_sees_the_whole_project() -> None:
    # one process for all the files: cross-module chains and startup/CLI-only code need them all
    assert _hooks()["fastapi-perf"]["require_serial"] is True


def _copy_hook_repo(dest: Path, env: dict[str, str]) -> None:
    """What a user would get from cloning this repository: the package's sources as they are now
    (tracked and new files, not ignored ones), its metadata and the hooks file, committed."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
         "flake8_fastapi_perf", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml"],
        cwd=ROOT, env=env, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    _git("init", "-q", cwd=dest, env=env)
    _git("add", "-A", cwd=dest, env=env)
    _git("commit", "-q", "-m", "hooks under test", cwd=dest, env=env)


@pytest.mark.skipif(os.environ.get("FASTAPI_PERF_NO_NETWORK") == "1", reason="FASTAPI_PERF_NO_NETWORK=1")
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_try_repo_runs_both_hooks(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "PRE_COMMIT", "FLAKE8", "FASTAPI_PERF")) and k != "SKIP"}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "cache"), PIP_DEFAULT_TIMEOUT="20", PIP_RETRIES="1")
    hook_repo, project = tmp_path / "hook-repo", tmp_path / "project"
    hook_repo.mkdir()
    project.mkdir()
    _copy_hook_repo(hook_repo, env)
    (project / "app.py").write_text(SAMPLE, encoding="utf-8")
    (project / "helpers.py").write_text(HELPERS, encoding="utf-8")
    # enough files that pre-commit, were the hook not require_serial, would hand app.py and
    # helpers.py to different processes (its own shuffle and partition say which)
    fillers = _fillers_that_split("app.py", "helpers.py")
    for name in fillers:
        (project / name).write_text("x = 1\n", encoding="utf-8")
    _git("init", "-q", cwd=project, env=env)
    _git("add", "app.py", "helpers.py", *fillers, cwd=project, env=env)

    # one try-repo (each builds the hook environment afresh): both hooks, in the manifest's order
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "--all-files", "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    output = proc.stdout + proc.stderr
    log = tmp_path / "cache" / "pre-commit.log"
    if "An unexpected error has occurred" in output:
        details = output + (log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")
        if NETWORK_ERRORS.search(details):
            pytest.skip("pre-commit could not install the hook environment from the package index")
        pytest.fail(f"pre-commit try-repo failed:\n{details}")

    assert proc.returncode == 1, output
    # fastapi-perf reports the finding and fails ...
    assert re.search(r"^fastapi-perf\.+Failed$", output, re.M), output
    check_part = output.split("fastapi-perf-fix.")[0]
    assert "app.py:13:5: FPF101 " in check_part
    # the same findings as `fastapi-perf check .`: the chain into the other module too
    assert "app.py:20:12: FPF107 helpers.fetch_all() -> requests.get() " in check_part, output
    # ... then fastapi-perf-fix fixes it (pre-commit fails a hook that modifies files)
    assert re.search(r"^fastapi-perf-fix\.+Failed$", output, re.M), output
    assert "files were modified by this hook" in output
    assert "Fixed 1 finding" in output
    fixed = (project / "app.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in fixed and "time.sleep" not in fixed
