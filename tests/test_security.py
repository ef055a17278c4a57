"""The files the tool touches (issue 15; docs/security.md): on an untrusted repository it never
follows a symlink out of the tree, never writes or deletes what it did not create (its cache
included), never loses an edit made while it fixes a file, and never gives LibCST a file too
large for memory.

Each test names the reproducer it guards against.  The commands run as users run them
(``conftest.fastapi_perf``); with ``FASTAPI_PERF_CACHE_DIR=""`` the project's own
``.fastapi_perf_cache`` is used, as it is outside the test suite.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import fastapi_perf, parse_findings, run
from test_bad_input import snapshot
from flake8_fastapi_perf import cache as cache_module
from flake8_fastapi_perf import fileio
from flake8_fastapi_perf.cache import DIRECTORY_NAME, MARKER, ResultCache, _tool_fingerprint, valid_entries
from flake8_fastapi_perf.discovery import iter_python_files
from flake8_fastapi_perf.fileio import CHANGED, OUTSIDE, WriteRefused, write_atomic

pytestmark = pytest.mark.skipif(not cache_module.SUPPORTED, reason="needs O_NOFOLLOW and dir_fd (POSIX)")

SLEEPY = "import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n    await asyncio.sleep(0)\n"
FIXED = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n    await asyncio.sleep(0)\n"
HEX = "0123456789abcdef0123456789abcdef"
PROJECT_CACHE = {"FASTAPI_PERF_CACHE_DIR": ""}  # the project's .fastapi_perf_cache


def sentinel(tmp_path: Path) -> Path:
    """A directory outside the project standing for ``~/.ssh``."""
    outside = tmp_path / "outside"
    (outside / "keys").mkdir(parents=True)
    (outside / "id_ed25519").write_text("private key\n")
    (outside / "keys" / "authorized_keys").write_text("ssh-ed25519 AAAA\n")
    (outside / HEX).mkdir()
    (outside / HEX / "data").write_text("another tool's\n")
    return outside


def project(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for name, text in (files or {"app.py": SLEEPY}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def findings(proc: subprocess.CompletedProcess) -> list[tuple]:
    return sorted((os.path.basename(f[0]), f[1], f[3]) for f in parse_findings(proc.stdout))


def check(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = fastapi_perf("check", "--jobs", "1", *args, ".", cwd=root, env=PROJECT_CACHE if env is None else env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def warnings(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("fastapi-perf: warning:")]


# -- the cache: never outside, never another's ------------------------------------------------

def _committed_links(cache: Path, outside: Path) -> None:
    """A clone whose committed .fastapi_perf_cache points out of the tree."""
    cache.mkdir()
    (cache / HEX).symlink_to(outside)
    (cache / "fedcba9876543210fedcba9876543210").symlink_to(outside / HEX)
    (cache / ".gitignore").symlink_to(outside / "created-gitignore")  # dangling: would create it
    (cache / MARKER).symlink_to(outside / "created-tag")


def _top_is_a_link(cache: Path, outside: Path) -> None:
    cache.symlink_to(outside)


def _version_is_a_link(cache: Path, outside: Path) -> None:
    cache.mkdir()
    (cache / _tool_fingerprint()).symlink_to(outside)


def _everything_a_link(cache: Path, outside: Path) -> None:
    _committed_links(cache, outside)
    (cache / _tool_fingerprint()).symlink_to(outside / "keys")


@pytest.mark.parametrize(("plant", "warned"), [
    pytest.param(_committed_links, False, id="32-hex-gitignore-tag-links"),
    pytest.param(_top_is_a_link, True, id="cache-dir-is-a-link"),
    pytest.param(_version_is_a_link, True, id="version-dir-is-a-link"),
    pytest.param(_everything_a_link, True, id="all-of-them"),
])
def test_a_committed_cache_of_symlinks_leaves_the_outside_untouched(tmp_path: Path, plant, warned: bool):
    """Reproducer: ``.fastapi_perf_cache/0123...ef -> ../../../.ssh`` got ~/.ssh emptied by a
    plain ``fastapi-perf check``; the other links created files outside or wrote through."""
    root = project(tmp_path)
    outside = sentinel(tmp_path)
    before = snapshot(outside)
    expected = findings(check(root, "--no-cache"))
    assert expected == [("app.py", 6, "FPF101")]
    plant(root / DIRECTORY_NAME, outside)
    for _ in range(2):  # cold, then warm
        proc = check(root)
        assert proc.returncode == 1
        assert findings(proc) == expected
        assert snapshot(outside) == before
        if warned:
            (line,) = warnings(proc)
            assert "running without the result cache" in line
        else:
            assert warnings(proc) == []


def test_a_shared_cache_directory_keeps_other_tools_files(tmp_path: Path):
    """Reproducer: ``FASTAPI_PERF_CACHE_DIR`` at a shared directory: another tool's 32-hex
    directory was deleted and a ``.gitignore`` of ``*`` written there."""
    root = project(tmp_path)
    shared = tmp_path / "shared"
    (shared / HEX).mkdir(parents=True)
    (shared / HEX / "blob.json").write_text("{}")
    (shared / HEX / "0123456789abcdef0123456789abcdef.json").write_text("{}")  # even our own file names
    (shared / "settings.toml").write_text("x = 1\n")
    before = snapshot(shared)
    env = {"FASTAPI_PERF_CACHE_DIR": str(shared)}
    for _ in range(2):
        proc = check(root, env=env)
        assert findings(proc) == [("app.py", 6, "FPF101")] and warnings(proc) == []
    after = snapshot(shared)
    ours = _tool_fingerprint()
    assert {k: v for k, v in after.items() if not k.startswith(ours)} == before  # no .gitignore, no tag
    assert (shared / ours / MARKER).is_file() and list((shared / ours).glob("*.json"))


def test_a_committed_fake_marker_is_not_ours(tmp_path: Path):
    """A repository can commit a version directory with a marker copied from a real cache (or
    forged): it names another inode, so the directory is not pruned."""
    root = project(tmp_path)
    check(root)  # a real cache: top and version directory marked
    cache = root / DIRECTORY_NAME
    real_marker = (cache / _tool_fingerprint() / MARKER).read_text()
    fake = cache / HEX
    fake.mkdir()
    (fake / MARKER).write_text(real_marker)
    (fake / "fedcba9876543210fedcba9876543210.json").write_text("{}")
    forged = cache / "fedcba9876543210fedcba9876543210"
    forged.mkdir()
    (forged / MARKER).write_text(real_marker.rsplit(" ", 1)[0] + f" {os.stat(forged).st_ino + 1}\n")
    before = snapshot(cache)
    check(root)
    after = snapshot(cache)
    assert {k: v for k, v in after.items() if k.startswith((HEX, "fedcba"))} == {
        k: v for k, v in before.items() if k.startswith((HEX, "fedcba"))}


def test_an_old_version_directory_of_ours_is_pruned(tmp_path: Path):
    """Pruning still works for what the cache made: an earlier version's directory goes, and a
    directory of ours holding something else keeps that (and stays ours)."""
    root = project(tmp_path)
    check(root)
    cache = root / DIRECTORY_NAME
    top = os.open(cache, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in (HEX, "fedcba9876543210fedcba9876543210"):
            fd, ours = cache_module.open_directory(top, name, name, must_be_ours=True)
            os.close(fd)
            assert ours
    finally:
        os.close(top)
    (cache / HEX / f"{'a' * 32}.json").write_text("{}")
    (cache / "fedcba9876543210fedcba9876543210" / "notes.txt").write_text("mine\n")
    check(root)
    assert not (cache / HEX).exists()
    assert sorted(p.name for p in (cache / "fedcba9876543210fedcba9876543210").iterdir()) == [MARKER, "notes.txt"]


def test_an_earlier_release_cache_is_left_alone(tmp_path: Path):
    """A cache without markers (the previous release's) is never pruned; the run still caches."""
    root = project(tmp_path)
    cache = root / DIRECTORY_NAME
    (cache / HEX).mkdir(parents=True)
    (cache / HEX / "fedcba9876543210fedcba9876543210.json").write_text("{}")
    (cache / ".gitignore").write_text("")  # as a full disk left it
    (cache / MARKER).write_text("Signature: 8a477f597d28d172789f06886806bc55\n# fastapi-perf result cache\n")
    before = snapshot(cache)
    proc = check(root)
    assert warnings(proc) == [] and findings(proc) == [("app.py", 6, "FPF101")]
    after = snapshot(cache)
    assert {k: v for k, v in after.items() if not k.startswith(_tool_fingerprint())} == before


def test_a_copied_cache_is_not_ours(tmp_path: Path):
    """A project copied with its cache: the version directory's marker names the original's inode,
    so the copy runs without the cache, with one warning saying what to delete."""
    root = project(tmp_path)
    check(root)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)
    proc = check(copy)
    (line,) = warnings(proc)
    assert f"{copy / DIRECTORY_NAME / _tool_fingerprint()}" in line and "delete it" in line
    assert findings(proc) == [("app.py", 6, "FPF101")]
    shutil.rmtree(copy / DIRECTORY_NAME / _tool_fingerprint())
    assert warnings(check(copy)) == []


