"""What `pip install .` (not editable) puts in place: every subpackage and every template."""

from __future__ import annotations

import tomllib

from conftest import REPO


def test_every_subpackage_and_template_is_installed() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    packages = set(setuptools["packages"])
    found = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "publisher").rglob("__init__.py")
    }
    assert found <= packages
    assert setuptools["package-dir"]["publisher.templates"] == "templates"
    patterns = setuptools["package-data"]["publisher.templates"]
    for template in (REPO / "templates").iterdir():
        assert any(template.match(pattern) for pattern in patterns), template.name
    dictionaries = setuptools["package-data"]["publisher.articles"]
    articles = REPO / "publisher" / "articles"
    for dictionary in (articles / "dictionaries").iterdir():
        relative = dictionary.relative_to(articles)
        assert any(relative.match(pattern) for pattern in dictionaries), dictionary.name
