"""The package's typing surface: py.typed, the compiled module's stub, ``__all__``."""
import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

import fastaug
from fastaug import _core

STUB_DIR = Path(fastaug.__file__).with_name("_core")
STUB = STUB_DIR / "__init__.pyi"
TESTING_STUB = STUB_DIR / "_testing.pyi"
PUBLIC_MODULES = [
    "fastaug", "fastaug.kernels", "fastaug.keras", "fastaug.keras.image",
    "fastaug.keras.image.affine_transformations", "fastaug.keras.image.utils",
    "fastaug.keras.image.iterator", "fastaug.keras.image.numpy_array_iterator",
    "fastaug.keras.image.directory_iterator", "fastaug.keras.image.dataframe_iterator",
    "fastaug.keras.image.image_data_generator", "fastaug.integrations",
    "fastaug.integrations.keras",
]


def test_the_installed_package_is_marked_typed_and_has_the_stub():
    assert Path(fastaug.__file__).with_name("py.typed").is_file()
    assert STUB.is_file() and TESTING_STUB.is_file()


def _stub_functions(stub):
    tree = ast.parse(stub.read_text())
    return {node.name: [a.arg for a in node.args.posonlyargs + node.args.args]
            for node in tree.body if isinstance(node, ast.FunctionDef)}


def _runtime_parameters(function):
    # pybind11 puts the signature on the docstring's first line: name(a: T, b: T = 1) -> R
    first = function.__doc__.splitlines()[0]
    inside = re.match(r"\w+\((.*)\) ->", first).group(1)
    return [part.split(":")[0].strip() for part in re.split(r", (?=\w+:)", inside) if part]


@pytest.mark.parametrize("module, stub_path", [(_core, STUB), (_core._testing, TESTING_STUB)],
                         ids=["_core", "_testing"])
def test_stub_names_every_binding_with_its_parameters(module, stub_path):
    stub = _stub_functions(stub_path)
    runtime = {name for name in dir(module)
               if not name.startswith("__") and callable(getattr(module, name))
               and not inspect.ismodule(getattr(module, name))}
    assert set(stub) == runtime
    for name, params in stub.items():
        expected = _runtime_parameters(getattr(module, name))
        assert len(params) == len(expected), name
        if not all(re.fullmatch(r"arg\d+", p) for p in expected):
            assert params == expected, name
        else:  # unnamed in the binding: positional-only (``__name``) in the stub
            assert all(p.startswith("__") for p in params), name


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_modules_declare_all_and_every_name_exists(name):
    module = importlib.import_module(name)
    assert isinstance(module.__all__, list)
    assert module.__all__ or name == "fastaug.integrations"  # its modules load on demand
    for attr in module.__all__:
        assert hasattr(module, attr), (name, attr)


@pytest.mark.parametrize("name", ["fastaug.kernels", "fastaug.keras.image.affine_transformations",
                                  "fastaug.keras.image.utils"])
def test_public_functions_are_annotated(name):
    module = importlib.import_module(name)
    for attr in module.__all__:
        obj = getattr(module, attr)
        if not inspect.isfunction(obj) or obj.__module__ != name:
            continue
        sig = inspect.signature(obj)
        assert sig.return_annotation is not inspect.Signature.empty, attr
        for param in sig.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, (attr, param.name)


@pytest.mark.parametrize("cls", [fastaug.ImageDataGenerator, fastaug.Iterator,
                                 fastaug.NumpyArrayIterator, fastaug.DirectoryIterator,
                                 fastaug.DataFrameIterator])
def test_keras_classes_public_methods_are_annotated(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name not in ("__init__", "__len__", "__getitem__", "__next__"):
            continue
        if isinstance(member, property):
            member = member.fget
        if not inspect.isfunction(member) and not inspect.ismethod(member):
            continue
        if not getattr(member, "__module__", "").startswith("fastaug."):
            continue
        sig = inspect.signature(member)
        assert sig.return_annotation is not inspect.Signature.empty, (cls.__name__, name)
        for param in sig.parameters.values():
            if param.name not in ("self", "cls"):
                assert param.annotation is not inspect.Parameter.empty, (cls.__name__, name,
                                                                         param.name)
