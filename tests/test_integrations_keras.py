"""Keras 3: the ImageDataGenerator iterators as ``keras.utils.PyDataset`` (``model.fit``),
and masks in ``flow``."""
import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastaug
from fastaug.integrations.keras import as_pydataset, pydataset_class

keras_spec = importlib.util.find_spec("keras")
needs_keras = pytest.mark.skipif(keras_spec is None, reason="keras is not installed")


def _backend():
    # The issue asks for the torch backend; jax (in the test extras) otherwise.
    return "torch" if importlib.util.find_spec("torch") is not None else "jax"


def _run_python(code, env_extra=None, timeout=240):
    env = dict(os.environ)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_import_fastaug_imports_no_framework():
    out = _run_python("""
        import sys
        import fastaug, fastaug.integrations, fastaug.integrations.keras
        import fastaug.integrations.ray
        print(sorted(m for m in ("torch", "keras", "ray", "jax", "tensorflow")
                     if m in sys.modules))
    """)
    assert out.strip() == "[]"


@needs_keras
def test_model_fit_trains_on_flow_iterators():
    """A tiny conv model takes 2 steps of model.fit on a flow() iterator (classification),
    and on a flow(masks=) iterator (segmentation); one iterator made before keras was
    imported goes through as_pydataset."""
    backend = _backend()
    out = _run_python("""
        import numpy as np
        import fastaug

        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
        y = rng.integers(0, 2, 16)
        masks = (rng.random((16, 16, 16)) > 0.5).astype(np.float32)
        gen = fastaug.ImageDataGenerator(rotation_range=20, horizontal_flip=True,
                                         rescale=1 / 255)
        early = gen.flow(x, y, batch_size=4, seed=1)

        import keras
        from fastaug.integrations.keras import as_pydataset

        print("before", isinstance(early, keras.utils.PyDataset))
        as_pydataset(early)
        late = gen.flow(x, y, batch_size=4, seed=1)
        print("after", isinstance(late, keras.utils.PyDataset))

        def tiny(out_channels, seg):
            inputs = keras.Input((16, 16, 3))
            h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
            if seg:
                outputs = keras.layers.Conv2D(1, 1, activation="sigmoid")(h)
                outputs = keras.layers.Reshape((16, 16))(outputs)
            else:
                h = keras.layers.GlobalAveragePooling2D()(h)
                outputs = keras.layers.Dense(out_channels, activation="softmax")(h)
            model = keras.Model(inputs, outputs)
            model.compile(optimizer="sgd", loss="binary_crossentropy" if seg
                          else "sparse_categorical_crossentropy")
            return model

        for name, it, seg in (("late", late, False), ("early", early, False),
                              ("masks", gen.flow(x, batch_size=4, seed=1, masks=masks), True)):
            model = tiny(2, seg)
            history = model.fit(it, epochs=1, steps_per_epoch=2, verbose=0)
            loss = history.history["loss"]
            steps = int(model.optimizer.iterations.numpy())
            print(name, len(loss), bool(np.isfinite(loss).all()), steps)
        print("backend", keras.backend.backend())
    """, {"KERAS_BACKEND": backend})
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert lines["before"] == "False"
    assert lines["after"] == "True"
    for name in ("late", "early", "masks"):
        assert lines[name] == "1 True 2", (name, out)
    assert lines["backend"] == backend
    print("model.fit ran with KERAS_BACKEND=%s" % backend)


@pytest.fixture
def keras_module():
    if keras_spec is None:
        pytest.skip("keras is not installed")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def test_iterators_made_after_import_keras_are_pydatasets(keras_module, tmp_path):
    pd = pytest.importorskip("pandas")
    from fastaug._keras.directory import save_img

    gen = fastaug.ImageDataGenerator()
    x = np.zeros((5, 8, 8, 3), np.uint8)
    for k in range(2):
        (tmp_path / ("c%d" % k)).mkdir()
        save_img(str(tmp_path / ("c%d" % k) / "a.png"), x[0])
    iterators = [
        gen.flow(x, np.arange(5), batch_size=2),
        gen.flow_from_directory(str(tmp_path), target_size=(8, 8), batch_size=2),
        gen.flow_from_dataframe(pd.DataFrame({"filename": ["c0/a.png", "c1/a.png"],
                                              "class": ["0", "1"]}), str(tmp_path),
                                target_size=(8, 8), batch_size=2),
    ]
    for it, base in zip(iterators, (fastaug.NumpyArrayIterator, fastaug._keras.DirectoryIterator,
                                    fastaug._keras.DataFrameIterator)):
        assert isinstance(it, keras_module.utils.PyDataset)
        assert isinstance(it, base) and type(it).__name__ == base.__name__
        assert (it.workers, it.use_multiprocessing, it.num_batches) == (1, False, len(it))
    # One subclass per iterator class, reused.
    assert type(gen.flow(x)) is type(iterators[0])


