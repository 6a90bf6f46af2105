"""``DirectoryIterator`` (``keras_preprocessing.image.directory_iterator``)."""
from ..._keras.directory import DirectoryIterator

__all__ = ["DirectoryIterator"]
