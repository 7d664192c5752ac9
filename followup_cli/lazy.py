"""Modules loaded on first use.

Importing typer costs more than drawing the call sheet (90-130 ms on the 2-core bench
machine). The modules that `due` and `log` run through take `typer` from here: the name
is there for typer to read their signatures when it builds the CLI, and the module is
loaded only when something reads an attribute of it. followup_cli.fastpath runs those two
commands without ever doing so.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING


def lazy_module(name: str) -> ModuleType:
    """`name`, loaded when one of its attributes is first read (the standard library's
    LazyLoader); the module itself if it is loaded already."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import pathlib as pathlib

    import typer as typer
else:
    typer = lazy_module("typer")
    # pathlib loads urllib.parse and ipaddress: a sixth of the call sheet. The command
    # functions name pathlib.Path for typer's options; due and log work on text paths.
    pathlib = lazy_module("pathlib")
