"""Keras's preprocessing modules under their Keras names.

``from fastaug.keras import image`` replaces ``from keras.preprocessing import image`` (or
``from keras_preprocessing import image``): the same functions, classes, signatures and
defaults as keras-preprocessing 1.1.2, running on fastaug's native kernels.
"""
from . import image

__all__ = ["image"]
