"""A decoded-pixel cache for image files, shared by processes (``docs/decoded-cache.md``).

One directory holds one dataset's cache: ``index`` (what is stored where), ``data-<id>`` (the
pixels, appended; read through a memory map) and ``lock`` (serialises writers). Readers take
no lock: the index is only ever replaced whole (``os.replace`` of a fsynced temporary file),
and the pixels an index points at are fsynced before it, so any index a reader can see is
complete. Runtime dependencies: numpy and the standard library.
"""
from __future__ import annotations

import errno
import io
import json
import math
import mmap
import os
import secrets
import shutil
import struct
import threading
import time
import warnings
import zlib
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

__all__ = ["DecodedCache", "FORMAT_VERSION"]

FORMAT_VERSION = 1
INDEX_NAME = "index"
LOCK_NAME = "lock"
_DATA_PREFIX = "data-"
_TMP_PREFIX = "index.tmp-"
# Entries start on 64-byte boundaries: aligned views for SIMD loads and float32.
_ALIGN = 64

# Index file: magic, version, crc32 of everything after the crc, then _INDEX_REST, then the
# JSON body. The nonce is new on every write, so "has the index changed?" is a 56-byte read.
_INDEX_MAGIC = b"FAUGCIX\x00"
_INDEX_HEAD = struct.Struct("<8sII")
_INDEX_REST = struct.Struct("<Q16s16sQ")  # body length, nonce, data id, data size
_INDEX_HEADER_SIZE = _INDEX_HEAD.size + _INDEX_REST.size
# Data file: a 64-byte header naming the data id, then the entries.
_DATA_MAGIC = b"FAUGCDA\x00"
_DATA_HEAD = struct.Struct("<8sI4x16s")
_DATA_START = _ALIGN

