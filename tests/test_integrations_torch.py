"""PyTorch: AugmentedDataset and BatchAugment with DataLoader workers."""
import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, Dataset, get_worker_info  # noqa: E402

import fastaug  # noqa: E402
from fastaug.integrations.torch import AugmentedDataset, BatchAugment  # noqa: E402

N, H, W = 20, 16, 20
# A DataLoader batch not delivered in this many seconds raises: a worker deadlocked
# (e.g. on the native thread pool's state inherited through fork) fails instead of hanging.
LOADER_TIMEOUT = 60


def _augment(**overrides):
    kwargs = dict(rotation=30, width_shift=0.1, zoom=(0.8, 1.2), horizontal_flip=True,
                  seed=7)
    kwargs.update(overrides)
    return fastaug.Augment(**kwargs)


def _images(same=False):
    rng = np.random.default_rng(1)
    if same:
        return np.repeat(rng.integers(0, 256, (1, H, W, 3), dtype=np.uint8), N, axis=0)
    return rng.integers(0, 256, (N, H, W, 3), dtype=np.uint8)


class Pairs(Dataset):
    """(image, label) items; remembers which worker served each index."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        info = get_worker_info()
        return self.images[i], {"label": i % 3, "worker": -1 if info is None else info.id}


def _loader(dataset, workers, **kwargs):
    extra = {}
    if workers:
        extra = dict(multiprocessing_context="fork", timeout=LOADER_TIMEOUT)
    return DataLoader(dataset, batch_size=6, num_workers=workers, shuffle=False,
                      **extra, **kwargs)


def _collect(loader):
    images, workers = [], []
    for batch_images, extra in loader:
        images.append(batch_images)
        workers.append(extra["worker"])
    return torch.cat(images).numpy(), torch.cat(workers).numpy()


def test_workers_0_and_2_give_the_local_augment_result():
    images = _images()
    aug = _augment()
    dataset = AugmentedDataset(Pairs(images), aug)
    for epoch in (0, 3):
        dataset.set_epoch(epoch)
        expected = aug(images, indices=np.arange(N), epoch=epoch).images
        single, _ = _collect(_loader(dataset, 0))
        forked, workers = _collect(_loader(dataset, 2))
        np.testing.assert_array_equal(single, expected)
        np.testing.assert_array_equal(forked, expected)
        assert set(workers) == {0, 1}
    assert not np.array_equal(aug(images, indices=np.arange(N), epoch=0).images, expected)


def test_forked_workers_after_the_native_pool_started_complete():
    images = _images()
    aug = _augment(num_threads=2)
    # Start the native thread pool in this (parent) process, then fork workers that use it.
    parent = aug(np.tile(images, (8, 1, 1, 1)), indices=np.arange(8 * N)).images
    dataset = AugmentedDataset(Pairs(images), aug)
    for _ in range(2):
        forked, workers = _collect(_loader(dataset, 2))
        np.testing.assert_array_equal(forked, parent[:N])
        assert set(workers) == {0, 1}


def test_each_worker_draws_different_transforms_and_follows_set_epoch():
    images = _images(same=True)
    aug = _augment()
    dataset = AugmentedDataset(Pairs(images), aug)
    loader = _loader(dataset, 2, persistent_workers=True)
    for epoch in (0, 1):
        dataset.set_epoch(epoch)  # reaches the persistent workers through shared memory
        out, workers = _collect(loader)
        np.testing.assert_array_equal(out, aug(images, indices=np.arange(N), epoch=epoch).images)
        flat = out.reshape(N, -1)
        distinct = {flat[i].tobytes() for i in range(N)}
        assert len(distinct) == N  # identical inputs, a different transform per sample
        by_worker = [flat[workers == w] for w in (0, 1)]
        assert all(len(rows) for rows in by_worker)
        assert not any(np.array_equal(a, b) for a in by_worker[0] for b in by_worker[1])


Item = collections.namedtuple("Item", "label image mask")


class Structured(Dataset):
    def __init__(self, images, masks, kind):
        self.images, self.masks, self.kind = images, masks, kind

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        if self.kind == "dict":
            return {"image": self.images[i], "mask": self.masks[i], "label": i}
        if self.kind == "namedtuple":
            return Item(i, self.images[i], self.masks[i])
        return self.images[i]


def _rectangle_masks(images):
    masks = np.zeros(images.shape[:3], np.uint8)
    masks[:, 4:10, 5:15] = 1
    return masks


@pytest.mark.parametrize("kind", ["dict", "namedtuple", "bare"])
def test_items_keep_their_structure_and_masks_follow(kind):
    images = _images()
    masks = _rectangle_masks(images)
    images_before, masks_before = images.copy(), masks.copy()
    aug = _augment(fill_mode="constant")
    keys = {"dict": dict(mask_key="mask"), "namedtuple": dict(image_key=1, mask_key=2),
            "bare": {}}[kind]
    dataset = AugmentedDataset(Structured(images, masks, kind), aug, **keys)
    dataset.set_epoch(2)
    expected = aug(images, indices=np.arange(N), epoch=2, masks=masks)
    batch = dataset.__getitems__([4, 0, 7])
    single = dataset[-N + 7]  # a negative index is the same sample
    for k, i in enumerate([4, 0, 7]):
        item = batch[k]
        if kind == "dict":
            assert item["label"] == i
            got_image, got_mask = item["image"], item["mask"]
        elif kind == "namedtuple":
            assert isinstance(item, Item) and item.label == i
            got_image, got_mask = item.image, item.mask
        else:
            got_image, got_mask = item, None
        np.testing.assert_array_equal(got_image, expected.images[i])
        if got_mask is not None:
            np.testing.assert_array_equal(got_mask, expected.masks[i])
    np.testing.assert_array_equal(single if kind == "bare" else
                                  single["image"] if kind == "dict" else single.image,
                                  expected.images[7])
    if kind != "bare":
        assert not all(np.array_equal(expected.masks[i], masks[i]) for i in range(N))
    np.testing.assert_array_equal(images, images_before)
    np.testing.assert_array_equal(masks, masks_before)


class WithIndex(Dataset):
    def __init__(self, images, masks):
        self.images, self.masks = images, masks

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return {"image": self.images[i], "mask": self.masks[i], "index": i, "label": i % 2}


@pytest.mark.parametrize("workers", [0, 2])
def test_batch_augment_as_collate_fn(workers):
    images = _images()
    masks = _rectangle_masks(images)
    aug = _augment()
    collate = BatchAugment(aug, mask_key="mask", index_key="index", channels_first=True,
                           dtype=torch.float32, scale=1 / 255)
    collate.set_epoch(1)
    loader = _loader(WithIndex(images, masks), workers, collate_fn=collate)
    expected = aug(images, indices=np.arange(N), epoch=1, masks=masks)
    got_images = []
    for batch in loader:
        assert batch["image"].dtype == torch.float32 and batch["image"].shape[1] == 3
        assert batch["mask"].dtype == torch.uint8 and batch["mask"].shape[1:] == (H, W)
        np.testing.assert_array_equal(batch["mask"].numpy(),
                                      expected.masks[batch["index"].numpy()])
        np.testing.assert_array_equal(batch["label"].numpy(), batch["index"].numpy() % 2)
        got_images.append(batch["image"])
    np.testing.assert_allclose(torch.cat(got_images).numpy(),
                               expected.images.transpose(0, 3, 1, 2).astype(np.float32) / 255,
                               rtol=1e-6)


def test_batch_augment_on_a_stacked_batch():
    images = _images()
    aug = _augment()
    want = aug(images, indices=np.arange(10, 10 + N)).images
    out, masks = BatchAugment(aug)(images, np.arange(10, 10 + N))
    assert masks is None and out.dtype == torch.uint8 and out.shape == (N, H, W, 3)
    np.testing.assert_array_equal(out.numpy(), want)
    # A channels-last tensor, said so.
    out, _ = BatchAugment(aug, layout="NHWC")(torch.from_numpy(images), np.arange(10, 10 + N))
    np.testing.assert_array_equal(out.numpy(), want)


def test_batch_augment_reads_tensors_channels_first():
    images = _images()
    aug = _augment()
    want = aug(images, indices=np.arange(N)).images
    chw = torch.from_numpy(images).permute(0, 3, 1, 2)  # (N, 3, H, W), PyTorch's layout
    out, _ = BatchAugment(aug)(chw, np.arange(N))
    assert out.shape == (N, 3, H, W)  # back in the layout it came in
    np.testing.assert_array_equal(out.permute(0, 2, 3, 1).numpy(), want)
    out, _ = BatchAugment(aug, channels_first=False)(chw, np.arange(N))
    np.testing.assert_array_equal(out.numpy(), want)
    # As a collate_fn over (C, H, W) tensor items.
    items = [{"image": chw[i], "index": i} for i in range(N)]
    batch = BatchAugment(aug, index_key="index")(items)
    np.testing.assert_array_equal(batch["image"].permute(0, 2, 3, 1).numpy(), want)


def test_augmented_dataset_reads_tensor_items_channels_first():
    images = _images()
    aug = _augment()
    want = aug(images, indices=np.arange(N)).images

    class Tensors(Dataset):
        def __len__(self):
            return N

        def __getitem__(self, i):
            return torch.from_numpy(images[i]).permute(2, 0, 1), i

    ds = AugmentedDataset(Tensors(), aug)
    for i in (0, 7):
        image, _ = ds[i]
        assert isinstance(image, torch.Tensor) and image.shape == (3, H, W)
        np.testing.assert_array_equal(image.permute(1, 2, 0).numpy(), want[i])

    class ChannelsLastTensors(Tensors):
        def __getitem__(self, i):
            return torch.from_numpy(images[i]), i

    with pytest.raises(ValueError, match=r"read as \(C, H, W\), which would give it 16"):
        AugmentedDataset(ChannelsLastTensors(), aug)[0]


def test_batch_augment_refuses_an_implausible_layout():
    images = _images()
    aug = _augment()
    with pytest.raises(ValueError, match="layout='NHWC'"):
        BatchAugment(aug)(torch.from_numpy(images), np.arange(N))  # NHWC tensor: C = H
    with pytest.raises(ValueError, match="layout='NCHW'"):
        BatchAugment(aug)(images.transpose(0, 3, 1, 2), np.arange(N))  # NCHW numpy
    with pytest.raises(ValueError, match="layout must be"):
        BatchAugment(aug, layout="CHW")


def test_bad_arguments_raise_naming_them():
    aug = _augment()
    with pytest.raises(TypeError, match="augment"):
        AugmentedDataset(Pairs(_images()), augment="rotate")
    with pytest.raises(TypeError, match="dataset"):
        AugmentedDataset(iter([]), aug)
    with pytest.raises(TypeError, match="image_key"):
        AugmentedDataset(Pairs(_images()), aug, image_key=1.5)
    with pytest.raises(ValueError, match="epoch"):
        AugmentedDataset(Pairs(_images()), aug).set_epoch(-1)
    with pytest.raises(KeyError, match="mask_key 'masks'"):
        AugmentedDataset(WithIndex(_images(), _images()), aug, mask_key="masks")[0]
    with pytest.raises(ValueError, match="scale needs a floating dtype"):
        BatchAugment(aug, scale=0.5)
    with pytest.raises(TypeError, match="dtype"):
        BatchAugment(aug, dtype="float32")
    with pytest.raises(ValueError, match="index_key"):
        BatchAugment(aug)([WithIndex(_images(), _images())[0]])
    with pytest.raises(TypeError, match="index_key"):
        BatchAugment(aug, index_key="index")([_images()[0]])
