"""Ray Data: RayAugmenter in map_batches gives what a local Augment call gives."""
import numpy as np
import pytest

import fastaug
from fastaug.integrations.ray import RayAugmenter

N, H, W = 24, 12, 16
CONFIG = dict(rotation=25, width_shift=0.1, zoom=(0.9, 1.2), horizontal_flip=True,
              brightness=(0.8, 1.2), seed=3)


def _data():
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, (N, H, W, 3), dtype=np.uint8)
    masks = np.zeros((N, H, W), np.uint8)
    masks[:, 3:8, 4:12] = 1
    return images, masks


def _read_only(*arrays):
    out = []
    for a in arrays:
        a = a.copy()
        a.flags.writeable = False
        out.append(a)
    return out


def test_call_matches_augment_and_leaves_read_only_input_alone():
    images, masks = _read_only(*_data())
    indices, = _read_only(np.arange(100, 100 + N))
    batch = {"image": images, "mask": masks, "row": indices, "label": np.arange(N) % 3}
    augmenter = RayAugmenter(CONFIG, mask_column="mask", index_column="row", epoch=2)
    out = augmenter(batch)
    expected = fastaug.Augment(**CONFIG)(images, indices=indices, epoch=2, masks=masks)
    np.testing.assert_array_equal(out["image"], expected.images)
    np.testing.assert_array_equal(out["mask"], expected.masks)
    assert out["label"] is batch["label"] and out["row"] is batch["row"]
    assert set(batch) == {"image", "mask", "row", "label"} and batch["image"] is images
    # Splitting the batch anywhere gives the same rows (keyed by the index column).
    halves = [augmenter({k: v[s] for k, v in batch.items()}) for s in (slice(0, 5), slice(5, N))]
    np.testing.assert_array_equal(np.concatenate([h["image"] for h in halves]), out["image"])


def test_ragged_image_column_is_augmented_row_by_row():
    images, _ = _data()
    small = images[:3, :8, :10]
    column = np.empty(4, dtype=object)
    column[:3] = list(small)
    column[3] = images[3]
    aug = fastaug.Augment(**CONFIG)
    out = RayAugmenter(aug)({"image": column, "index": np.arange(4)})
    assert out["image"].dtype == object
    np.testing.assert_array_equal(np.stack(list(out["image"][:3])),
                                  aug(small, indices=np.arange(3)).images)
    np.testing.assert_array_equal(out["image"][3], aug(images[3:4], indices=[3]).images[0])


def test_bad_arguments_raise_naming_them():
    images, _ = _data()
    with pytest.raises(TypeError, match="augment"):
        RayAugmenter("rotate")
    with pytest.raises(TypeError, match="image_column"):
        RayAugmenter(CONFIG, image_column=3)
    with pytest.raises(ValueError, match="epoch"):
        RayAugmenter(CONFIG, epoch=-1)
    with pytest.raises(KeyError, match="index_column 'index'"):
        RayAugmenter(CONFIG)({"image": images})
    with pytest.raises(ValueError, match="index_column 'index' must hold one int per row"):
        RayAugmenter(CONFIG)({"image": images, "index": np.zeros(N)})
    with pytest.raises(TypeError, match="batch_format='numpy'"):
        RayAugmenter(CONFIG)([images])


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 1024 ** 2)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_map_batches_on_local_ray_equals_local_augment(ray_local):
    images, masks = _data()
    ds = ray_local.data.from_items(
        [{"image": images[i], "mask": masks[i], "index": i} for i in range(N)],
        override_num_blocks=3)
    out = ds.map_batches(
        RayAugmenter, fn_constructor_kwargs={"augment": CONFIG, "mask_column": "mask",
                                             "index_column": "index", "epoch": 1},
        batch_format="numpy", batch_size=5,
        compute=ray_local.data.ActorPoolStrategy(size=2)).take_all()
    out.sort(key=lambda row: int(row["index"]))
    assert [int(row["index"]) for row in out] == list(range(N))
    expected = fastaug.Augment(**CONFIG)(images, indices=np.arange(N), epoch=1, masks=masks)
    np.testing.assert_array_equal(np.stack([row["image"] for row in out]), expected.images)
    np.testing.assert_array_equal(np.stack([row["mask"] for row in out]), expected.masks)