def test_a_cache_directory_of_another_user_is_refused(tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(cache_module.os, "geteuid", lambda: os.stat(cache).st_uid + 1)
    result = ResultCache(str(cache), ["."], ["a.py"])
    assert not result.usable
    assert result.warning == f"cache directory {cache} belongs to another user: running without the result cache"
    result.save()
    assert list(cache.iterdir()) == []


def test_a_cache_path_that_is_a_file_is_refused(tmp_path: Path):
    root = project(tmp_path)
    (root / DIRECTORY_NAME).write_text("not a directory\n")
    proc = check(root)
    (line,) = warnings(proc)
    assert line.endswith(f"{root / DIRECTORY_NAME} is not a directory: running without the result cache")
    assert findings(proc) == [("app.py", 6, "FPF101")]
    assert (root / DIRECTORY_NAME).read_text() == "not a directory\n"


# -- the cache: tampered entries ----------------------------------------------------------------

def _entry(data: dict) -> dict:
    return next(e for p, e in data["entries"].items() if p.endswith("app.py"))


def _set(field: str, value) -> object:
    def tamper(data: dict) -> dict:
        _entry(data)[field] = value
        return data
    return tamper


def _diagnostic(index: int, value) -> object:
    def tamper(data: dict) -> dict:
        _entry(data)["diagnostics"][0][index] = value
        return data
    return tamper


def _replace_entries(value) -> object:
    def tamper(data: dict) -> dict:
        data["entries"] = {p: value for p in data["entries"]}
        return data
    return tamper


TAMPERED = {
    "top-level-list": lambda data: [data],
    "top-level-string": lambda data: "entries",
    "entries-a-list": lambda data: {**data, "entries": list(data["entries"].items())},
    "entry-a-list": _replace_entries([1, 2, 3]),
    "entry-a-number": _replace_entries(7),
    "entry-null": _replace_entries(None),
    "entry-empty": _replace_entries({}),
    "hash-a-number": _set("hash", 12),
    "settings-a-list": _set("settings", []),
    "deps-a-string": _set("deps", "app.py"),
    "deps-of-numbers": _set("deps", [1, 2]),
    "global-a-string": _set("global", "yes"),
    "error-a-number": _set("error", 3),
    "diagnostics-a-dict": _set("diagnostics", {"a": 1}),
    "diagnostic-short": _set("diagnostics", [["FPF101", "m", 1, 1]]),
    "diagnostic-a-string": _set("diagnostics", ["FPF101 m"]),
    "line-a-string": _diagnostic(2, "6"),
    "line-huge": _diagnostic(2, 10**30),
    "line-negative": _diagnostic(2, -5),
    "line-a-float": _diagnostic(2, 6.0),
    "line-a-bool": _diagnostic(2, True),
    "col-infinite": _diagnostic(3, float("inf")),
    "end-line-null": _diagnostic(4, None),
    "code-unknown": _diagnostic(0, "E501"),
    "message-a-list": _diagnostic(1, ["m"]),
}


@pytest.mark.parametrize("tamper", list(TAMPERED.values()), ids=list(TAMPERED))
def test_a_tampered_cache_entry_is_dropped_and_rewritten(tmp_path: Path, monkeypatch, capsys, tamper):
    """Reproducer: a tampered cache entry gave tracebacks.  Each shape: no traceback, the findings
    of a cold run, and the file rewritten with valid entries."""
    from flake8_fastapi_perf import cli

    root = project(tmp_path, {"app.py": SLEEPY, "helpers.py": "def work():\n    return 1\n"})
    monkeypatch.chdir(root)
    monkeypatch.setenv("FASTAPI_PERF_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["check", "--jobs", "1", "."]) == 1
    cold = capsys.readouterr()
    (stored,) = (tmp_path / "cache").glob("*/*.json")
    stored.write_text(json.dumps(tamper(json.loads(stored.read_text())), allow_nan=True))
    assert cli.main(["check", "--jobs", "1", "."]) == 1
    warm = capsys.readouterr()
    assert (warm.out, warm.err) == (cold.out, cold.err)
    data = json.loads(stored.read_text())
    assert len(valid_entries(data, data["files"])) == 2  # both files, valid again


@pytest.mark.parametrize("text", [b"[" * 100_000, b'{"files": ' + b"9" * 5000 + b"}", b"\xff\xfe", b""],
                         ids=["nested-deeply", "int-of-5000-digits", "not-utf8", "empty"])
def test_a_cache_file_that_does_not_parse_is_a_cold_cache(tmp_path: Path, text: bytes):
    root = project(tmp_path)
    env = {"FASTAPI_PERF_CACHE_DIR": str(tmp_path / "cache")}
    check(root, env=env)
    (stored,) = (tmp_path / "cache").glob("*/*.json")
    stored.write_bytes(text)
    proc = check(root, env=env)
    assert findings(proc) == [("app.py", 6, "FPF101")] and warnings(proc) == []
    json.loads(stored.read_text())


def test_a_cache_file_is_read_without_following_a_symlink_and_bounded(tmp_path: Path, monkeypatch):
    root = project(tmp_path)
    directory = tmp_path / "cache"
    check(root, env={"FASTAPI_PERF_CACHE_DIR": str(directory)})
    (stored,) = directory.glob("*/*.json")
    good = stored.read_bytes()
    files = list(json.loads(good)["entries"])

    def loaded() -> set[str]:
        result = ResultCache(str(directory), [str(root)], files)  # the command's ".", from root
        result.close()
        return set(result.old)

    assert loaded() == set(files)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(good)
    stored.unlink()
    stored.symlink_to(elsewhere)
    assert loaded() == set()
    stored.unlink()
    stored.write_bytes(good)
    monkeypatch.setattr(cache_module, "MAX_FILE_SIZE", len(good) - 1)
    assert loaded() == set()


# -- the cache: a full disk -----------------------------------------------------------------------

def test_a_full_disk_leaves_no_empty_gitignore(tmp_path: Path, monkeypatch):
    """Reproducer: on a full disk the cache's .gitignore was left empty and never rewritten."""
    directory = tmp_path / "cache"
    real = cache_module._write_all

    def full(fd: int, data: bytes) -> None:
        if data == cache_module.GITIGNORE_TEXT:
            os.write(fd, data[:5])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(cache_module, "_write_all", full)
    result = ResultCache(str(directory), ["."], [])
    assert result.usable
    result.save()
    assert {p.name for p in directory.iterdir()} == {MARKER, _tool_fingerprint()}  # no temporary file
    monkeypatch.setattr(cache_module, "_write_all", real)
    ResultCache(str(directory), ["."], []).save()
    assert (directory / ".gitignore").read_bytes() == cache_module.GITIGNORE_TEXT


def test_a_full_disk_at_the_first_run_does_not_block_the_next(tmp_path: Path, monkeypatch):
    directory = tmp_path / "cache"

    def full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module, "_write_all", full)
    result = ResultCache(str(directory), ["."], [])
    assert not result.usable and result.warning is None  # silently without the cache
    assert list(directory.iterdir()) == []  # made, then left empty: adopted next time
    monkeypatch.undo()
    result = ResultCache(str(directory), ["."], [])
    assert result.usable
    result.save()
    assert (directory / MARKER).is_file() and (directory / ".gitignore").is_file()


def test_a_read_only_cache_is_read_and_the_run_stays_silent(tmp_path: Path, monkeypatch):
    """A read-only file system (or a cache of root's): the cache is read, not written, no warning."""
    directory = tmp_path / "cache"
    first = ResultCache(str(directory), ["."], ["a.py"])
    first.put("a.py", cache_module.Settings(), [], None, [], {}, digest="0" * 32)
    first.save()

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(cache_module, "_write_file", read_only)
    monkeypatch.setattr(cache_module.os, "mkdir", read_only)
    second = ResultCache(str(directory), ["."], ["a.py"])
    assert second.usable and second.warning is None and set(second.old) == {"a.py"}
    second.save()  # nothing raised


def test_an_empty_gitignore_is_rewritten(tmp_path: Path):
    root = project(tmp_path)
    check(root)
    gitignore = root / DIRECTORY_NAME / ".gitignore"
    gitignore.write_text("")
    check(root)
    assert gitignore.read_text().splitlines()[-1] == "*"


# -- symlinks out of the tree ---------------------------------------------------------------------

def _linked_tree(tmp_path: Path, alias: bool = False) -> tuple[Path, Path]:
    root = project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.py").write_text(SLEEPY)
    (root / "link.py").symlink_to(outside / "target.py")
    if alias:
        (root / "pkg").mkdir()
        (root / "pkg" / "alias.py").symlink_to(root / "app.py")  # inside the tree: still checked
    return root, outside / "target.py"


def fix(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", "import sys; from flake8_fastapi_perf.cli import fix_main; sys.exit(fix_main())",
                "--jobs", "1", *args], cwd=cwd)


