"""keras-preprocessing 1.1.2's own image test suite, run against fastaug and against the real
package.

The suite ships in the package's source distribution: it is downloaded here at test time
(cached in the temp dir), never committed. Its ``tests/image/`` files run twice, side by
side: once as they are (the real package) and once with ``tests/conformance/keras_shim.py``
making ``keras_preprocessing.image`` fastaug's. A test may fail on fastaug only if it fails on
the real package too (in 1.1.2, ``directory_iterator_test.py`` writes mode-I PNGs, which
recent Pillow refuses).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict

import pytest

REQUIREMENT = "keras-preprocessing==1.1.2"
SHIM_DIR = Path(__file__).resolve().parent / "conformance"
CACHE = Path(tempfile.gettempdir()) / "fastaug-conformance-keras-preprocessing-1.1.2"
RUN_TIMEOUT_S = 900


def _sdist() -> Path:
    """The sdist, downloaded once per machine (into a fresh folder, then renamed, so two
    concurrent runs never see half a file)."""
    found = sorted(CACHE.glob("*.tar.gz"))
    if found:
        return found[0]
    staging = Path(tempfile.mkdtemp(prefix="fastaug-sdist-"))
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
                    "--no-deps", "--disable-pip-version-check", "-q", "-d", str(staging),
                    REQUIREMENT], check=True, timeout=600)
    try:
        staging.rename(CACHE)
    except OSError:  # another run got there first
        pass
    return sorted(CACHE.glob("*.tar.gz"))[0]


def _extract_image_tests(sdist: Path, dest: Path) -> None:
    """Copy ``<top>/tests/image/*.py`` out of the archive, by file name only."""
    written = 0
    with tarfile.open(sdist, "r:gz") as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if (member.isfile() and len(parts) == 4 and parts[1:3] == ["tests", "image"]
                    and parts[3].endswith(".py")):
                data = archive.extractfile(member).read()
                (dest / parts[3]).write_bytes(data)
                written += 1
    assert written, "no tests/image/*.py in %s" % sdist


def _outcomes(junit: Path) -> Dict[str, str]:
    outcomes = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = "%s::%s" % (case.get("classname"), case.get("name"))
        kinds = {child.tag for child in case}
        outcomes[name] = ("failed" if kinds & {"failure", "error"}
                          else "skipped" if "skipped" in kinds else "passed")
    return outcomes


def _start(workdir: Path, label: str, shim: bool) -> "tuple[subprocess.Popen, Path]":
    junit = workdir / ("%s.xml" % label)
    env = dict(os.environ)
    # The two runs share the cores; one BLAS thread each avoids oversubscribing them.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir),
           "--junitxml", str(junit), "-o", "junit_family=xunit1", "image"]
    if shim:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SHIM_DIR)] + [p for p in [env.get("PYTHONPATH")] if p])
        cmd[3:3] = ["-p", "keras_shim"]
    log = open(workdir / ("%s.log" % label), "w")
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc, junit


def test_keras_preprocessing_suite_passes_on_fastaug(tmp_path):
    (tmp_path / "image").mkdir()
    _extract_image_tests(_sdist(), tmp_path / "image")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    runs = {label: _start(tmp_path, label, shim=(label == "fastaug"))
            for label in ("keras", "fastaug")}
    results = {}
    for label, (proc, junit) in runs.items():
        rc = proc.wait(timeout=RUN_TIMEOUT_S)
        log = (tmp_path / ("%s.log" % label)).read_text()
        # 0: all passed, 1: some failed; anything else means the run itself broke.
        assert rc in (0, 1), "%s run exited %d:\n%s" % (label, rc, log[-4000:])
        results[label] = _outcomes(junit)

    keras, fastaug = results["keras"], results["fastaug"]
    assert keras and set(keras) == set(fastaug), "the two runs collected different tests"
    not_passed = {label: {t for t, o in r.items() if o != "passed"} for label, r in results.items()}
    counts = {label: "%d passed, %d not passed" % (len(r) - len(not_passed[label]),
                                                    len(not_passed[label]))
              for label, r in results.items()}
    print("keras-preprocessing 1.1.2 tests/image, %d tests: real package %s; fastaug %s"
          % (len(keras), counts["keras"], counts["fastaug"]))
    only_fastaug = sorted(not_passed["fastaug"] - not_passed["keras"])
    assert not only_fastaug, "fail on fastaug but pass on keras-preprocessing: %s\n%s" % (
        only_fastaug, (tmp_path / "fastaug.log").read_text()[-6000:])


@pytest.mark.parametrize("module", ["keras_preprocessing", "keras_preprocessing.image",
                                    "keras_preprocessing.image.utils"])
def test_shim_maps_keras_modules_to_fastaug(module):
    code = ("import importlib, sys; sys.path.insert(0, %r); import keras_shim; "
            "m = importlib.import_module(%r); print(m.__name__)" % (str(SHIM_DIR), module))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out.startswith("fastaug.keras")


def test_shim_refuses_the_rest_of_the_real_package():
    code = ("import sys; sys.path.insert(0, %r); import keras_shim; "
            "import keras_preprocessing.sequence" % str(SHIM_DIR))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "not provided by fastaug.keras" in proc.stderr