def test_as_pydataset_converts_an_iterator_made_before_keras(keras_module, monkeypatch):
    x = np.arange(4 * 6 * 6 * 3, dtype=np.uint8).reshape(4, 6, 6, 3)
    gen = fastaug.ImageDataGenerator(horizontal_flip=True)
    monkeypatch.delitem(sys.modules, "keras")
    plain = gen.flow(x, batch_size=2, seed=3, shuffle=False)
    monkeypatch.undo()
    assert type(plain) is fastaug.NumpyArrayIterator
    expected = gen.flow(x, batch_size=2, seed=3, shuffle=False)[1]
    same = as_pydataset(plain, workers=2, max_queue_size=3)
    assert same is plain and isinstance(plain, keras_module.utils.PyDataset)
    assert (plain.workers, plain.use_multiprocessing, plain.max_queue_size) == (2, False, 3)
    np.testing.assert_array_equal(plain[1], expected)


def test_as_pydataset_rejects_bad_arguments(keras_module):
    it = fastaug.ImageDataGenerator().flow(np.zeros((2, 4, 4, 1), np.uint8))
    with pytest.raises(TypeError, match="iterator"):
        as_pydataset([1, 2])
    with pytest.raises(ValueError, match="workers"):
        as_pydataset(it, workers=0)
    with pytest.raises(ValueError, match="max_queue_size"):
        as_pydataset(it, max_queue_size=True)
    with pytest.raises(TypeError, match="use_multiprocessing"):
        as_pydataset(it, use_multiprocessing="yes")


