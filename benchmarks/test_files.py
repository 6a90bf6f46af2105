"""From JPEG files to batches: one epoch over generated folders of ImageNet-sized photos
(500x375 and 375x500) and of 4000x3000 photos.

Rows per workload: fastaug's loader; the bare parallel decode of the same files with the same
decoder (the floor: what reading the pixels costs); and, for the ImageNet recipe, torchvision's
``datasets.ImageFolder`` + ``DataLoader(num_workers=2)`` and keras-preprocessing's
``flow_from_directory`` with the nearest equivalent augmentation."""
from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastaug
from fastaug import _decode

from benchmarks._common import (Impl, PIL_Image, impl_params, keras_image, label, torch,
                                torchvision_v2)

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
PHOTOS = 64  # ImageNet-sized, in 4 classes
LARGE = 4    # 4000x3000
BATCH = 32


def _photo(h, w, seed):
    rng = np.random.default_rng(seed)
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    f = rng.uniform(2, 9, 3)
    planes = [128 + 90 * np.sin(f[k] * 6.28 * (xx + yy * (k + 1) / 3)) for k in range(3)]
    pixels = np.stack(planes, -1) + rng.normal(0, 2, (h, w, 1)).astype(np.float32)
    return np.clip(pixels, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def folders():
    if PIL_Image is None:
        pytest.skip("optional peer pillow is not installed (pip install 'fastaug[bench]')")
    root = tempfile.mkdtemp(prefix="fastaug-bench-files-")
    for k in range(PHOTOS):
        where = os.path.join(root, "photos", f"class{k % 4}")
        os.makedirs(where, exist_ok=True)
        h, w = (375, 500) if k % 2 else (500, 375)
        PIL_Image.fromarray(_photo(h, w, k)).save(os.path.join(where, f"{k}.jpg"), quality=90)
    where = os.path.join(root, "large", "class0")
    os.makedirs(where)
    for k in range(LARGE):
        PIL_Image.fromarray(_photo(3000, 4000, 100 + k)).save(os.path.join(where, f"{k}.jpg"),
                                                             quality=90)
    yield {"photos": os.path.join(root, "photos"), "large": os.path.join(root, "large")}
    shutil.rmtree(root, ignore_errors=True)


def _files(root):
    return sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names)


def _recipe(threads, side=224):
    t = fastaug.transforms
    return fastaug.Compose([t.RandomResizedCrop(side), t.HorizontalFlip(),
                            t.ColorJitter(0.4, 0.4, 0.4, 0.1), t.Normalize(MEAN, STD)],
                           seed=0, out_layout="NCHW", num_threads=threads.fastaug)


def _epochs(loader):
    """One epoch per call, the epoch advancing."""
    def run():
        last = None
        for images, _ in loader:
            last = images
        return last
    return run


def _fastaug_folder(case):
    loader = fastaug.ImageFolder(case["root"], transform=_recipe(case["threads"]),
                                 batch_size=BATCH, num_threads=case["threads"].fastaug)
    return _epochs(loader)


def _fastaug_cached(case):
    cache = tempfile.mkdtemp(prefix="fastaug-bench-cache-")
    loader = fastaug.ImageFolder(case["root"], transform=_recipe(case["threads"]),
                                 batch_size=BATCH, num_threads=case["threads"].fastaug,
                                 cache=cache)
    run = _epochs(loader)
    run()  # the first epoch fills the cache; the timed ones read it
    return run


def _bare_decode(case):
    """Every file decoded in full with the decoder fastaug uses, in a pool of the row's size."""
    paths = _files(case["root"])
    workers = case["threads"].count

    def one(path):
        data = _decode.read_file(path)
        return _decode.decode(data, path, "rgb", exif=False)

    pool = ThreadPoolExecutor(max_workers=workers)
    return lambda: list(pool.map(one, paths)) if workers > 1 else [one(p) for p in paths]


