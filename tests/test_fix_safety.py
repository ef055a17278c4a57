"""The fixer never writes code that does not compile, changes what a name means, or drops an
import other modules need (issue 15).

* ``testdata/fixes/noop/*.py``: shapes no fixer may touch (``await`` where it cannot go, names
  taken in every way); each must still be reported, and be left exactly as it is.
* :func:`flake8_fastapi_perf.fixes.safety.verify`, the check the engine runs on every fixed text,
  on hand-made pairs: it must catch each way a fix can go wrong.
* Property tests: modules from ``tests/fixgen.py`` (and hypothesmith) go through every fixer with
  the engine's own check turned off, so that what the fixers write on their own is judged:
  it compiles, a second run changes nothing, and every name means what it meant (the names a fix
  adds mean what the fix needs: ``asyncio`` the module, ``set`` the builtin ...).  The number of
  examples comes from ``FASTAPI_PERF_PROPERTY_EXAMPLES`` (``bench/run.py --property-check`` runs
  10,000; the suite a fixed sample of 120).
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, event, given, settings

import fixgen
from conftest import TESTDATA, fastapi_perf
from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings
from flake8_fastapi_perf.diagnostics import decode_source
from flake8_fastapi_perf.fixes import engine, load_fixers
from flake8_fastapi_perf.fixes.engine import fix_source
from flake8_fastapi_perf.fixes.safety import Intent, compiles, meanings, verify

NOOP = sorted((TESTDATA / "fixes" / "noop").glob("*.py"))
EXAMPLES = int(os.environ.get("FASTAPI_PERF_PROPERTY_EXAMPLES", "0") or 0)


def _unsafe(path: Path) -> bool:
    return path.read_bytes().split(b"\n", 1)[0].strip() == b"# fix-options: --unsafe-fixes"


# -- noop cases ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", NOOP, ids=lambda p: p.stem)
def test_noop_case_is_reported_and_left_alone(case: Path):
    source = case.read_bytes()
    fixers = load_fixers()
    findings = check_source(source, str(case), Settings()).diagnostics
    assert any(d.code in fixers for d in findings), "the case must have a finding whose rule has a fix"
    outcome = fix_source(source, str(case), Settings(), unsafe=_unsafe(case))
    assert outcome.error is None
    assert outcome.fixed == []
    assert outcome.source == source


# -- the verifier ------------------------------------------------------------------------------

def _verdict(before: str, after: str, intents: dict[str, Intent] | None = None) -> str | None:
    return verify(meanings(before, ast.parse(before)), after, intents or {})


ASYNC_SLEEP = {"asyncio": Intent("import", "asyncio")}


@pytest.mark.parametrize(
    "before, after, intents, wrong",
    [
        # await where it cannot go
        ("import time\nasync def f():\n    g = lambda: time.sleep(1)\n",
         "import time\nasync def f():\n    g = lambda: await time.sleep(1)\n", {}, "does not compile"),
        ("async def f(xs):\n    return sum(x for x in xs)\n",
         "async def f(xs):\n    return sum(await x for x in xs)\n", {}, None),  # compiles: an async genexp
        ("import time\ndef f():\n    time.sleep(1)\n", "import time\ndef f():\n    await time.sleep(1)\n", {},
         "does not compile"),
        # a name the fix needs means something else where it is used
        ("import time\nasync def f(asyncio):\n    time.sleep(1)\n    return asyncio\n",
         "import time\nimport asyncio\nasync def f(asyncio):\n    await asyncio.sleep(1)\n    return asyncio\n",
         ASYNC_SLEEP, "is not what the fix needs"),
        ("import time\nasyncio = 1\nasync def f():\n    time.sleep(1)\n",
         "import time\nimport asyncio\nasyncio = 1\nasync def f():\n    await asyncio.sleep(1)\n",
         ASYNC_SLEEP, "not what the fix needs"),
        ("import time\nasync def f():\n    for asyncio in range(2):\n        time.sleep(1)\n",
         "import time\nimport asyncio\nasync def f():\n    for asyncio in range(2):\n        await asyncio.sleep(1)\n",
         ASYNC_SLEEP, "not what the fix needs"),
        ("import time\nif 0:\n    import asyncio\nasync def f():\n    time.sleep(1)\n",
         "import time\nif 0:\n    import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
         ASYNC_SLEEP, "not what the fix needs"),  # only a conditional import
        ("import time\nasync def f():\n    time.sleep(1)\n",
         "import time\nasync def f():\n    await asyncio.sleep(1)\n", {}, "without knowing what it means"),
        # an added import changes what another function's name meant
        ("import time\ndef g():\n    return asyncio\nasync def f():\n    time.sleep(1)\n",
         "import time\nimport asyncio\ndef g():\n    return asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
         ASYNC_SLEEP, None),  # declared: the unbound name now means the module (what the fix adds)
        ("import time\ndef g():\n    return asyncio\nasync def f():\n    time.sleep(1)\n",
         "import time\nimport asyncio\ndef g():\n    return asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
         {}, "module-level bindings of `asyncio`"),
        # a new local that another reference in the scope meant as a global
        ("chunk = 1\nasync def f(u):\n    def g():\n        return chunk\n    data = await u.read()\n",
         "chunk = 1\nasync def f(u):\n    def g():\n        return chunk\n    while chunk := await u.read(9):\n        pass\n",
         {}, "would mean something else"),
        # a fix must say what it relies on
        ("import time\nimport asyncio\nasync def f():\n    time.sleep(1)\n",
         "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n", {}, "without knowing"),
        # the right fix passes
        ("import time\nimport asyncio\nasync def f():\n    time.sleep(1)\n",
         "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n", ASYNC_SLEEP, None),
        ("import time\nasync def f():\n    time.sleep(1)\n",
         "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n", ASYNC_SLEEP, None),
        # a dropped import that __all__ exports
        ("from time import sleep\n__all__ = ['sleep']\nasync def f():\n    sleep(1)\n",
         "import asyncio\n__all__ = ['sleep']\nasync def f():\n    await asyncio.sleep(1)\n", ASYNC_SLEEP,
         "other modules may import"),
        # a use removed beside a comprehension's own variable of that name (found by the long
        # property run): the comprehension's `pause` keeps its meaning
        ("from time import sleep as pause\nasync def f():\n    c = [pause for pause in range(1)]\n    pause(0)\n",
         "from time import sleep as pause\nimport asyncio\nasync def f():\n    c = [pause for pause in range(1)]\n"
         "    await asyncio.sleep(0)\n", ASYNC_SLEEP, None),
        # ... but a use the fix leaves must not change meaning
        ("from time import sleep as pause\nasync def f():\n    c = [pause for pause in range(1)]\n    pause(0)\n",
         "from time import sleep as pause\nimport asyncio\nasync def f():\n    c = [pause for _ in range(1)]\n"
         "    await asyncio.sleep(0)\n", ASYNC_SLEEP, "would mean something else"),
        # moving a call into a lambda keeps its names' meaning
        ("import sqlite3\nasync def f(p):\n    return sqlite3.connect(p).execute('x').fetchall()\n",
         "import sqlite3\nfrom fastapi.concurrency import run_in_threadpool\nasync def f(p):\n"
         "    return await run_in_threadpool(lambda: sqlite3.connect(p).execute('x').fetchall())\n",
         {"run_in_threadpool": Intent("import", "fastapi.concurrency.run_in_threadpool")}, None),
    ],
)
def test_verify(before: str, after: str, intents: dict, wrong: str | None):
    verdict = _verdict(before, after, intents)
    if wrong is None:
        assert verdict is None
    else:
        assert verdict is not None and wrong in verdict, verdict


# -- imports other modules use -------------------------------------------------------------------

SLEEPY = "from time import sleep\n\n\nasync def handler():\n    sleep(1)\n    await handler()\n"


def test_an_import_another_module_uses_is_kept(tmp_path: Path):
    """``from time import sleep`` in ``pkg/__init__.py`` and in ``pkg/utils.py`` is imported by
    other modules: the fix leaves it; in ``pkg/alone.py`` nobody imports it: it goes."""
    (tmp_path / "pyproject.toml").write_text("")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("__init__.py", "utils.py", "alone.py"):
        (pkg / name).write_text(SLEEPY)
    (tmp_path / "main.py").write_text("from pkg import sleep\nfrom pkg.utils import sleep as nap\n")
    proc = fastapi_perf("check", "--fix", "--no-cache", "pkg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for kept in ("__init__.py", "utils.py"):
        text = (pkg / kept).read_text()
        assert text.startswith("from time import sleep\n") and "await asyncio.sleep(1)" in text, kept
    alone = (pkg / "alone.py").read_text()
    assert "from time import sleep" not in alone and "await asyncio.sleep(1)" in alone


# -- deep and big inputs ----------------------------------------------------------------------------

DEEP = {
    "expression": "    return " + " + ".join(f"x{i}" for i in range(400)) + "\n",
    "elif": "    if x == -1:\n        pass\n" + "".join(f"    elif x == {i}:\n        pass\n" for i in range(400)),
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_a_file_too_deep_for_libcst_is_left_as_it_was(shape: str):
    """LibCST's visitors recurse: a 400-term expression or a 400-branch elif chain is one FPF000
    line for the file, which is left as it was."""
    source = f"import time\n\n\nasync def f(x):\n    time.sleep(1)\n{DEEP[shape]}".encode()
    outcome = fix_source(source, "deep.py", Settings())
    if outcome.error is None:  # a LibCST that copes: then the fix must be right
        assert outcome.fixed and compiles(outcome.source) is None
    else:
        assert outcome.source == source
        assert outcome.error.startswith("deep.py:1:1: FPF000 not fixed:") and "\n" not in outcome.error


def test_a_run_goes_on_after_a_file_too_deep_to_fix(tmp_path: Path):
    (tmp_path / "deep.py").write_text(f"import time\n\n\nasync def f(x):\n    time.sleep(1)\n{DEEP['elif']}")
    (tmp_path / "ok.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n    await f()\n")
    proc = fastapi_perf("check", "--fix", "--no-cache", "deep.py", "ok.py", cwd=tmp_path)
    assert "await asyncio.sleep(1)" in (tmp_path / "ok.py").read_text()
    assert "time.sleep(1)" in (tmp_path / "deep.py").read_text()
    assert "deep.py:1:1: FPF000 not fixed" in proc.stderr and "Fixed 1 finding" in proc.stderr
    assert proc.returncode == 2  # an error


def test_a_file_that_does_not_compile_is_not_fixed():
    source = b"import time\n\n\nasync def f():\n    time.sleep(1)\n    await g()\n\n\ndef g():\n    await f()\n"
    outcome = fix_source(source, "bad.py", Settings())
    assert outcome.source == source
    assert outcome.error is not None and "does not compile" in outcome.error


# -- property tests ------------------------------------------------------------------------------

def _check_fixed(source: str, unsafe: bool = True) -> None:
    """The properties, for one module: the fixers' own output (engine check off)."""
    data = source.encode()
    assume(compiles(data) is None)
    old = meanings(source, ast.parse(source))
    outcome = fix_source(data, "gen.py", Settings(), unsafe=unsafe)
    assert outcome.error is None, outcome.error
    for code in sorted({d.code for d in outcome.fixed}) or ["nothing"]:
        event(f"fixed {code}")
    new_text = decode_source(outcome.source)
    problem = verify(old, new_text, fixgen.intents_for(new_text))
    assert problem is None, f"{problem}\n--- before\n{source}\n--- after\n{new_text}"
    again = fix_source(outcome.source, "gen.py", Settings(), unsafe=unsafe)
    assert again.source == outcome.source, f"a second run changes the file:\n{new_text}"


