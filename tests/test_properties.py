"""Property tests: checking and fixing never raise and never produce output that does not compile.
(The fixers' own output is judged, name by name, in test_fix_safety.py.)"""

from __future__ import annotations

import os


import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings
from flake8_fastapi_perf.fixes.engine import fix_source
from flake8_fastapi_perf.fixes.safety import compiles

SETTINGS = Settings()
#: ``bench/run.py --property-check N`` runs these with N // 4 examples each.
EXAMPLES = int(os.environ.get("FASTAPI_PERF_PROPERTY_EXAMPLES", "0") or 0) // 4
#: Blocking calls and shapes the fixers rewrite, to embed random code in.
TEMPLATES = [
    "import time\nimport asyncio\n\nasync def f(x):\n    await asyncio.sleep(0)\n    time.sleep({expr})\n",
    "import requests\nimport asyncio\n\nasync def f(x):\n    await asyncio.sleep(0)\n    return requests.get({expr}, timeout=1)\n",
    "from fastapi import FastAPI, Request\napp = FastAPI()\n\n@app.middleware('http')\ndef m(request: Request, call_next):\n    x = {expr}\n    return call_next(request)\n",
    "import asyncio\n\nasync def f(x):\n    asyncio.create_task({expr})\n",
    "from functools import cache\n\n@cache\ndef f(user_id):\n    return {expr}\n",
]
EXPRESSIONS = st.sampled_from(["x", "1", "x.y(z)", "(lambda: x)()", "[a for a in x]", "f'{x}'", "x if y else z",
                               "await g()", "*x", "x, y", "(yield)", "x := 1"])


def _compiles(source: bytes) -> bool:
    return compiles(source) is None


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@settings(max_examples=EXAMPLES or 60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_check_never_raises_on_generated_modules(source: str):
    result = check_source(source.encode("utf-8", "surrogatepass"), "gen.py", SETTINGS, prefilter=False)
    assert result.error is None or "FPF000" in result.error


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@settings(max_examples=EXAMPLES or 60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_fix_never_raises_and_output_parses_on_generated_modules(source: str):
    data = source.encode("utf-8", "surrogatepass")
    outcome = fix_source(data, "gen.py", SETTINGS, unsafe=True)
    assert outcome.error is None or "FPF000" in outcome.error
    assert _compiles(outcome.source) or not _compiles(data)


@settings(max_examples=EXAMPLES or 80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(TEMPLATES), EXPRESSIONS)
def test_fix_output_parses_around_random_arguments(template: str, expr: str):
    data = template.format(expr=expr).encode()
    outcome = fix_source(data, "gen.py", SETTINGS, unsafe=True)
    if _compiles(data):
        assert outcome.error is None
        assert _compiles(outcome.source)
        again = fix_source(outcome.source, "gen.py", SETTINGS, unsafe=True)
        assert again.source == outcome.source
