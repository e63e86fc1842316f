"""The design lives in the repository: every "DESIGN §3.6" in the code, the tests, the dbt
project and the docs cites a section docs/design.md has, the README and the docs link only to
files that exist, and the README's layout names every folder of the package."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from stv_pipeline.settings import PROJECT_ROOT

DESIGN = PROJECT_ROOT / "docs" / "design.md"
README = PROJECT_ROOT / "README.md"
PACKAGE = PROJECT_ROOT / "stv_pipeline"

# In this repository a section sign followed by a number cites docs/design.md (its first lines
# say so): "DESIGN §3.6", "§3.1-3.6" (both ends are cited), "§2.1, §3.6".
CITATION = re.compile(r"§(\d+(?:\.\d+)*)(?:\s*[-–]\s*(\d+(?:\.\d+)*))?")
NUMBERED_HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
# The sections every citation written so far relies on; a section may be added, never renumbered.
SECTIONS = {
    "0", "1", "2", "3", "4", "5", "6", "7",
    *(f"2.{i}" for i in range(1, 9)),
    *(f"3.{i}" for i in range(1, 8)),
}  # fmt: skip
TEXT_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".md", ".json", ".toml", ".csv", ".txt"}
TEXT_NAMES = {"Makefile", ".env.example"}
# Generated or runtime folders (see .gitignore) and data files (the sample, the test fixtures,
# some deliberately unreadable); hidden folders are skipped too.
SKIPPED_FOLDERS = {"__pycache__", "data", "fixtures", "target", "logs", "dbt_packages", "work"}
MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def repository_text_files() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(PROJECT_ROOT):
        subfolders[:] = [
            s
            for s in subfolders
            if not s.startswith((".", "tmp"))
            and s not in SKIPPED_FOLDERS
            and not s.endswith(".egg-info")
        ]
        for name in files:
            path = Path(folder) / name
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                found.append(path)
    return sorted(found)


def lines(path: Path) -> list[str]:
    return path.read_text("utf-8", errors="replace").splitlines()


def design_sections() -> set[str]:
    return set(NUMBERED_HEADING.findall(DESIGN.read_text("utf-8")))


def citations(text: str) -> list[str]:
    return [number for match in CITATION.finditer(text) for number in match.groups() if number]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: Path) -> set[str]:
    return {
        slug(line.lstrip("#"))
        for line in markdown.read_text("utf-8").splitlines()
        if line.startswith("#")
    }


def test_design_keeps_every_section_its_citations_rely_on():
    missing = SECTIONS - design_sections()
    assert not missing, f"docs/design.md lacks the numbered section(s) {sorted(missing)}"


def test_citations_split_ranges_and_lists():
    assert citations("(DESIGN §3.1-3.6), §2.3; §4.") == ["3.1", "3.6", "2.3", "4"]
    assert citations("DESIGN §2.1, §3.6") == ["2.1", "3.6"]


def test_every_design_citation_names_a_section_of_docs_design_md():
    sections = design_sections()
    unknown = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: §{section}"
        for path in repository_text_files()
        for number, line in enumerate(lines(path), start=1)
        for section in citations(line)
        if section not in sections
    ]
    assert not unknown, "citations of sections docs/design.md does not have:\n" + "\n".join(unknown)


def test_no_citation_names_the_specification_outside_the_repository():
    outside = re.compile("DESIGN" + r"\.md|\.\./shared/")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in repository_text_files()
        if path != Path(__file__)
        for number, line in enumerate(lines(path), start=1)
        if outside.search(line)
    ]
    assert not found, "the design is docs/design.md, cited as 'DESIGN §x':\n" + "\n".join(found)


def test_the_readme_points_at_the_design_in_its_first_lines():
    opening = "\n".join(README.read_text("utf-8").splitlines()[:12])
    assert "docs/design.md" in opening


@pytest.mark.parametrize(
    "document",
    [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))],
    ids=lambda p: str(p.relative_to(PROJECT_ROOT)),
)
def test_links_lead_to_files_and_headings_that_exist(document: Path):
    broken = []
    for target in MARKDOWN_LINK.findall(document.read_text("utf-8")):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{document.name} links to:\n" + "\n".join(broken)


def test_the_readme_layout_names_every_folder_and_top_level_module():
    readme = README.read_text("utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    folders = [
        p.name
        for p in PROJECT_ROOT.iterdir()
        if p.is_dir() and not p.name.startswith((".", "tmp")) and not p.name.endswith(".egg-info")
    ]
    packages = [p.parent.name for p in PACKAGE.glob("*/__init__.py")]
    modules = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    missing = [
        name
        for name in [*(f"{f}/" for f in folders + packages), *modules]
        if not re.search(rf"(?<![\w/]){re.escape(name)}", layout)
    ]
    assert not missing, f"README's Layout section does not name {missing}"