def _bare_pillow_resize(case):
    """What flow_from_directory must at least do: Pillow decode + resize to 224x224."""
    paths = _files(case["root"])
    workers = case["threads"].count

    def one(path):
        with PIL_Image.open(path) as img:
            return np.asarray(img.convert("RGB").resize((224, 224), PIL_Image.NEAREST))

    pool = ThreadPoolExecutor(max_workers=workers)
    return lambda: list(pool.map(one, paths)) if workers > 1 else [one(p) for p in paths]


def _fastaug_flow(case):
    gen = fastaug.ImageDataGenerator(horizontal_flip=True, rescale=1 / 255,
                                     num_threads=case["threads"].fastaug)
    it = gen.flow_from_directory(case["root"], target_size=(224, 224), batch_size=BATCH,
                                 seed=0, class_mode="sparse")
    return lambda: [it[k] for k in range(len(it))]


def _keras_flow(case):
    gen = keras_image.ImageDataGenerator(horizontal_flip=True, rescale=1 / 255)
    it = gen.flow_from_directory(case["root"], target_size=(224, 224), batch_size=BATCH,
                                 seed=0, class_mode="sparse")
    return lambda: [it[k] for k in range(len(it))]


def _torchvision_folder(case):
    from torchvision import datasets

    v2 = torchvision_v2
    transform = v2.Compose([v2.PILToTensor(), v2.RandomResizedCrop(224, antialias=True),
                            v2.RandomHorizontalFlip(), v2.ColorJitter(0.4, 0.4, 0.4, 0.1),
                            v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])
    dataset = datasets.ImageFolder(case["root"], transform=transform)
    return _epochs(torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True,
                                               num_workers=2, persistent_workers=True))


FOLDER_IMPLS = [
    Impl("fastaug", "ImageFolder", "fastaug", _fastaug_folder),
    Impl("decode", "bare parallel decode", "decode", _bare_decode),
    Impl("torchvision", "ImageFolder + DataLoader(num_workers=2)", "torchvision",
         _torchvision_folder, needs_peers=("torchvision",)),
]
CACHED_IMPLS = [
    Impl("fastaug", "ImageFolder, cached epoch", "fastaug", _fastaug_cached),
    # The floor of a first epoch (it decodes every file; storing them costs more on top).
    Impl("fastaug", "ImageFolder, uncached epoch", "uncached", _fastaug_folder),
]
FLOW_IMPLS = [
    Impl("fastaug", "flow_from_directory", "fastaug", _fastaug_flow),
    Impl("decode", "bare parallel Pillow decode + resize", "decode", _bare_pillow_resize),
    Impl("keras-preprocessing", "flow_from_directory", "keras", _keras_flow,
         needs_peers=("keras_preprocessing",)),
]
LARGE_IMPLS = [
    Impl("fastaug", "ImageFolder (reduced-scale decode)", "fastaug", _fastaug_folder),
    Impl("decode", "bare parallel decode, full size", "decode", _bare_decode),
]
WORKLOADS = {
    "files: ImageNet recipe": ("photos", FOLDER_IMPLS),
    "files: cached epochs, ImageNet recipe": ("photos", CACHED_IMPLS),
    "files: flow_from_directory": ("photos", FLOW_IMPLS),
    "files: 4000x3000 photos, RandomResizedCrop(224)": ("large", LARGE_IMPLS),
}


def _size(folder):
    n, shape = (PHOTOS, "500x375") if folder == "photos" else (LARGE, "4000x3000")
    return f"{n} JPEGs {shape}"


@pytest.mark.parametrize("workload, impl", [
    pytest.param(w, p.values[0], id=f"{w}-{p.id}", marks=p.marks)
    for w, (_, impls) in WORKLOADS.items() for p in impl_params(impls)])
def test_files(benchmark, threads, workload, impl, folders):
    folder, _ = WORKLOADS[workload]
    case = {"root": folders[folder], "threads": threads}
    if impl.library == "torchvision":
        torch.set_num_threads(1)  # its workers run the transforms; two of them
    n = PHOTOS if folder == "photos" else LARGE
    label(benchmark, workload=workload, impl=impl, size=_size(folder), threads=threads,
          images=n, nbytes=sum(os.path.getsize(p) for p in _files(folders[folder])))
    out = benchmark(impl.make(case))
    assert out is not None and len(out) > 0
