"""Package layout that pyproject.toml cannot express: the top-level ``sample_data/`` folder ships
inside the wheel as ``engine/sample_data/`` (package data), next to every package under engine/
and app/. Everything else is in pyproject.toml."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["engine", "engine.*", "app", "app.*"]) + ["engine.sample_data"],
    package_dir={"engine.sample_data": "sample_data"},
)
