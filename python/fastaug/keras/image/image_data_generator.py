"""``ImageDataGenerator`` (``keras_preprocessing.image.image_data_generator``)."""
from ..._keras.generator import ImageDataGenerator

__all__ = ["ImageDataGenerator"]
