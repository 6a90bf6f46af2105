"""Code and docs cite Keras's behaviour from docs/keras-semantics.md by section title; every
title cited must exist there."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".pyi", ".cpp", ".hpp", ".inl", ".md", ".toml", ".yml", ".txt", ".sh"}
SEMANTICS_REF = re.compile(r'docs/keras-semantics\.md, "([^"]+)"')


def _repo_text_files():
    for folder in ("python", "cpp", "tests", "docs", "benchmarks", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in TEXT_SUFFIXES and path.is_file() and path != Path(__file__):
                yield path
    for path in sorted(ROOT.glob("*")):
        if path.suffix in TEXT_SUFFIXES and path.is_file():
            yield path


def test_references_to_keras_semantics_name_existing_sections():
    headings = {line[3:].strip() for line in
                (ROOT / "docs" / "keras-semantics.md").read_text().splitlines()
                if line.startswith("## ")}
    cited = set()
    for path in _repo_text_files():
        # A reference may wrap after the opening quote's first word.
        text = " ".join(path.read_text(errors="replace").replace("#", " ").replace("//", " ")
                        .split())
        cited.update(SEMANTICS_REF.findall(text))
    assert cited, "expected some code to cite docs/keras-semantics.md"
    assert cited <= headings, sorted(cited - headings)
