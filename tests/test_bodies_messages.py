"""What the FPF2xx/FPF3xx messages say, beyond the (line, code) pairs of tests/test_rules.py."""

from __future__ import annotations

from conftest import TESTDATA

from flake8_fastapi_perf.checker import check_source
from flake8_fastapi_perf.config import Settings


def _messages(name: str, code: str) -> dict[int, str]:
    path = TESTDATA / "rules" / name
    result = check_source(path.read_bytes(), str(path), Settings())
    return {d.line: d.message for d in result.diagnostics if d.code == code}


def _line_of(name: str, text: str) -> int:
    lines = (TESTDATA / "rules" / name).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(text))


def test_fpf204_names_the_route_that_takes_uploads_not_an_earlier_one():
    message = _messages("FPF204_uploads.py", "FPF204")[_line_of("FPF204_uploads.py", "mixed = ")]
    assert f"form bodies (`attach` at line {_line_of('FPF204_uploads.py', 'async def attach')};" in message


def test_fpf204_says_whether_a_router_takes_files_or_forms():
    name = "FPF204_uploads.py"
    messages = _messages(name, "FPF204")
    forms = messages[_line_of(name, "forms = ")]
    assert f"`forms` accepts form bodies (`contact` at line {_line_of(name, 'async def contact')}; " in forms
    assert "file parts are spooled to /tmp whether the route declares files or not" in forms
    files = messages[_line_of(name, "unincluded = ")]
    assert f"`unincluded` accepts uploads (`upload_unincluded` at line {_line_of(name, 'async def upload_unincluded')}) but" in files


def test_fpf304_names_the_condition_of_conditional_buffering():
    name = "FPF304_conditional.py"
    messages = _messages(name, "FPF304")
    upload = messages[_line_of(name, "        body = await request.body()  # error")]
    assert "when `request.url.path.startswith('/upload')`: each such request pays" in upload
    writes = messages[_line_of(name, "    payload = await request.json()  # error")]
    assert "unless `request.method in ('GET', 'HEAD')`: each such request pays" in writes
    html = messages[_line_of(name, "class RewriteHtml") + 4]
    assert "when `response.status_code == 200 and" in html and "each such response pays" in html
    signed = messages[_line_of(name, "    body = await request.body()  # error")]
    assert "every request pays for a full copy" in signed