def test_fix_of_a_tree_does_not_write_through_a_symlink_out_of_it(tmp_path: Path):
    """Reproducer: ``--fix .`` also rewrote a symlinked .py whose target is outside the tree."""
    root, target = _linked_tree(tmp_path)
    proc = fix(".", cwd=root)
    assert target.read_text() == SLEEPY
    assert (root / "app.py").read_text() == FIXED
    assert warnings(proc) == ["fastapi-perf: warning: ./link.py: not checked: a symlink to a file outside the "
                              "checked directories (name it on the command line to check it)"]
    assert proc.returncode == 0, proc.stderr


def test_check_of_a_tree_does_not_read_a_symlink_out_of_it(tmp_path: Path):
    root, target = _linked_tree(tmp_path, alias=True)
    proc = check(root)
    assert findings(proc) == [("alias.py", 6, "FPF101"), ("app.py", 6, "FPF101")]
    assert len(warnings(proc)) == 1
    errors: list[str] = []
    skipped: list[str] = []
    assert sorted(iter_python_files([str(root)], errors, skipped=skipped)) == [
        str(root / "app.py"), str(root / "pkg" / "alias.py")]
    assert skipped == [f"{root / 'link.py'}: not checked: a symlink to a file outside the checked directories "
                       f"(name it on the command line to check it)"] and errors == []
    # with the target's directory named too, the link is inside the checked directories
    assert len(list(iter_python_files([str(root), str(target.parent)], [], skipped=skipped))) == 4


