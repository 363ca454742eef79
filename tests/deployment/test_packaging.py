"""The shop as a wheel: it holds every service's alembic history, builds without a warning, and `make migrate` run
with a fresh environment where that wheel alone is installed, from a directory outside the checkout, brings a fresh
set of databases to their latest migration."""

import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from harness import databases
from harness.repository import ROOT
from shop_common.operations.services import WITH_DATABASES

# What a clean clone would not hold: environments, caches, earlier builds (an in-place build packs whatever a previous
# one left in build/), local secrets.
NOT_THE_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", ".mail", ".keys", ".env"
)


def run(command, **options):
    """``command``'s output (stdout and stderr together); it must succeed."""
    done = subprocess.run(command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}"
    return done.stdout


def environment(**variables):
    """This machine's environment (so its pip configuration, as `make install` uses it), less anything that would
    put the checkout on the path or hand this run's make variables to another make."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    }
    return {**inherited, **variables}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """``(the wheel, what building it printed)``, built by pip from a copy of the checkout."""
    source = tmp_path_factory.mktemp("source") / "shop"
    shutil.copytree(ROOT, source, ignore=NOT_THE_SOURCE)
    wheels = tmp_path_factory.mktemp("wheels")
    printed = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(source)],
        env=environment(),
        timeout=300,
    )
    (wheel,) = wheels.glob("*.whl")
    return wheel, printed


def migration_files(service):
    """The files of ``service``'s alembic history in the checkout, as paths inside a wheel."""
    migrations = ROOT / service.migrations
    found = [migrations / "env.py", migrations / "script.py.mako", *(migrations / "versions").glob("*.py")]
    return {path.relative_to(ROOT).as_posix() for path in found}


def test_the_wheel_holds_every_services_migrations_and_builds_without_a_warning(build):
    wheel, printed = build
    with zipfile.ZipFile(wheel) as packed:
        names = set(packed.namelist())
    assert {service.name: sorted(migration_files(service) - names) for service in WITH_DATABASES} == {
        service.name: [] for service in WITH_DATABASES
    }
    assert [line for line in printed.splitlines() if "warn" in line.lower()] == []


WHERE_IT_RUNS_FROM = """
import importlib.resources, json, sys
import shop_common
print(json.dumps({"shop_common": shop_common.__file__,
                  **{package: str(importlib.resources.files(package) / "migrations") for package in sys.argv[1:]}}))
"""


@pytest.fixture
def installed(build, tmp_path):
    """A fresh virtual environment holding the wheel and its dependencies, as `pip install` puts them there."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    run([venv / "bin" / "python", "-m", "pip", "install", str(build[0])], env=environment(), timeout=600)
    return venv


@pytest.fixture
def fresh_databases():
    """Names of databases that do not exist yet; whatever of them exists afterwards is dropped."""
    fresh = databases.TestDatabases(f"shop_packaging_{uuid.uuid4().hex[:8]}")
    yield fresh
    fresh.drop()


def test_make_migrate_with_the_installed_wheel_brings_fresh_databases_to_their_latest_migration(
    installed, fresh_databases, tmp_path
):
    workplace = tmp_path / "workplace"  # outside the checkout, holding the configuration as a deployment would
    workplace.mkdir()
    assert not workplace.resolve().is_relative_to(ROOT)
    shutil.copy(ROOT / "config.yaml", workplace / "config.yaml")
    packages = [service.package for service in WITH_DATABASES]
    locations = json.loads(
        run(
            [installed / "bin" / "python", "-c", WHERE_IT_RUNS_FROM, *packages],
            cwd=workplace,
            env=environment(),
            timeout=60,
        )
    )
    assert {
        name: Path(path).resolve().is_relative_to(installed.resolve()) for name, path in locations.items()
    } == dict.fromkeys(locations, True)
    assert [package for package in packages if not (Path(locations[package]) / "env.py").is_file()] == []

    run(
        ["make", "-f", ROOT / "Makefile", "migrate", f"VENV={installed}", "INSTALLED=yes"],
        cwd=workplace,
        env=environment(**fresh_databases.environment),
        timeout=300,
    )

    heads = {
        service.name: ScriptDirectory(str(ROOT / service.migrations)).get_current_head() for service in WITH_DATABASES
    }
    assert {
        service: fresh_databases.scalar(service, "SELECT version_num FROM alembic_version") for service in heads
    } == heads
