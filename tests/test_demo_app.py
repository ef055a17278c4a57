"""The bundled demo app: the exact findings, the same through flake8 and the command."""

from __future__ import annotations

from conftest import fastapi_perf, flake8, parse_findings

DEMO = "testdata/demo_app"

EXPECTED = {
    ("deps.py", 40, "FPF102"),  # requests.Session().get in an async dependency
    ("deps.py", 49, "FPF110"),  # async dependency, no await, bcrypt.checkpw
    ("deps.py", 59, "FPF401"),  # dependency returns an httpx.AsyncClient nobody closes
    ("main.py", 41, "FPF304"),  # middleware reads every request body
    ("main.py", 72, "FPF501"),  # module-level dict keyed by client address, never evicted
    ("main.py", 73, "FPF504"),  # asyncio.create_task result dropped
    ("routers/files.py", 22, "FPF204"),  # APIRouter with upload routes and no max_body_size
    ("routers/files.py", 42, "FPF110"),  # async endpoint, no await, open()
    ("routers/files.py", 50, "FPF201"),  # await file.read() of an upload
    ("routers/files.py", 52, "FPF107"),  # _record_upload() -> open()
    ("routers/files.py", 61, "FPF103"),  # open(dest, "wb")
    ("routers/files.py", 62, "FPF103"),  # shutil.copyfileobj
    ("routers/files.py", 71, "FPF104"),  # subprocess.run
    ("routers/files.py", 97, "FPF101"),  # time.sleep backoff
    ("routers/items.py", 75, "FPF105"),  # db.query(...).filter(...).first()
    ("routers/items.py", 87, "FPF105"),  # db.commit() through SessionDep
    ("routers/items.py", 98, "FPF105"),  # redis get
    ("routers/items.py", 101, "FPF107"),  # _price_with_tax() -> _fetch_price() -> requests.get()
    ("routers/items.py", 102, "FPF105"),  # redis setex
    ("routers/users.py", 62, "FPF106"),  # passlib verify
    ("routers/users.py", 86, "FPF102"),  # httpx.Client().post
}


def _normalise(findings):
    return {(f[0].split(DEMO + "/", 1)[1], f[1], f[3]) for f in findings}


def test_demo_app_exact_findings():
    proc = fastapi_perf("check", DEMO)
    assert proc.returncode == 1, proc.stderr
    assert _normalise(parse_findings(proc.stdout)) == EXPECTED


def test_demo_app_flake8_prints_the_same():
    ours = fastapi_perf("check", DEMO)
    theirs = flake8("--isolated", "--select", "FPF", DEMO)
    assert theirs.returncode == 1, theirs.stderr
    assert sorted(parse_findings(theirs.stdout)) == sorted(parse_findings(ours.stdout))
