"""`site-gen init`: a new project that validates, builds and publishes at once, from a wheel too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TESTS, run_cli

import site_gen
from site_gen.records import COLLECTIONS
from site_gen.validate import gather

REPO = TESTS.parent
WORKFLOW = ".github/workflows/site.yml"


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("init") / "facts"
    result = run_cli("init", str(project))
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture(scope="module")
def built(initialized: Path) -> Path:
    result = run_cli("build", str(initialized))
    assert result.exit_code == 0, result.output
    return initialized / "build"


@pytest.fixture(scope="module")
def workflow(initialized: Path) -> dict[str, Any]:
    # BaseLoader reads YAML the way Actions does here: `on` stays a key, not a boolean.
    return yaml.load((initialized / WORKFLOW).read_text(encoding="utf-8"), yaml.BaseLoader)


def test_creates_the_project_files(initialized: Path) -> None:
    for rel in ("site.yaml", "README.md", ".gitignore", WORKFLOW):
        assert (initialized / rel).is_file(), rel
    ignored = (initialized / ".gitignore").read_text(encoding="utf-8").split()
    assert {"build/", ".build.new/", ".build.old/", ".cache/"} <= set(ignored)
    assert not (initialized / "gitignore").exists() and not (initialized / "github").exists()


def test_has_example_records_of_every_collection(initialized: Path) -> None:
    gathered = gather(initialized)
    assert gathered.problems == []
    for collection in COLLECTIONS:
        assert gathered.records.of(collection), f"no example {collection}"
    groups = [f.fields.get("group") for f in gathered.records.of("figures")]
    assert any(groups.count(g) > 1 for g in groups if g), "no figures to compare side by side"


def test_readme_tells_editors_what_to_run(initialized: Path) -> None:
    readme = (initialized / "README.md").read_text(encoding="utf-8")
    for command in ("site-gen validate", "site-gen serve", "site-gen build", "site-gen new"):
        assert command in readme
    for collection in COLLECTIONS:
        assert collection in readme
    assert WORKFLOW in readme


def test_new_project_validates_and_builds(initialized: Path, built: Path) -> None:
    result = run_cli("validate", str(initialized))
    assert result.exit_code == 0, result.output
    assert (built / "index.html").is_file()
    assert (built / "data" / "datapackage.json").is_file()
    assert list((built / "charts").glob("figures-*.svg"))
    assert (built / "events" / "2024-05-02-riverton-flood" / "index.html").is_file()


def test_init_into_an_existing_empty_folder(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site.yaml").is_file()


@pytest.mark.parametrize("existing", ["notes.txt", ".git/HEAD"])
def test_refuses_a_folder_that_is_not_empty(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / existing).write_text("mine\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(existing).parts[0]]


def test_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "facts").write_text("mine\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path / "facts"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (tmp_path / "facts").read_text(encoding="utf-8") == "mine\n"


# The workflow -----------------------------------------------------------------------------

EVENTS = {
    "pull_request": {"github.event_name": "pull_request", "github.ref": "refs/pull/1/merge"},
    "push": {"github.event_name": "push", "github.ref": "refs/heads/main"},
}
CONDITION = re.compile(r"^(github\.event_name|github\.ref)\s*(==|!=)\s*'([^']*)'$")


def runs_on(condition: str | None, event: str) -> bool:
    """Whether an `if:` made of `context ==/!= 'literal'` terms joined by && holds for event."""
    if condition is None:
        return True
    context = EVENTS[event]
    text = condition.strip().removeprefix("${{").removesuffix("}}")
    for term in text.split("&&"):
        match = CONDITION.match(term.strip())
        assert match, f"condition too complex for this test: {condition}"
        name, operator, literal = match.groups()
        if (context[name] == literal) != (operator == "=="):
            return False
    return True


def steps_run(workflow: dict[str, Any], event: str) -> dict[str, list[dict[str, Any]]]:
    """The steps that run on `event`, by job."""
    jobs = workflow["jobs"]
    ran: dict[str, list[dict[str, Any]]] = {}
    for name, job in jobs.items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if runs_on(job.get("if"), event) and all(n in ran for n in needs):
            ran[name] = [s for s in job["steps"] if runs_on(s.get("if"), event)]
    return ran


def commands(steps: list[dict[str, Any]]) -> list[str]:
    return [" ".join(s["run"].split()) for s in steps if "run" in s]


def uses(steps: list[dict[str, Any]]) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps if "uses" in s]


def test_workflow_triggers(workflow: dict[str, Any]) -> None:
    triggers = workflow["on"]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]


def test_workflow_validates_and_builds_pull_requests(workflow: dict[str, Any]) -> None:
    ran = steps_run(workflow, "pull_request")
    run = [c for steps in ran.values() for c in commands(steps)]
    assert "site-gen validate --format github" in run
    assert any(c.startswith("site-gen build") for c in run)
    deployed = [u for steps in ran.values() for u in uses(steps)]
    assert "actions/deploy-pages" not in deployed
    assert "actions/upload-pages-artifact" not in deployed


def test_workflow_builds_and_deploys_main(workflow: dict[str, Any]) -> None:
    ran = steps_run(workflow, "push")
    deployers = [job for job, steps in ran.items() if "actions/deploy-pages" in uses(steps)]
    builders = [job for job, steps in ran.items()
                if "actions/upload-pages-artifact" in uses(steps)]
    assert len(deployers) == 1 and len(builders) == 1
    deploy, build = workflow["jobs"][deployers[0]], workflow["jobs"][builders[0]]
    needs = deploy["needs"]
    assert builders[0] in ([needs] if isinstance(needs, str) else needs)
    build_steps = ran[builders[0]]
    build_runs = commands(build_steps)
    out = next(re.search(r"--out\s+(\S+)", c) for c in build_runs if c.startswith("site-gen build"))
    assert out, build_runs
    upload = next(s for s in build_steps if s.get("uses", "").startswith(
        "actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == out[1], "the artifact is not the built site"
    validate_at = next(i for i, s in enumerate(build_steps)
                       if "site-gen validate" in s.get("run", ""))
    build_at = next(i for i, s in enumerate(build_steps) if "site-gen build" in s.get("run", ""))
    assert validate_at < build_at
    permissions = {**workflow.get("permissions", {}), **deploy.get("permissions", {})}
    assert permissions["pages"] == "write" and permissions["id-token"] == "write"
    assert deploy["environment"]["name"] == "github-pages"
    assert build.get("permissions", {}).get("pages") != "write", "build needs no deploy rights"


def test_workflow_has_a_concurrency_group(workflow: dict[str, Any]) -> None:
    groups = [workflow.get("concurrency")] + [
        job.get("concurrency") for job in workflow["jobs"].values()]
    named = [g if isinstance(g, str) else g["group"] for g in groups if g]
    assert named and all(n.strip() for n in named)


def test_workflow_installs_this_version(workflow: dict[str, Any], initialized: Path) -> None:
    text = (initialized / WORKFLOW).read_text(encoding="utf-8")
    assert "SITE_GEN_VERSION" not in text
    installs = [c for steps in steps_run(workflow, "push").values() for c in commands(steps)
                if c.startswith("pip install")]
    assert installs and site_gen.__version__ in installs[0]
    python = next(s["with"]["python-version"] for job in workflow["jobs"].values()
                  for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert tuple(int(p) for p in python.split(".")[:2]) >= (3, 11)


# From a wheel, away from the repository ---------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the package sources, so the repo's build/ stays untouched."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "site_gen", source / "site_gen",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheelhouse = work / "wheelhouse"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheelhouse),
         str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = wheelhouse.glob("site_gen-*.whl")
    return built


def test_wheel_ships_the_defaults(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in (
        "defaults/templates/base.html",
        "defaults/datasets/datapackage.yaml",
        "defaults/datasets/schemas/events.yaml",
        "defaults/basemap/countries-110m.json",
        "defaults/init/site.yaml",
        "defaults/init/README.md",
        "defaults/init/gitignore",
        "defaults/init/github/workflows/site.yml",
        "defaults/init/content/events/2024-05-02-riverton-flood.yaml",
    ):
        assert f"site_gen/{rel}" in names, rel
    shipped = {n for n in names if n.startswith("site_gen/defaults/")}
    packaged = {f"site_gen/{p.relative_to(REPO / 'site_gen').as_posix()}"
                for p in (REPO / "site_gen" / "defaults").rglob("*") if p.is_file()}
    assert packaged <= shipped, sorted(packaged - shipped)


def test_installed_wheel_inits_and_builds_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)

    where = run("-c", "import site_gen; print(site_gen.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(target.resolve())

    done = run("-m", "site_gen", "init", "facts")
    assert done.returncode == 0, done.stderr
    done = run("-m", "site_gen", "build", "facts")
    assert done.returncode == 0, done.stdout + done.stderr
    out = elsewhere / "facts" / "build"
    assert (out / "index.html").is_file()
    assert (out / "data" / "datapackage.json").is_file()
    assert list((out / "charts").glob("*.svg"))
    assert str(REPO) not in (out / "index.html").read_text(encoding="utf-8")
