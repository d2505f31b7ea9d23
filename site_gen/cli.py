"""The command line. The only module that knows about click and exit statuses."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
import sys
from pathlib import Path

import click

from site_gen import __version__
from site_gen.problems import ProblemsFound, format_problems
from site_gen.validate import gather

FORMATS = ("text", "github", "json")


def _project(path: str) -> Path:
    project = Path(path).resolve()
    if not project.is_dir():
        raise click.UsageError(f"project folder {path} does not exist")
    if not (project / "site.yaml").is_file():
        raise click.UsageError(
            f"{path} is not a site-gen project (no site.yaml); run `site-gen init {path}`")
    return project


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="site-gen")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage does.")
def main(verbose: bool) -> None:
    """Publish a fact base of YAML records as a static website with open data."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(name)s: %(message)s")


@main.command()
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, github for Actions annotations, json for tools.")
def validate(project: str, fmt: str) -> None:
    """Check every record of PROJECT and report all problems; write nothing.

    Exit status 0 when the project is valid, 1 when it has content problems, 2 for usage
    errors.
    """
    root = _project(project)
    result = gather(root)
    if result.problems:
        click.echo(format_problems(result.problems, fmt))
        sys.exit(1)
    if fmt == "json":
        click.echo(format_problems([], fmt))
    elif fmt == "text":
        click.echo(f"{result.records.count()} records valid.")


def _progress(stage: str) -> None:
    click.echo(f"  {stage}…", err=True)


def _report_problems(problems: list, fmt: str = "text") -> None:
    click.echo(format_problems(problems, fmt))
    click.echo("Nothing was written; the previous build is unchanged.", err=True)
    sys.exit(1)


def _failure(error: OSError | sqlite3.Error) -> str:
    """What stopped a build that the system stopped (a full disk, a file too large or not
    writable), and where, as one line."""
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"error: {where}{error.strerror or error}"
    return f"error: the SQLite database of the data downloads: {error}"


def _report_failure(error: OSError | sqlite3.Error) -> None:
    """Say what stopped the build, without a traceback. The output folder is swapped in
    whole or not at all, so it holds the last site that was built whole."""
    click.echo(_failure(error), err=True)
    click.echo("The build stopped; the output folder holds the last site that was built "
               "whole. Free some space or fix the folder's permissions, then build again.",
               err=True)
    sys.exit(1)


@main.command()
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: PROJECT/build).")
@click.option("--base-url", default=None,
              help="Absolute URL the site is published at; overrides site.yaml's base_url.")
@click.option("--clean", is_flag=True,
              help="Ignore what the last build saved in .cache/ and build everything.")
def build(project: str, out: str | None, base_url: str | None, clean: bool) -> None:
    """Build the website and open data of PROJECT; on any problem, write nothing.

    Only what an edit touched is made again: the last build's state is kept in
    PROJECT/.cache/site-gen (or $SITE_GEN_CACHE).
    """
    from site_gen.build import build as run_build
    from site_gen.config import valid_base_url
    from site_gen.write import OutputError

    root = _project(project)
    if base_url is not None and not valid_base_url(base_url):
        raise click.BadParameter("must be an absolute http(s) URL such as "
                                 "https://example.org/facts/", param_hint="--base-url")
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    try:
        result = run_build(root, Path(out).resolve() if out else None, base_url,
                           progress=_progress if interactive else None, incremental=not clean)
    except ProblemsFound as found:
        _report_problems(found.problems)
    except OutputError as error:
        raise click.UsageError(str(error)) from None
    except (OSError, sqlite3.Error) as error:  # the disk full, say
        _report_failure(error)
    total = sum(result.timings.values())
    stages = "  ".join(f"{name} {seconds:.2f}s" for name, seconds in result.timings.items())
    click.echo(f"Built {result.records} records into {result.out} "
               f"({result.stats.written} files written, {result.stats.kept} unchanged, "
               f"{result.stats.removed} removed) in {total:.2f}s")
    click.echo(f"  {stages}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Create a new project in DIRECTORY with example records and a publishing workflow."""
    from site_gen.scaffold import ScaffoldError, init_project

    target = Path(directory)
    try:
        written = init_project(target)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Created {len(written)} files in {target}. Next:\n"
               f"  cd {directory} && site-gen serve")


@main.command()
@click.argument("kind", type=click.Choice(["event", "figure", "quote", "actor", "place",
                                           "source"]))
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--id", "record_id", default=None,
              help="Id of the new record (default: new-<kind>, numbered if taken).")
def new(kind: str, project: str, record_id: str | None) -> None:
    """Write a new KIND record file in PROJECT with every field of its schema."""
    from site_gen.config import read_config
    from site_gen.scaffold import KINDS, ScaffoldError, new_record
    from site_gen.schemas import read_catalog

    root = _project(project)
    config, problems = read_config(root)
    catalog = None
    if config is not None:
        catalog, problems = read_catalog(root, config)
    if catalog is None or config is None:
        _report_problems(problems)
        return
    if record_id is None:
        folder = root / "content" / KINDS[kind]
        record_id, n = f"new-{kind}", 1
        while (folder / f"{record_id}.yaml").exists():
            n += 1
            record_id = f"new-{kind}-{n}"
    try:
        path = new_record(root, kind, record_id, catalog, config)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from None
    click.echo(path.relative_to(root).as_posix())


@main.command()
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; loopback unless you mean to share the preview.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: PROJECT/build).")
def serve(project: str, port: int, host: str, out: str | None) -> None:
    """Build PROJECT, serve it, rebuild on every edit and reload open pages."""
    import threading

    from site_gen.build import Builder
    from site_gen.serve import DevServer, watch
    from site_gen.write import OutputError

    root = _project(project)
    target = Path(out).resolve() if out else root / "build"
    builder = Builder(root, target)
    lock = threading.Lock()

    def rebuild() -> list[str]:
        with lock:
            try:
                result = builder.build()
            except ProblemsFound as found:
                lines = [p.text() for p in found.problems]
                click.echo("\n".join(lines), err=True)
                click.echo(f"{len(lines)} problem(s); still serving the last good build.",
                           err=True)
                return lines
            except (OSError, sqlite3.Error) as error:  # the disk full, say
                line = _failure(error)
                click.echo(f"{line}\nThe build stopped; still serving the last good build.",
                           err=True)
                return [line]
        click.echo(f"Rebuilt in {sum(result.timings.values()):.2f}s "
                   f"({result.stats.written} files written)", err=True)
        return []

    try:
        problems = rebuild()
    except OutputError as error:
        raise click.UsageError(str(error)) from None
    if problems and not (target / "index.html").is_file():
        sys.exit(1)
    try:
        server = DevServer(target, host, port)
    except OSError as error:
        raise click.UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    if problems:
        server.events.problems(problems)
    server.start()
    click.echo(f"Serving {target} at http://{host}:{server.port}/ (Ctrl+C to stop)")
    stop = threading.Event()

    def changed(_paths: set[str]) -> None:
        lines = rebuild()
        if lines:
            server.events.problems(lines)
        else:
            server.events.reload()

    try:
        watch(root, changed, stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.stop()


def run() -> None:
    """The `site-gen` program: main(), and then an exit that leaves the collector's last
    pass out. A build's objects die with the process; at 100,000 records that pass walked
    about 770,000 of them, in cycles the build no longer needs, for a second."""
    try:
        main()
    finally:
        gc.freeze()

