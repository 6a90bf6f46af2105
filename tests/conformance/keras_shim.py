"""pytest plugin (``-p keras_shim``): ``keras_preprocessing`` and its ``image`` modules become
fastaug's, so a test suite written for keras-preprocessing 1.1.2 runs against fastaug.

Any other ``keras_preprocessing`` module fails to import, so nothing of the real package can
stand in for a module fastaug lacks.
"""
import importlib
import importlib.abc
import sys

_SUBMODULES = ("affine_transformations", "utils", "iterator", "numpy_array_iterator",
               "directory_iterator", "dataframe_iterator", "image_data_generator")


class _RefuseRealPackage(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "keras_preprocessing" or fullname.startswith("keras_preprocessing."):
            raise ImportError("%s is not provided by fastaug.keras" % fullname)
        return None


for _name in [n for n in sys.modules if n.split(".")[0] == "keras_preprocessing"]:
    del sys.modules[_name]
sys.meta_path.insert(0, _RefuseRealPackage())
sys.modules["keras_preprocessing"] = importlib.import_module("fastaug.keras")
sys.modules["keras_preprocessing.image"] = importlib.import_module("fastaug.keras.image")
for _sub in _SUBMODULES:
    sys.modules["keras_preprocessing.image." + _sub] = importlib.import_module(
        "fastaug.keras.image." + _sub)
