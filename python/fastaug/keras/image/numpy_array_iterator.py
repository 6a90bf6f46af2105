"""``NumpyArrayIterator`` (``keras_preprocessing.image.numpy_array_iterator``)."""
from ..._keras.iterator import NumpyArrayIterator

__all__ = ["NumpyArrayIterator"]