def test_without_keras_imported_iterators_stay_plain(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    it = fastaug.ImageDataGenerator().flow(np.zeros((2, 4, 4, 1), np.uint8))
    assert type(it) is fastaug.NumpyArrayIterator
    assert pydataset_class(fastaug.NumpyArrayIterator, import_keras=False) \
        is fastaug.NumpyArrayIterator


# ---------------------------------------------------------------------- masks in flow()

def _rectangles(n, h, w, rng):
    """Images with a bright filled rectangle on a mid-grey background, and the rectangle's
    mask (1 inside)."""
    x = np.full((n, h, w, 3), 60, np.uint8)
    masks = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        r0, c0 = rng.integers(2, h // 2), rng.integers(2, w // 2)
        r1, c1 = r0 + rng.integers(4, h // 2), c0 + rng.integers(4, w // 2)
        x[i, r0:r1, c0:c1] = 220
        masks[i, r0:r1, c0:c1] = 1
    return x, masks


@pytest.mark.parametrize("compat", ["1.1.2", "2.9"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_masks_follow_each_images_geometry_exactly(compat, data_format):
    rng = np.random.default_rng(5)
    x, masks = _rectangles(12, 30, 40, rng)
    gen = fastaug.ImageDataGenerator(
        rotation_range=40, width_shift_range=0.2, height_shift_range=0.1, shear_range=10,
        zoom_range=0.3, horizontal_flip=True, vertical_flip=True, fill_mode="constant",
        cval=0, interpolation_order=0, data_format=data_format, compat=compat)
    images = x if data_format == "channels_last" else x.transpose(0, 3, 1, 2).copy()
    x_before, masks_before = images.copy(), masks.copy()
    it = gen.flow(images, batch_size=5, shuffle=True, seed=11, masks=masks)
    moved = 0
    for b in range(len(it)):
        batch_x, batch_m = it[b]
        assert batch_m.dtype == np.uint8 and batch_m.shape == (len(batch_x), 30, 40)
        channel0 = batch_x[..., 0] if data_format == "channels_last" else batch_x[:, 0]
        # Same sampling for image and mask (order 0, fill 0): rectangle pixels are exactly
        # the mask's.
        np.testing.assert_array_equal(channel0 == 220, batch_m == 1)
        moved += int((batch_m != masks[it.index_array[b * 5:(b + 1) * 5]]).any(axis=(1, 2)).sum())
    assert moved >= 10  # the transforms really moved the masks
    np.testing.assert_array_equal(images, x_before)
    np.testing.assert_array_equal(masks, masks_before)


def test_masks_stay_aligned_with_bilinear_images_and_keep_their_values():
    rng = np.random.default_rng(6)
    x, masks = _rectangles(16, 32, 32, rng)
    labels = (masks * 7).astype(np.int32)[..., np.newaxis].repeat(2, axis=3)  # (N, H, W, 2)
    gen = fastaug.ImageDataGenerator(rotation_range=30, zoom_range=0.2, horizontal_flip=True,
                                     fill_mode="constant", brightness_range=(0.5, 1.5),
                                     channel_shift_range=30, rescale=1 / 255)
    batch_x, (batch_y, batch_m), batch_w = gen.flow(
        x, np.arange(16), batch_size=16, seed=2, sample_weight=np.ones(16), masks=labels)[0]
    assert batch_m.dtype == np.int32 and batch_m.shape == (16, 32, 32, 2)
    assert set(np.unique(batch_m)) <= {0, 7}  # nearest neighbour: no blended labels
    np.testing.assert_array_equal(batch_m[..., 0], batch_m[..., 1])
    inside = batch_m[..., 0] == 7
    # Photometric steps move the levels; geometry keeps the rectangle where the mask is.
    # Only a 1-pixel rim may disagree (bilinear edge vs nearest).
    brightness = batch_x.reshape(16, -1).max(axis=1)[:, None, None]
    bright = batch_x.mean(axis=3) > 0.6 * brightness
    assert (bright != inside).mean() < 0.03
    assert batch_y.shape == (16,) and batch_w.shape == (16,)


def test_masks_batch_layout():
    x = np.zeros((6, 8, 8, 1), np.float32)
    m = np.zeros((6, 8, 8), bool)
    gen = fastaug.ImageDataGenerator()
    bx, bm = gen.flow(x, batch_size=3, masks=m)[0]
    assert bx.shape == (3, 8, 8, 1) and bm.dtype == bool and bm.shape == (3, 8, 8)
    bx, (by, bm), bw = gen.flow(x, np.arange(6), batch_size=3, masks=m,
                                sample_weight=np.arange(6.0), shuffle=False)[1]
    np.testing.assert_array_equal(by, [3, 4, 5])
    np.testing.assert_array_equal(bw, [3, 4, 5])
    # Split with the images.
    gen = fastaug.ImageDataGenerator(validation_split=0.5)
    marked = np.arange(6)[:, None, None] * np.ones((6, 8, 8), np.uint8)
    it = gen.flow(x, batch_size=6, masks=marked, subset="validation", shuffle=False)
    np.testing.assert_array_equal(it[0][1][:, 0, 0], [0, 1, 2])


@pytest.mark.parametrize("masks, error, match", [
    (np.zeros((5, 8, 8)), ValueError, "one \\(H, W\\) = \\(8, 8\\) mask per image"),
    (np.zeros((6, 8, 7)), ValueError, "mask per image"),
    (np.zeros((6, 8)), ValueError, "masks must have shape"),
    (np.full((6, 8, 8), "a"), TypeError, "masks must be a numeric or bool array"),
])
def test_bad_masks_raise_naming_masks(masks, error, match):
    with pytest.raises(error, match=match):
        fastaug.ImageDataGenerator().flow(np.zeros((6, 8, 8, 3)), masks=masks)


def test_masks_need_a_fastaug_generator():
    class Foreign:
        def get_random_transform(self, shape):
            return {}

    with pytest.raises(TypeError, match="masks needs a fastaug ImageDataGenerator"):
        fastaug.NumpyArrayIterator(np.zeros((2, 4, 4, 1)), None, Foreign(),
                                   masks=np.zeros((2, 4, 4)))
