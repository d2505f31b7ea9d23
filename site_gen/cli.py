"""The command line. The only module that knows about click and exit statuses."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from site_gen import __version__
from site_gen.problems import format_problems
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