# Little-endian float32 always, so a cache means the same on any machine.
_DTYPES: Dict[str, np.dtype] = {"uint8": np.dtype("u1"), "float32": np.dtype("<f4")}
_DISK_FULL = {errno.ENOSPC, errno.EFBIG} | ({errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None  # type: ignore[assignment]

# (mtime_ns, size, offset, dtype, shape, crc32, nbytes) of one stored image.
Entry = Tuple[int, int, int, np.dtype, Tuple[int, ...], int, int]
Key = Tuple[str, str]


def _write_all(fd: int, data, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (a short write is continued, not lost)."""
    view = memoryview(data).cast("B")
    done = 0
    while done < len(view):
        if hasattr(os, "pwrite"):
            written = os.pwrite(fd, view[done:], offset + done)
        else:  # Windows has no pwrite; callers hold the write lock, so the seek is ours
            os.lseek(fd, offset + done, os.SEEK_SET)
            written = os.write(fd, view[done:])
        if written <= 0:
            raise OSError(errno.EIO, "write made no progress")
        done += written


def _fsync_dir(path: str) -> None:
    """Make a rename in ``path`` durable (POSIX; Windows cannot open a directory)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _path_arg(value, name: str) -> str:
    if isinstance(value, (bool, int)) or not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a path (str, bytes or os.PathLike), got {type(value).__name__}")
    return os.path.abspath(os.fsdecode(os.fspath(value)))


def _source_key(source) -> str:
    if type(source) is str and source[:1] == os.sep:  # the common case, without fspath/fsdecode
        return os.path.normpath(source) if os.name == "posix" else os.path.abspath(source)
    return _path_arg(source, "source")


def _variant_arg(variant) -> str:
    if type(variant) is not str:
        raise TypeError(f"variant must be a str naming the decode settings, got {type(variant).__name__}")
    return variant


def _pixels_arg(pixels) -> np.ndarray:
    if not isinstance(pixels, np.ndarray):
        raise TypeError(f"pixels must be a numpy array, got {type(pixels).__name__}")
    if pixels.dtype == np.uint8:
        dtype = _DTYPES["uint8"]
    elif pixels.dtype.kind == "f" and pixels.dtype.itemsize == 4:  # float32 of either byte order
        dtype = _DTYPES["float32"]
    else:
        raise TypeError(f"pixels must be uint8 or float32, got {pixels.dtype}")
    if pixels.ndim not in (2, 3):
        raise ValueError(f"pixels must be 2-D (H, W) or 3-D (H, W, C), got shape {pixels.shape}")
    if pixels.size == 0:
        raise ValueError(f"pixels must not be empty, got shape {pixels.shape}")
    # Copies only when needed (a strided view, a big-endian float32).
    return np.ascontiguousarray(pixels, dtype=dtype)  # type: ignore[call-overload]


def _stat_arg(stat) -> os.stat_result:
    if not isinstance(stat, os.stat_result):
        raise TypeError(f"stat must be an os.stat_result (from os.stat(source)), got {type(stat).__name__}")
    return stat


def _inside(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # Windows: different drives
        return False


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


class _Index:
    """One parsed index file."""

    __slots__ = ("nonce", "data_id", "data_size", "entries")

    def __init__(self, nonce: bytes, data_id: bytes, data_size: int, entries: Dict[Key, Entry]):
        self.nonce = nonce
        self.data_id = data_id
        self.data_size = data_size
        self.entries = entries


def _corrupt(path: str, what: str) -> ValueError:
    return ValueError(f"decoded cache file {path!r} {what}; the cache holds only decoded copies, "
                      f"so deleting its directory {os.path.dirname(path)!r} is a safe fix")


def _parse_entries(items: list, path: str, data_size: int) -> Dict[Key, Entry]:
    """The JSON entries, each checked: a bad one raises, so no view can point outside the
    data. (Per entry this is most of the cost of opening a cache: kept to plain type tests.)"""
    entries: Dict[Key, Entry] = {}
    layouts: Dict[tuple, Tuple[np.dtype, Tuple[int, ...], int]] = {}  # few distinct shapes
    for item in items:
        if type(item) is not list or len(item) != 8:
            raise _corrupt(path, "has a malformed entry")
        source, variant, mtime_ns, size, offset, dtype_name, shape, crc = item
        if not (type(source) is str and type(variant) is str and type(mtime_ns) is int
                and type(size) is int and type(offset) is int and type(crc) is int
                and type(shape) is list and type(dtype_name) is str):
            raise _corrupt(path, "has a malformed entry")
        layout = layouts.get((dtype_name, *shape))
        if layout is None:
            if not (dtype_name in _DTYPES and len(shape) in (2, 3)
                    and all(type(v) is int and v > 0 for v in shape)):
                raise _corrupt(path, "has a malformed entry")
            dtype = _DTYPES[dtype_name]
            # Exact integers: a crafted huge shape cannot wrap to a small size.
            layout = layouts[(dtype_name, *shape)] = (dtype, tuple(shape), math.prod(shape) * dtype.itemsize)
        nbytes = layout[2]
        if offset < _DATA_START or offset % _ALIGN or offset + nbytes > data_size or size < 0:
            raise _corrupt(path, f"has an entry for {source!r} outside the data "
                                 f"(bytes {offset}..{offset + nbytes} of {data_size})")
        entries[(source, variant)] = (mtime_ns, size, offset, layout[0], layout[1], crc, nbytes)
    return entries


def _parse_index(raw: bytes, path: str) -> _Index:
    if len(raw) < _INDEX_HEADER_SIZE:
        raise _corrupt(path, f"is truncated ({len(raw)} bytes; its header alone is {_INDEX_HEADER_SIZE})")
    magic, version, crc = _INDEX_HEAD.unpack_from(raw)
    if magic != _INDEX_MAGIC:
        raise _corrupt(path, "is not a fastaug decoded-cache index (bad magic bytes)")
    if version != FORMAT_VERSION:
        raise _corrupt(path, f"has format version {version}; this fastaug reads version {FORMAT_VERSION}")
    body_len, nonce, data_id, data_size = _INDEX_REST.unpack_from(raw, _INDEX_HEAD.size)
    if len(raw) != _INDEX_HEADER_SIZE + body_len:
        raise _corrupt(path, f"is truncated or has trailing bytes ({len(raw)} bytes, "
                             f"header says {_INDEX_HEADER_SIZE + body_len})")
    if zlib.crc32(memoryview(raw)[_INDEX_HEAD.size:]) != crc:
        raise _corrupt(path, "is corrupted (checksum mismatch)")
    try:
        body = json.loads(raw[_INDEX_HEADER_SIZE:].decode("utf-8"))
        items = body["entries"]
        if not isinstance(items, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise _corrupt(path, "has a body that is not the expected JSON") from None
    entries = _parse_entries(items, path, data_size)
    return _Index(nonce, data_id, data_size, entries)


class DecodedCache:
    """Decoded pixels of image files, in one memory-mapped data file per dataset plus an index.

    Entries are keyed by (absolute path of the source file, variant), where ``variant`` names
    the decode settings (e.g. ``"rgb|target=256x256|nearest"``). Each records the source's
    mtime (ns) and size when it was stored; a source that has changed since, or is missing, is
    stale and :meth:`lookup` returns ``None`` for it.

    Many processes may share one cache directory: readers need no lock; writers serialise
    through the directory's lock file and publish with :meth:`commit`. A corrupted, truncated or
    foreign index or data file raises ``ValueError`` naming the file (never wrong pixels).

    Args:
        path: the cache directory; created if missing (unless ``readonly``).
        readonly: open for lookups only: nothing is created, locked or written.
        check_pixels: verify each entry's CRC-32 on its first lookup in this instance
            (about as costly as one copy of the pixels; catches bytes corrupted on disk).
    """

    def __init__(self, path, *, readonly: bool = False, check_pixels: bool = False):
        if not isinstance(readonly, bool):
            raise TypeError(f"readonly must be a bool, got {type(readonly).__name__}")
        if not isinstance(check_pixels, bool):
            raise TypeError(f"check_pixels must be a bool, got {type(check_pixels).__name__}")
        directory = _path_arg(path, "path")
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise ValueError(f"path must be a directory for the cache, got {directory!r}, which is a file")
        if not os.path.isdir(directory):
            if readonly:
                raise FileNotFoundError(errno.ENOENT, "decoded cache directory does not exist "
                                        "(readonly=True creates nothing)", directory)
            os.makedirs(directory, exist_ok=True)
        self._path = directory
        self._index_path = os.path.join(directory, INDEX_NAME)
        self._readonly = readonly
        self._mutex = threading.RLock()  # this instance's state, across threads
        self._pid = os.getpid()
        self._closed = False
        self._index: Optional[_Index] = None  # committed entries as last read or written
        self._pending: Dict[Key, Entry] = {}  # stored here, not yet committed
        self._map: Optional[mmap.mmap] = None  # of the data file self._index names
        self._map_id: Optional[bytes] = None
        self._lock_fd: Optional[int] = None
        self._data_fd: Optional[int] = None  # writers: the data file, for appends
        self._data_fd_id: Optional[bytes] = None
        self._checked: Optional[set] = set() if check_pixels else None
        self._next_auto_load = 0.0  # monotonic time before which a miss does not re-read
        with self._mutex:
            self._load()

    # ------------------------------------------------------------------ properties
    @property
    def path(self) -> str:
        """The cache directory (absolute)."""
        return self._path

    @property
    def readonly(self) -> bool:
        return self._readonly

    def __repr__(self) -> str:
        mode = "readonly" if self._readonly else "read-write"
        return f"DecodedCache({self._path!r}, {mode}, {len(self)} entries)"

    def __len__(self) -> int:
        """Entries visible to this instance: the index as of the last open, refresh or commit,
        plus this instance's uncommitted stores. Staleness is judged by :meth:`lookup`."""
        committed = self._index.entries if self._index is not None else {}
        return len(committed) + sum(1 for key in self._pending if key not in committed)

    def __contains__(self, key) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:  # not an unpacking error
            raise TypeError(f"a cache key must be a (source, variant) tuple, got {key!r}")
        source, variant = key
        return self.lookup(source, variant) is not None

    def keys(self) -> Iterator[Key]:
        """(source path, variant) of every visible entry, stale or not."""
        committed = self._index.entries if self._index is not None else {}
        yield from committed
        yield from (key for key in self._pending if key not in committed)

    # ------------------------------------------------------------------ reading
    def _data_path(self, data_id: bytes) -> str:
        return os.path.join(self._path, _DATA_PREFIX + data_id.hex())

    def _read_index(self) -> Optional[_Index]:
        try:
            with open(self._index_path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        return _parse_index(raw, self._index_path)

    def _index_head(self) -> Optional[Tuple[bytes, bytes]]:
        """(nonce, data id) of the index on disk, from a short read; (b"", b"") when that is
        unreadable (a full read says why); None when there is no index."""
        try:
            with open(self._index_path, "rb") as f:
                head = f.read(_INDEX_HEADER_SIZE)
        except FileNotFoundError:
            return None
        if len(head) < _INDEX_HEADER_SIZE:
            return b"", b""
        _, nonce, data_id, _ = _INDEX_REST.unpack_from(head, _INDEX_HEAD.size)
        return nonce, data_id

    def _index_nonce(self) -> Optional[bytes]:
        head = self._index_head()
        return None if head is None else head[0]

    def _open_map(self, index: _Index) -> Optional[mmap.mmap]:
        """Map the data file ``index`` names, checked against it; None if that file has been
        replaced since the index was read (a compaction: read the index again)."""
        data_path = self._data_path(index.data_id)
        try:
            f = open(data_path, "rb")
        except FileNotFoundError:
            if self._index_nonce() != index.nonce:
                return None
            raise _corrupt(data_path, "is missing, but the index points at it") from None
        with f:
            head = f.read(_DATA_HEAD.size)
            size = os.fstat(f.fileno()).st_size
            if len(head) < _DATA_HEAD.size:
                raise _corrupt(data_path, f"is truncated ({size} bytes)")
            magic, version, data_id = _DATA_HEAD.unpack(head)
            if magic != _DATA_MAGIC:
                raise _corrupt(data_path, "is not a fastaug decoded-cache data file (bad magic bytes)")
            if version != FORMAT_VERSION:
                raise _corrupt(data_path, f"has format version {version}; this fastaug reads "
                                          f"version {FORMAT_VERSION}")
            if data_id != index.data_id:
                raise _corrupt(data_path, "does not belong to its index (data id mismatch)")
            # Checked before mapping: touching a mapped page past the end of the file is SIGBUS.
            if size < index.data_size:
                raise _corrupt(data_path, f"is truncated ({size} bytes; the index needs {index.data_size})")
            return mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)

    def _load(self) -> bool:
        """Read the index (and map its data) if it changed on disk; True if it did."""
        start = time.monotonic()
        try:
            return self._load_once()
        finally:
            now = time.monotonic()
            self._next_auto_load = now + 9 * (now - start)

    def _load_once(self) -> bool:
        for _ in range(8):  # a compaction between reading the index and mapping: read again
            index = self._read_index()
            if index is None:
                changed = self._index is not None
                self._set_index(None, None)
                return changed
            if self._index is not None and index.nonce == self._index.nonce:
                return False
            mm = self._open_map(index) if index.entries else None
            if mm is None and index.entries:
                continue
            self._set_index(index, mm)
            return True
        raise OSError(errno.EAGAIN, "decoded cache index keeps changing while being read", self._path)

    def _set_index(self, index: Optional[_Index], mm: Optional[mmap.mmap]) -> None:
        new_id = index.data_id if index is not None else None
        if self._pending and (self._index is None or new_id != self._index.data_id):
            if self._index is not None:  # with no index before, pending went into the new file
                warnings.warn(f"decoded cache {self._path!r}: another process compacted the cache; "
                              f"{len(self._pending)} uncommitted entries are dropped (they will "
                              f"be decoded again)", RuntimeWarning, stacklevel=4)
                self._pending.clear()
        self._index = index
        if mm is not None or new_id != self._map_id:
            self._release_map()
            self._map, self._map_id = mm, (new_id if mm is not None else None)

    def _release_map(self, close: bool = False) -> None:
        # Dropped, not closed: another thread may be about to view it; the map is unmapped
        # when the last reference (ours, a thread's, a returned view's) goes.
        if self._map is not None:
            if close:
                try:
                    self._map.close()
                except BufferError:  # views returned by lookup are alive: they keep it mapped
                    pass
            self._map = None
            self._map_id = None

    def refresh(self) -> bool:
        """Re-read the index if another instance committed since; True if it changed.

        :meth:`lookup` does this by itself on a miss or a stale entry.
        """
        with self._mutex:
            self._check_open()
            return self._load()

    def _view(self, key: Key, entry: Entry) -> Optional[np.ndarray]:
        offset, dtype, shape, nbytes = entry[2], entry[3], entry[4], entry[6]
        mm = self._map
        if mm is None or offset + nbytes > len(mm):
            with self._mutex:
                mm = self._remap(offset + nbytes)
            if mm is None:
                return None
        view = np.frombuffer(mm, dtype, nbytes // dtype.itemsize, offset).reshape(shape)
        if self._checked is not None and (key, entry) not in self._checked:
            if zlib.crc32(view.data) != entry[5]:
                raise _corrupt(self._data_path(self._map_id or b""),
                               f"holds corrupted pixels for {key[0]!r} ({key[1]!r}): CRC-32 mismatch")
            self._checked.add((key, entry))
        return view

    def _remap(self, end: int) -> Optional[mmap.mmap]:
        """A map covering ``end`` bytes of the current data file (it has grown)."""
        index = self._index
        if index is None:
            return None
        if self._map is not None and self._map_id == index.data_id and end <= len(self._map):
            return self._map  # another thread remapped
        mm = self._open_map(index)
        if mm is None:  # compacted meanwhile
            self._load()
            return None
        if end > len(mm):
            mm.close()
            raise _corrupt(self._data_path(index.data_id), f"is shorter ({len(mm)} bytes) than an entry needs ({end})")
        self._release_map()
        self._map, self._map_id = mm, index.data_id
        return mm

    def _find(self, key: Key) -> Optional[Entry]:
        entry = self._pending.get(key)
        if entry is None and self._index is not None:
            entry = self._index.entries.get(key)
        return entry

    def lookup(self, source, variant: str) -> Optional[np.ndarray]:
        """The pixels stored for ``source`` under ``variant``: a read-only view of the memory
        map (no copy), or ``None`` when absent, stale (the source's mtime or size changed since
        it was stored) or the source is missing."""
        if self._closed:
            self._check_open()
        key = (_source_key(source), _variant_arg(variant))
        entry = self._find(key)
        if entry is None:
            # A miss: another process may have committed it (the check is a 56-byte read).
            if not self._maybe_reload():
                return None
            entry = self._find(key)
            if entry is None:
                return None
        try:
            st = os.stat(key[0])
        except (OSError, ValueError):  # missing, unreadable or an unusable path: stale
            return None
        if st.st_mtime_ns != entry[0] or st.st_size != entry[1]:
            if not self._maybe_reload():
                return None
            entry = self._find(key)
            if entry is None or st.st_mtime_ns != entry[0] or st.st_size != entry[1]:
                return None
        view = self._view(key, entry)
        if view is None:  # the data file was compacted away: look again in the new index
            entry = self._find(key)
            if entry is None or st.st_mtime_ns != entry[0] or st.st_size != entry[1]:
                return None
            view = self._view(key, entry)
        return view

    def _maybe_reload(self) -> bool:
        # Automatic re-reads cost a full parse of the index each: at most ~10% of the time
        # (a reader missing while writers commit would otherwise parse it once per commit).
        if time.monotonic() < self._next_auto_load:
            return False
        nonce = self._index_nonce()
        if nonce == (self._index.nonce if self._index is not None else None):
            return False
        with self._mutex:
            return self._load()

    # ------------------------------------------------------------------ writing
    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"decoded cache {self._path!r} is closed")

    def _check_writable(self, action: str) -> None:
        self._check_open()
        if self._readonly:
            raise io.UnsupportedOperation(f"decoded cache {self._path!r} was opened with readonly=True "
                                          f"and cannot {action}; open it without readonly to write")
        if os.getpid() != self._pid:  # a forked child: its own descriptors, none of the parent's work
            for fd in (self._lock_fd, self._data_fd):
                if fd is not None:
                    os.close(fd)  # flock: the parent's descriptor keeps any lock it holds
            self._lock_fd = self._data_fd = self._data_fd_id = None
            self._pending = {}
            self._pid = os.getpid()

    def _lock(self):
        return _FileLock(self)

    def _lock_file_fd(self) -> int:
        if self._lock_fd is None:
            self._lock_fd = os.open(os.path.join(self._path, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
        return self._lock_fd

    def _disk_error(self, exc: OSError, needed: int, what: str) -> OSError:
        if exc.errno not in _DISK_FULL:
            return exc
        try:
            free = f"{shutil.disk_usage(self._path).free} bytes free"
        except OSError:
            free = "free space unknown"
        return OSError(exc.errno, f"decoded cache {self._path!r}: the disk is full ({exc.strerror}); "
                                  f"{what} needed {needed} bytes ({free}); entries committed "
                                  f"before are intact", self._path)

    def _current_data_fd(self, reload: bool) -> Tuple[int, bytes]:
        """Under the write lock: the data file the index on disk names, open for appending
        (creating the cache's first index and data file if there is none). The index is read
        again if it changed and ``reload`` (a commit merges into it), or if it names another
        data file; a store needs only the header, so stores stay cheap however big it is."""
        head = self._index_head()
        if head is None or self._index is None or (
                head[0] != self._index.nonce and (reload or head[1] != self._index.data_id)):
            self._load()
        if self._index is None:
            data_id = secrets.token_bytes(16)
            self._create_data_file(data_id)
            self._write_index({}, data_id, _DATA_START)
        assert self._index is not None
        if self._data_fd_id != self._index.data_id:
            self._close_data_fd()
            self._data_fd = os.open(self._data_path(self._index.data_id), os.O_RDWR | getattr(os, "O_BINARY", 0))
            self._data_fd_id = self._index.data_id
        assert self._data_fd is not None
        return self._data_fd, self._index.data_id

    def _create_data_file(self, data_id: bytes) -> str:
        data_path = self._data_path(data_id)
        fd = os.open(data_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            _write_all(fd, _DATA_HEAD.pack(_DATA_MAGIC, FORMAT_VERSION, data_id).ljust(_DATA_START, b"\0"), 0)
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            os.unlink(data_path)
            raise self._disk_error(exc, _DATA_START, "creating the data file") from exc
        os.close(fd)
        return data_path

    def _close_data_fd(self) -> None:
        if self._data_fd is not None:
            os.close(self._data_fd)
        self._data_fd = self._data_fd_id = None

    def store(self, source, variant: str, pixels: np.ndarray, *, stat: Optional[os.stat_result] = None) -> None:
        """Add (or replace) the pixels of ``source`` under ``variant`` (copied in).

        Args:
            source: the image file's path; only stat'ed, never opened or written.
            variant: the decode settings the pixels were made with.
            pixels: uint8 or float32, (H, W) or (H, W, C); any strides.
            stat: ``os.stat(source)`` taken *before* decoding, so a file changed while it was
                being decoded is seen as stale; default: stat it now.

        The entry is visible to this instance at once and to others after :meth:`commit`.
        """
        with self._mutex:
            self._check_writable("store")
            key = (_source_key(source), _variant_arg(variant))
            array = _pixels_arg(pixels)
            st = os.stat(key[0]) if stat is None else _stat_arg(stat)
            if _inside(key[0], self._path):
                raise ValueError(f"source must be outside the cache directory {self._path!r}, got {key[0]!r}")
            dtype_name = "uint8" if array.dtype == np.uint8 else "float32"
            crc = zlib.crc32(array.data)
            with self._lock():
                fd, _ = self._current_data_fd(reload=False)
                end = os.fstat(fd).st_size
                offset = _align(max(end, _DATA_START))
                try:
                    _write_all(fd, array, offset)
                except OSError as exc:
                    try:  # give the space back: nobody else can have written past `end`
                        os.ftruncate(fd, end)
                    except OSError:
                        pass
                    raise self._disk_error(exc, array.nbytes, f"storing {key[0]!r}") from exc
            self._pending[key] = (st.st_mtime_ns, st.st_size, offset, _DTYPES[dtype_name],
                                  array.shape, crc, array.nbytes)

    def commit(self) -> None:
        """Make this instance's stored entries durable and visible to every instance that opens
        or refreshes the cache. A crash before it loses them, never more."""
        with self._mutex:
            self._check_writable("commit")
            if not self._pending:
                return
            with self._lock():
                fd, data_id = self._current_data_fd(reload=True)  # may drop pending: see _set_index
                if not self._pending:
                    return
                try:
                    os.fsync(fd)  # the pixels are on disk before an index that points at them
                except OSError as exc:
                    raise self._disk_error(exc, 0, "flushing the data file") from exc
                assert self._index is not None
                entries = dict(self._index.entries)
                entries.update(self._pending)
                data_size = max([self._index.data_size] + [e[2] + e[6] for e in self._pending.values()])
                self._write_index(entries, data_id, data_size)
                # After the switch, so a lookup in another thread finds each entry in one or
                # the other; on a failure above they stay pending, for a later commit.
                self._pending = {}

    def _write_index(self, entries: Dict[Key, Entry], data_id: bytes, data_size: int) -> None:
        """Replace the index atomically (under the write lock) and make it this instance's."""
        items = [[source, variant, e[0], e[1], e[2], "uint8" if e[3] == np.uint8 else "float32", list(e[4]), e[5]]
                 for (source, variant), e in entries.items()]
        body = json.dumps({"entries": items}, separators=(",", ":")).encode("utf-8")
        nonce = secrets.token_bytes(16)
        rest = _INDEX_REST.pack(len(body), nonce, data_id, data_size)
        head = _INDEX_HEAD.pack(_INDEX_MAGIC, FORMAT_VERSION, zlib.crc32(body, zlib.crc32(rest)))
        self._remove_temporaries()
        tmp = os.path.join(self._path, f"{_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            try:
                _write_all(fd, head + rest + body, 0)
                os.fsync(fd)
            finally:
                os.close(fd)
            for attempt in range(100):
                try:
                    os.replace(tmp, self._index_path)
                    break
                except PermissionError:  # Windows: a reader has the index open for a moment
                    if os.name != "nt" or attempt == 99:
                        raise
                    time.sleep(0.01)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(exc, OSError):
                raise self._disk_error(exc, len(head) + len(rest) + len(body), "writing the index") from exc
            raise
        _fsync_dir(self._path)
        self._set_index(_Index(nonce, data_id, data_size, entries), None)

    def _remove_temporaries(self) -> None:
        """Index temporaries left by a crash (under the write lock, so none is in use)."""
        for name in os.listdir(self._path):
            if name.startswith(_TMP_PREFIX):
                try:
                    os.unlink(os.path.join(self._path, name))
                except OSError:
                    pass

    def compact(self) -> int:
        """Rewrite the data file with only the live entries (dropping replaced ones, stale ones
        and bytes a crash left behind); commits first. Returns the bytes reclaimed.

        Readers holding views of the old file keep them (POSIX: the old file is unlinked, its
        map stays valid); on Windows an old file still mapped is left for a later compact().
        """
        with self._mutex:
            self.commit()
            with self._lock():
                self._load()
                if self._index is None:
                    return 0
                old = self._index
                old_path = self._data_path(old.data_id)
                old_size = os.path.getsize(old_path)
                source_map = self._remap(old.data_size) if old.entries else None
                live = []
                for key, e in sorted(old.entries.items(), key=lambda item: item[1][2]):
                    try:
                        st = os.stat(key[0])
                    except (OSError, ValueError):
                        continue
                    if (st.st_mtime_ns, st.st_size) == (e[0], e[1]):
                        live.append((key, e))
                new_id = secrets.token_bytes(16)
                new_path = self._create_data_file(new_id)
                entries: Dict[Key, Entry] = {}
                offset = _DATA_START
                try:
                    fd = os.open(new_path, os.O_RDWR | getattr(os, "O_BINARY", 0))
                    try:
                        for key, e in live:
                            offset = _align(offset)
                            try:
                                _write_all(fd, source_map[e[2]:e[2] + e[6]], offset)  # type: ignore[index]
                            except OSError as exc:
                                raise self._disk_error(exc, e[6], "compacting") from exc
                            entries[key] = (e[0], e[1], offset, e[3], e[4], e[5], e[6])
                            offset += e[6]
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                    self._write_index(entries, new_id, offset)
                except BaseException:
                    os.unlink(new_path)
                    raise
                self._close_data_fd()
                for name in os.listdir(self._path):  # the old file, and any a crash left
                    if name.startswith(_DATA_PREFIX) and name != _DATA_PREFIX + new_id.hex():
                        try:
                            os.unlink(os.path.join(self._path, name))
                        except OSError:  # Windows: still mapped somewhere
                            pass
                return max(0, old_size - offset)

    # ------------------------------------------------------------------ verification
    def verify(self) -> List[Key]:
        """Check every visible entry's pixels against its CRC-32; the keys that fail."""
        with self._mutex:
            self._check_open()
            bad = []
            committed = self._index.entries if self._index is not None else {}
            for key in list(self.keys()):
                entry = self._pending.get(key) or committed[key]
                mm = self._map
                if mm is None or entry[2] + entry[6] > len(mm):
                    mm = self._remap(entry[2] + entry[6])
                if mm is None or zlib.crc32(mm[entry[2]:entry[2] + entry[6]]) != entry[5]:
                    bad.append(key)
            return bad

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Commit what this instance stored (if anything), then release its files. Views
        returned by :meth:`lookup` stay valid."""
        with self._mutex:
            if self._closed:
                return
            try:
                if self._pending and not self._readonly and os.getpid() == self._pid:
                    self.commit()
            finally:
                self._closed = True
                self._release_map(close=True)
                self._close_data_fd()
                if self._lock_fd is not None:
                    os.close(self._lock_fd)
                    self._lock_fd = None

    def __enter__(self) -> "DecodedCache":
        return self

    def __exit__(self, *exc_info) -> None:
        # Commits even after an exception: every stored entry is complete on its own.
        self.close()

    def __del__(self) -> None:
        # No commit here (interpreter shutdown order is unknown): only the descriptors.
        try:
            if not getattr(self, "_closed", True) and getattr(self, "_pid", None) == os.getpid():
                self._closed = True
                for fd in (self._data_fd, self._lock_fd):
                    if fd is not None:
                        os.close(fd)
        except Exception:
            pass


class _FileLock:
    """The cache's exclusive writer lock (held for one store or commit, so writers interleave)."""

    def __init__(self, cache: DecodedCache):
        self._fd = cache._lock_file_fd()

    def __enter__(self) -> None:
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        elif msvcrt is not None:
            os.lseek(self._fd, 0, os.SEEK_SET)
            while True:  # LK_LOCK gives up after 10 s; a writer may legitimately hold it longer
                try:
                    msvcrt.locking(self._fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.001)
        else:
            raise OSError(errno.ENOLCK, "no file locking on this platform (fcntl or msvcrt); "
                                        "decoded cache writers cannot be made safe")

    def __exit__(self, *exc_info) -> None:
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        elif msvcrt is not None:
            os.lseek(self._fd, 0, os.SEEK_SET)
            msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
