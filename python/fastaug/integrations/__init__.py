"""Glue between fastaug and training frameworks, one optional module each:

- ``fastaug.integrations.torch``: ``AugmentedDataset``, ``BatchAugment`` (PyTorch);
- ``fastaug.integrations.keras``: ``as_pydataset`` (Keras 3's ``PyDataset`` for the
  ``ImageDataGenerator`` iterators);
- ``fastaug.integrations.ray``: ``RayAugmenter`` (Ray Data ``map_batches``).

``import fastaug`` imports none of them; each imports its framework when it is itself
imported (keras: when first needed) and says which package to install when it is missing.
"""

# Nothing at package level: each framework module is imported by name, when wanted.
__all__: "list[str]" = []
