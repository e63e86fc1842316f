"""The fence around Dagster's and dagster-dbt's private code (stv_pipeline/framework_internals.py):
every override still matches the upstream code it was written against, and nothing outside the
fence reaches into private code."""

import hashlib
import importlib
import inspect
import pkgutil
import re
from functools import cached_property
from pathlib import Path

import pytest

import stv_pipeline
from stv_pipeline import framework_internals
from stv_pipeline.framework_internals import CHECKED_AGAINST, OVERRIDES, Override
from stv_pipeline.operations.dbt_launcher import launcher_options, split_arguments
from stv_pipeline.settings import PROJECT_ROOT, Settings

FENCE = "stv_pipeline.framework_internals"
PACKAGES = {"dagster", "dagster_dbt", "dagster_duckdb"}
METHODS = (property, cached_property, classmethod, staticmethod)


def _upstream(path: str):
    module, dotted = path.split(":")
    owner, member = dotted.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), owner)
    found = inspect.getattr_static(cls, member)
    return getattr(found, "func", found)  # a cached_property's function


def fingerprint(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: o.upstream)
def test_each_override_matches_the_upstream_source_it_was_written_against(override: Override):
    assert fingerprint(_upstream(override.upstream)) == override.fingerprint, (
        f"{override.upstream} changed upstream since it was checked against {CHECKED_AGAINST}: "
        f"re-read it, adapt {override.replaced_by or 'what relies on it'} in "
        f"framework_internals.py (or drop it), and record the new fingerprint"
    )
    for caller, text in override.called_in:
        assert text in inspect.getsource(_upstream(caller)), (
            f"{caller} no longer uses {text!r}: the override {override.replaced_by} is dead code"
        )


@pytest.mark.parametrize("override", [o for o in OVERRIDES if o.replaced_by], ids=str)
def test_each_listed_override_is_defined_in_the_fence(override: Override):
    owner, member = override.replaced_by.split(".")
    assert member in vars(getattr(framework_internals, owner))


def _modules() -> list:
    names = [m.name for m in pkgutil.walk_packages(stv_pipeline.__path__, "stv_pipeline.")]
    return [importlib.import_module(name) for name in names]


def test_no_module_outside_the_fence_imports_private_dagster_code():
    private = re.compile(r"^\s*(from|import)\s+(dagster\._|dagster_dbt\.\w*\._|dagster\.core)")
    fence = Path(framework_internals.__file__)
    roots = [Path(stv_pipeline.__file__).parent, PROJECT_ROOT / "tests", PROJECT_ROOT / "bench"]
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}: {line.strip()}"
        for root in roots
        for path in sorted(root.rglob("*.py"))
        if path != fence
        for line in path.read_text("utf-8").splitlines()
        if private.match(line)
    ]
    assert offenders == []


def test_no_class_outside_the_fence_overrides_a_private_member_of_dagster():
    listed = {o.replaced_by for o in OVERRIDES}
    found = []
    for module in _modules():
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            upstream = [b for b in cls.__mro__[1:] if b.__module__.split(".")[0] in PACKAGES]
            for name, value in vars(cls).items():
                code = inspect.isfunction(value) or isinstance(value, METHODS)
                private = code and name.startswith("_") and not name.startswith("__")
                if private and any(name in vars(b) for b in upstream):
                    found.append((module.__name__, f"{cls.__name__}.{name}"))
    assert {override for module, override in found if module == FENCE} == listed - {""}
    assert [f for f in found if f[0] != FENCE] == []


def test_the_runs_paths_reach_dbt_as_the_launchers_options():
    settings = Settings.from_env({"STV_WAREHOUSE": "/data/a b/stv.duckdb", "STV_SPARK_DIR": "/s"})
    options = launcher_options(settings)
    environment, arguments = split_arguments([*options, "build", "--target", "spark"])
    assert environment == {"STV_WAREHOUSE": "/data/a b/stv.duckdb", "STV_SPARK_DIR": "/s"}
    assert arguments == ["build", "--target", "spark"]
    # only leading `--name=value` words of its own are the launcher's; dbt's stay dbt's
    assert split_arguments(["--warn-error", "build", "--warehouse=x"]) == (
        {},
        ["--warn-error", "build", "--warehouse=x"],
    )
