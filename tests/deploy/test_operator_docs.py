"""The operators' guides in docs/panduan/ stay in step with the settings and link only to what exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "panduan"
ADMINISTRATOR = GUIDES / "administrator.md"


def names_in_env_file(path: Path) -> set[str]:
    """The variable names an env file sets or shows in a commented-out example."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", path.read_text(), re.MULTILINE))


@pytest.mark.parametrize("env_file", [".env.example", "compose.env"])
def test_administrator_guide_explains_every_setting(env_file: str) -> None:
    """Every variable of .env.example and compose.env appears in the administrator's guide."""
    text = ADMINISTRATOR.read_text()
    missing = sorted(name for name in names_in_env_file(ROOT / env_file) if f"`{name}`" not in text)
    assert missing == [], f"document these in {ADMINISTRATOR.relative_to(ROOT)}"


@pytest.mark.parametrize("page", sorted(GUIDES.glob("*.md")), ids=lambda path: path.name)
def test_relative_links_point_at_existing_files(page: Path) -> None:
    """Every relative link of a guide names a file of the repository."""
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
        assert (page.parent / target).exists(), f"{page.name}: {target}"


def test_index_lists_every_guide_and_the_readme_links_the_index() -> None:
    """docs/panduan/README.md links each guide, and the project README links docs/panduan/."""
    index = (GUIDES / "README.md").read_text()
    for page in GUIDES.glob("*.md"):
        if page.name != "README.md":
            assert f"]({page.name})" in index, page.name
    assert "](docs/panduan/README.md)" in (ROOT / "README.md").read_text()


def test_guides_name_pbj_deploy_and_the_modeler_alternative() -> None:
    """The process owner's and the administrator's guides deploy with `pbj deploy`, the Modeler as alternative."""
    for name in ("pemilik-proses.md", "administrator.md"):
        text = (GUIDES / name).read_text()
        assert "pbj deploy" in text
        assert "Modeler" in text