def test_a_symlink_named_on_the_command_line_is_fixed(tmp_path: Path):
    root, target = _linked_tree(tmp_path)
    proc = fix("link.py", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == FIXED and (root / "link.py").is_symlink()


def test_the_writer_refuses_a_symlink_out_of_the_roots(tmp_path: Path, monkeypatch, capsys):
    """Defense in depth: were the walk to yield the link, ``--fix`` still would not write it."""
    from flake8_fastapi_perf import cli

    root, target = _linked_tree(tmp_path)
    with pytest.raises(WriteRefused, match="symlink to a file outside"):
        write_atomic(str(root / "link.py"), FIXED.encode(), SLEEPY.encode(), roots=[str(root)])
    write_atomic(str(root / "link.py"), FIXED.encode(), SLEEPY.encode(), roots=[str(root)],
                 named=[str(root / "link.py")])
    assert target.read_text() == FIXED
    target.write_text(SLEEPY)
    monkeypatch.setattr(cli, "iter_python_files", lambda paths, *args, **kwargs: iter(["./link.py"]))
    monkeypatch.chdir(root)
    monkeypatch.setenv("FASTAPI_PERF_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["check", "--fix", "--jobs", "1", "."]) == 2
    err = capsys.readouterr().err
    assert f"./link.py:1:1: FPF000 {OUTSIDE}" in err.splitlines()
    assert target.read_text() == SLEEPY


def test_a_symlinked_gitignore_is_not_read(tmp_path: Path):
    root = project(tmp_path)
    (tmp_path / "ignore").write_text("app.py\n")
    (root / ".gitignore").symlink_to(tmp_path / "ignore")
    assert findings(check(root)) == [("app.py", 6, "FPF101")]


# -- a write racing with an editor ----------------------------------------------------------------

def _exchange_works(tmp_path: Path) -> bool:
    a, b = tmp_path / "probe-a", tmp_path / "probe-b"
    a.write_text("a")
    b.write_text("b")
    try:
        return fileio._exchange(str(a), str(b)) and a.read_text() == "b"
    finally:
        a.unlink()
        b.unlink()


def _in_place(path: Path) -> None:
    with open(path, "r+b") as fh:  # the same inode, as `echo >> app.py` or an editor's in-place save
        fh.write(b"# edited\n")
        fh.truncate()


def _renamed_into_place(path: Path) -> None:
    new = path.with_name(".app.py.swp")
    new.write_text("# saved by an editor\n")
    os.replace(new, path)


def race_at_the_rename(monkeypatch, path: Path, edit) -> list[str]:
    """Make ``edit(path)`` land at the last moment: just before the rename (or the swap)."""
    done: list[str] = []
    real_exchange, real_replace = getattr(fileio, "_exchange", None), os.replace

    def exchange(a, b):
        if not done:
            done.append("exchange")
            edit(path)
        return real_exchange(a, b)

    def replace(a, b, **kwargs):
        if not done:
            done.append("replace")
            edit(path)
        return real_replace(a, b, **kwargs)

    monkeypatch.setattr(fileio, "_exchange", exchange, raising=False)
    monkeypatch.setattr(fileio.os, "replace", replace)
    return done


@pytest.mark.parametrize("edit", [_in_place, _renamed_into_place], ids=["in-place", "rename-into-place"])
@pytest.mark.parametrize("swap", [True, False], ids=["exchange", "replace"])
def test_an_edit_at_the_rename_survives(tmp_path: Path, monkeypatch, edit, swap: bool):
    """Reproducer: ``write_atomic`` compared, then wrote, then renamed: an editor's save landing
    between the compare and the rename was overwritten."""
    if swap and not _exchange_works(tmp_path):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    if not swap and edit is _renamed_into_place:
        pytest.skip("without the exchange, a rename in the instant before ours cannot be seen (documented)")
    if not swap:
        monkeypatch.setattr(fileio, "_exchange", lambda a, b: False, raising=False)
    path = tmp_path / "app.py"
    path.write_text(SLEEPY)
    path.chmod(0o640)
    done = race_at_the_rename(monkeypatch, path, edit)
    with pytest.raises(WriteRefused, match=CHANGED):
        write_atomic(str(path), FIXED.encode(), SLEEPY.encode())
    assert done
    expected = "# saved by an editor\n" if edit is _renamed_into_place else "# edited\n"
    assert path.read_text() == expected
    assert os.listdir(tmp_path) == ["app.py"]  # no temporary file left
    if edit is _in_place:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_edit_before_the_recheck_is_seen(tmp_path: Path, monkeypatch):
    path = tmp_path / "app.py"
    path.write_text(SLEEPY)
    real = fileio._temporary_copy

    def slow_copy(*args):
        _in_place(path)
        return real(*args)

    monkeypatch.setattr(fileio, "_temporary_copy", slow_copy)
    with pytest.raises(WriteRefused, match=CHANGED):
        write_atomic(str(path), FIXED.encode(), SLEEPY.encode())
    assert path.read_text().startswith("# edited\n") and os.listdir(tmp_path) == ["app.py"]


def test_a_full_disk_while_writing_the_fix_keeps_the_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "app.py"
    path.write_text(SLEEPY)

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    with pytest.raises(WriteRefused, match="^cannot write: No space left on device$"):
        write_atomic(str(path), FIXED.encode(), SLEEPY.encode())
    assert path.read_text() == SLEEPY and os.listdir(tmp_path) == ["app.py"]


def test_fix_reports_a_file_edited_at_the_rename_as_skipped(tmp_path: Path, monkeypatch, capsys):
    from flake8_fastapi_perf import cli

    path = tmp_path / "app.py"
    path.write_text(SLEEPY)
    race_at_the_rename(monkeypatch, path, _in_place)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_PERF_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["check", "--fix", "--jobs", "1", "app.py"]) == 2
    out, err = capsys.readouterr()
    assert path.read_text() == "# edited\n"
    assert [line for line in err.splitlines() if "FPF000" in line] == [f"app.py:1:1: FPF000 {CHANGED}"]
    assert [f[3] for f in parse_findings(out)] == ["FPF101"]  # not fixed: still reported


# -- the fix size limit ---------------------------------------------------------------------------

PADDED = SLEEPY + "".join(f"# padding line {i:04}\n" for i in range(100))  # about 2.1 KB


def main_without_libcst(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """``cli.main(argv)`` in a new process; its last stdout line: whether LibCST was imported,
    and the exit code."""
    code = ("import sys\nfrom flake8_fastapi_perf.cli import main\n"
            f"code = main({list(argv)!r})\n"
            "print('libcst' in sys.modules, code)\n")
    return run([sys.executable, "-c", code], cwd=cwd)


def test_fix_refuses_a_file_over_the_size_limit(tmp_path: Path):
    """Reproducer: ``--fix`` on a 50 MB file used 12.7 GB before it was killed (LibCST's tree)."""
    (tmp_path / "big.py").write_text(PADDED)
    proc = main_without_libcst(tmp_path, "check", "--fix", "--fix-max-size", "1KB", "--no-cache", "big.py")
    assert proc.stdout.splitlines()[-1] == "False 2"
    assert (tmp_path / "big.py").read_text() == PADDED
    assert [line for line in proc.stderr.splitlines() if "FPF000" in line] == [
        f"big.py:1:1: FPF000 not fixed: the file is {fileio.format_size(len(PADDED))}, over the fix limit of "
        f"1 KB (fix-max-size)"]
    assert [f[3] for f in parse_findings(proc.stdout.split("\n", 1)[0] + "\n")] == ["FPF101"]


def test_the_fix_size_limit_from_pyproject_and_the_flag(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-perf]\nfix-max-size = "2KiB"\n')
    (tmp_path / "big.py").write_text(PADDED)
    proc = fix("big.py", cwd=tmp_path)
    assert proc.returncode == 2 and "over the fix limit of 2 KB (fix-max-size)" in proc.stderr
    assert (tmp_path / "big.py").read_text() == PADDED
    proc = fix("--fix-max-size", "0", "big.py", cwd=tmp_path)  # 0: no limit
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "big.py").read_text().startswith(FIXED)


def test_the_default_fix_size_limit(tmp_path: Path):
    big = SLEEPY + "#" * 99 + "\n"
    big += ("#" * 99 + "\n") * ((fileio.DEFAULT_FIX_MAX_SIZE - len(big)) // 100 + 1)
    (tmp_path / "big.py").write_text(big)
    proc = fix("big.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert (f"big.py:1:1: FPF000 not fixed: the file is {len(big):,} bytes, over the fix limit of "
            f"{fileio.DEFAULT_FIX_MAX_SIZE:,} bytes (fix-max-size)") in proc.stderr.splitlines()
    assert (tmp_path / "big.py").read_text() == big


def test_the_fix_size_limit_on_stdin(tmp_path: Path):
    proc = run([sys.executable, "-m", "flake8_fastapi_perf.cli", "check", "--fix", "--fix-max-size", "1000", "-"],
               cwd=tmp_path, stdin=PADDED)
    assert proc.stdout == PADDED  # the input, unchanged
    assert proc.returncode == 2
    assert (f"-:1:1: FPF000 not fixed: the file is {fileio.format_size(len(PADDED))}, over the fix limit of 1 KB "
            "(fix-max-size)") in proc.stderr.splitlines()


def test_json_output_of_a_large_file_skips_fix_edits(tmp_path: Path):
    (tmp_path / "big.py").write_text(PADDED)
    proc = main_without_libcst(tmp_path, "check", "--output-format", "json", "--fix-max-size", "1KB", "--no-cache",
                               "big.py")
    body, _, last = proc.stdout.rstrip("\n").rpartition("\n")
    assert last == "False 1"
    assert [item["code"] for item in json.loads(body)] == ["FPF101"]


@pytest.mark.parametrize(("value", "size"), [(0, 0), ("1500", 1500), ("2MB", 2_000_000), ("1.5 kb", 1500),
                                             ("512KiB", 524288), ("1 GiB", 2**30)])
def test_parse_size(value, size: int):
    assert fileio.parse_size(value) == size


@pytest.mark.parametrize("value", ["-1", "ten", "5 XB", True, -3, None, [1]])
def test_parse_size_rejects(value):
    with pytest.raises(ValueError, match="expected a size"):
        fileio.parse_size(value)


def test_bad_fix_size_in_pyproject_is_a_config_error(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-perf]\nfix-max-size = "big"\n')
    (tmp_path / "app.py").write_text(SLEEPY)
    proc = fix("app.py", cwd=tmp_path)
    assert proc.returncode == 2 and "fix-max-size: expected a size" in proc.stderr
