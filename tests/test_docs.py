"""docs/: the rule pages are what scripts/gen_docs.py makes of the rules now; snippets and links hold."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_fastapi_perf.rules import all_rules

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MARKDOWN = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.M | re.S)


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = _load_generator()


def _blocks(lang: str) -> list[tuple[str, str]]:
    """(file name, body) of every ```lang fenced block in the README and docs/."""
    return [
        (path.relative_to(ROOT).as_posix(), m["body"])
        for path in MARKDOWN
        for m in FENCE.finditer(path.read_text(encoding="utf-8"))
        if m["lang"] == lang
    ]


def test_rule_pages_are_up_to_date() -> None:
    stale = gen_docs.stale_pages(gen_docs.expected_pages())
    assert not stale, f"stale pages in docs/rules/: {stale}; run: python scripts/gen_docs.py"


def test_every_rule_has_a_page_and_every_page_a_rule() -> None:
    codes = set(all_rules())
    pages = {p.stem for p in (DOCS / "rules").glob("*.md")} - {"README"}
    assert pages == codes
    index = (DOCS / "rules" / "README.md").read_text(encoding="utf-8")
    for code, rule in all_rules().items():
        assert f"| [{code}]({code}.md) | {rule.name} |" in index


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_rule_page_content(code: str) -> None:
    rule = all_rules()[code]
    page = (DOCS / "rules" / f"{code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {code}: {rule.name}\n\n{rule.summary}\n\n**Automatic fix:** ")
    headings = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert headings == list(gen_docs.SECTIONS)
    fix_line = {"safe": "safe, applied by", "unsafe": "unsafe, applied only with", None: "none."}[rule.fix]
    assert f"**Automatic fix:** {fix_line}" in page
    assert rule.docs().strip() in page


def test_generator_writes_checks_and_prunes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen_docs, "RULES_DIR", tmp_path / "rules")
    assert gen_docs.main(["--check"]) == 1  # nothing there yet
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "FPF999.md").write_text("# a rule that is gone\n", encoding="utf-8")
    assert gen_docs.main([]) == 0
    assert not (tmp_path / "rules" / "FPF999.md").exists()
    assert gen_docs.main(["--check"]) == 0
    page = tmp_path / "rules" / "FPF101.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert gen_docs.main(["--check"]) == 1


def test_generator_rejects_docs_without_the_five_sections() -> None:
    class Undocumented:
        code, name, summary, fix = "FPF999", "no-docs", "nothing", None

        @staticmethod
        def docs() -> str:
            return "## What it does\nNothing."

    with pytest.raises(ValueError, match="Why is this bad"):
        gen_docs.rule_page(Undocumented)


def test_gen_docs_check_command() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_yaml_snippets_parse() -> None:
    yaml = pytest.importorskip("yaml")
    blocks = _blocks("yaml")
    assert len(blocks) >= 5
    for name, body in blocks:
        assert yaml.safe_load(body) is not None, name


def test_github_workflow_snippet() -> None:
    yaml = pytest.importorskip("yaml")
    (workflow,) = [yaml.safe_load(body) for name, body in _blocks("yaml") if "jobs:" in body]
    jobs = workflow["jobs"]
    runs = [step.get("run", "") for job in jobs.values() for step in job["steps"]]
    assert "fastapi-perf check --output-format github ." in runs
    assert "fastapi-perf check --output-format sarif --exit-zero . > results.sarif" in runs
    upload = [s for s in jobs["code-scanning"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload and upload[0]["with"]["sarif_file"] == "results.sarif"
    assert jobs["code-scanning"]["permissions"]["security-events"] == "write"


def test_gitlab_snippet_keeps_the_exit_status(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    (job,) = [yaml.safe_load(body)["fastapi-perf"] for name, body in _blocks("yaml") if "artifacts:" in body]
    command = job["script"][-1].replace("fastapi-perf check", f"{sys.executable} -m flake8_fastapi_perf.cli check")
    assert job["artifacts"]["paths"] == ["fastapi-perf.txt"]
    (tmp_path / "ok.py").write_text("async def f():\n    pass\n", encoding="utf-8")
    clean = subprocess.run(["sh", "-ec", command], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    (tmp_path / "app.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    dirty = subprocess.run(["sh", "-ec", command], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert dirty.returncode == 1
    assert "FPF101" in dirty.stdout and "FPF101" in (tmp_path / "fastapi-perf.txt").read_text(encoding="utf-8")


def test_documented_output_formats_exist() -> None:
    from flake8_fastapi_perf.output import FORMATS

    documented = set()
    for path in MARKDOWN:
        documented |= set(re.findall(r"--output-format[ =]([\w-]+)", path.read_text(encoding="utf-8")))
    assert {"github", "sarif"} <= documented
    assert documented <= set(FORMATS)


def test_json_snippets_parse() -> None:
    blocks = _blocks("json")
    assert blocks
    for name, body in blocks:
        json.loads(body)


def test_vscode_severity_snippet() -> None:
    (settings,) = [json.loads(body) for name, body in _blocks("json") if "flake8.severity" in body]
    assert settings["flake8.importStrategy"] == "fromEnvironment"
    assert settings["flake8.severity"]["FPF"] == "Warning"
    # the extension's own defaults are listed with it
    assert {k: settings["flake8.severity"][k] for k in "EFIW"} == {
        "E": "Error", "F": "Error", "I": "Information", "W": "Warning"
    }


def test_toml_snippets_parse() -> None:
    blocks = _blocks("toml")
    assert blocks
    for name, body in blocks:
        tomllib.loads(body)
    assert any(tomllib.loads(body).get("tool", {}).get("ruff", {}).get("lint", {}).get("external") == ["FPF"]
               for name, body in blocks)


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path: Path) -> None:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        assert (path.parent / target.split("#")[0]).exists(), f"{path.name}: broken link {target}"
