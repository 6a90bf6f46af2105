"""Code and docs cite docs/keras-semantics.md (Keras's behaviour) and docs/performance.md (the
measurements) by section title; every title cited must exist there."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".pyi", ".cpp", ".hpp", ".inl", ".md", ".toml", ".yml", ".txt", ".sh"}
OUTSIDE = re.compile(r"shared/spec|/work/|\.\./shared|§|spec sections?\b")
DOC_REF = re.compile(r'docs/(keras-semantics|performance)\.md, "([^"]+)"')


def _repo_text_files():
    for folder in ("python", "cpp", "tests", "docs", "benchmarks", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in TEXT_SUFFIXES and path.is_file() and path != Path(__file__):
                yield path
    for path in sorted(ROOT.glob("*")):
        if path.suffix in TEXT_SUFFIXES and path.is_file():
            yield path


@pytest.mark.parametrize("doc", ["keras-semantics", "performance"])
def test_references_name_sections_that_exist(doc):
    headings = {line[3:].strip() for line in
                (ROOT / "docs" / (doc + ".md")).read_text().splitlines()
                if line.startswith("## ")}
    cited = set()
    for path in _repo_text_files():
        # Comment markers dropped and whitespace joined: a title may wrap across lines.
        text = " ".join(path.read_text(errors="replace").replace("#", " ").replace("//", " ")
                        .split())
        cited.update(title for name, title in DOC_REF.findall(text) if name == doc)
    assert cited, "expected some code to cite docs/%s.md" % doc
    assert cited <= headings, sorted(cited - headings)


def test_nothing_cites_a_path_outside_the_repository():
    offenders = []
    for path in _repo_text_files():
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append("%s:%d: %s" % (path.relative_to(ROOT), number, line.strip()))
    assert not offenders, "\n".join(offenders)
