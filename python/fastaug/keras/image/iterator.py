"""``Iterator``, the base class of the batch iterators (``keras_preprocessing.image.iterator``)."""
from ..._keras.iterator import Iterator

__all__ = ["Iterator"]
