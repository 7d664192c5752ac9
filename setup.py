"""The message catalogues are compiled when followup is built (everything else is in
pyproject.toml)."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).parent))
from build_catalogue import SOURCE, compile_catalogues  # noqa: E402


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:   # pip install -e: the package is the source folder
            compile_catalogues(SOURCE)
        else:
            compile_catalogues(Path(self.build_lib) / "followup_cli" / "locale")


setup(cmdclass={"build_py": BuildWithCatalogues})
