"""``DataFrameIterator`` (``keras_preprocessing.image.dataframe_iterator``)."""
from ..._keras.directory import DataFrameIterator

__all__ = ["DataFrameIterator"]
