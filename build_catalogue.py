"""Compile followup's message catalogues (.po, in the repository) to the .mo files gettext
reads. Run by setup.py when followup is built and by tests/conftest.py before the tests;
`python build_catalogue.py` compiles them in place for a source checkout."""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).parent / "followup_cli" / "locale"


def compile_catalogues(target: Path = SOURCE, source: Path = SOURCE) -> list[Path]:
    """Each `source/<lang>/LC_MESSAGES/<domain>.po` as a .mo under `target`; the .mo
    files written. Babel reads the .po (it checks its syntax and plural forms)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        with open(po, "rb") as f:
            catalog = read_po(f, abort_invalid=True)
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with open(mo, "wb") as f:
            write_mo(f, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(path)