@pytest.fixture()
def fixers_unchecked():
    """The engine's own check off: what the fixers write is judged as it is."""
    engine.VERIFY = False
    try:
        yield
    finally:
        engine.VERIFY = True


PROPERTY = settings(max_examples=EXAMPLES or 120, deadline=None, suppress_health_check=list(HealthCheck),
                    derandomize=not EXAMPLES, database=None)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@PROPERTY
@given(fixgen.modules())
def test_fixers_keep_every_meaning_on_generated_shapes(fixers_unchecked, source: str):
    _check_fixed(source)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=(EXAMPLES // 4) or 30, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=not EXAMPLES, database=None)
@given(fixgen.modules())
def test_the_engine_output_compiles_and_is_stable(source: str):
    """With the engine's check on (as users run it): the same properties."""
    _check_fixed(source)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@settings(max_examples=(EXAMPLES // 4) or 40, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=not EXAMPLES, database=None)
@given(hypothesmith.from_node())
def test_fixers_keep_every_meaning_on_arbitrary_modules(fixers_unchecked, source: str):
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        assume(False)
    _check_fixed(source)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="one interpreter is enough for the example")
def test_the_generators_reach_every_fixer():
    """The generated shapes make each rule with a fixer fire (else the properties prove little)."""
    seen: set[str] = set()
    fixers = load_fixers()

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    @given(fixgen.modules())
    def collect(source: str):
        for d in check_source(source.encode(), "gen.py", Settings()).diagnostics:
            seen.add(d.code)

    collect()
    assert set(fixers) <= seen, sorted(set(fixers) - seen)
