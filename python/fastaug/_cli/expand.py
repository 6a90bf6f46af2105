"""``fastaug expand``: write K augmented copies of every image of a class-folder tree.

Copy ``k`` of ``SRC/a/b.jpg`` is ``OUT/a/b_aug{k}.jpg``, same format: the pipeline's Compose
applied as epoch ``k`` of the sample whose index is a stable 32-bit hash of the relative
path, so the result does not depend on the worker count or on what ran before. Characters a file name should not hold (control characters, backslashes) are
written as ``%XX``, and ``%`` itself as ``%25``, so distinct sources never share an output;
on a case-insensitive OUT_DIR, sources whose outputs differ only by case are refused before
anything is written. Each file is written under a temporary name of its own in its folder
and renamed into place, so an interrupted run leaves only whole files; running the command
again decodes each existing copy and skips it only if it is a whole image.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from .images import IMAGE_EXTENSIONS, load_image, pillow, save_image
from .options import (CLIError, add_augmentation_options, positive_int, progress_module,
                      seed_value, stable_seed)
from .pipeline import augment, pipeline_from_args

MANIFEST = ".fastaug-expand.json"
TEMP_SUFFIX = ".fastaug-tmp"
_SHOWN_PROBLEMS = 10


def add_parser(sub) -> None:
    p = sub.add_parser(
        "expand", help="write augmented copies of a class-folder image tree",
        description="Write COPIES augmented copies of every image under SRC_DIR into OUT_DIR, "
                    "keeping the folder layout and file formats: SRC_DIR/cat/x.jpg gives "
                    "OUT_DIR/cat/x_aug0.jpg ... x_aug{COPIES-1}.jpg. Deterministic for a seed "
                    "whatever --workers; interrupted runs resume where they stopped. Exit "
                    "status: 0 when every copy of every image is in OUT_DIR, 1 when a source "
                    "could not be read (unless --skip-unreadable) or a copy could not be "
                    "written, 2 for bad arguments, 130 when interrupted.",
        epilog="Images are read with Pillow as 8-bit gray, RGB or RGBA (EXIF rotation "
               "applied), except 16-bit and float grayscale images, which keep their depth "
               "(the augmentation options use a 0..255 scale on every depth). JPEG (camera "
               "MPO files included: their first image) and WebP copies are written at "
               "quality 95; of an animated or multi-page file only the first frame is used "
               "(with a warning). Hidden files and folders are skipped; symbolic links to "
               "folders are not followed.")
    p.add_argument("src", metavar="SRC_DIR", help="folder of images (class subfolders)")
    p.add_argument("out", metavar="OUT_DIR",
                   help="folder to write to (created; must not overlap SRC_DIR)")
    p.add_argument("--copies", type=positive_int, default=5, metavar="K",
                   help="augmented copies per image (default: 5)")
    p.add_argument("--seed", type=seed_value, default=None,
                   help="the pipeline's seed (default: the Compose config's, else 0); "
                        "resuming needs the same one")
    p.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1, metavar="N",
                   help="threads decoding, augmenting and encoding (default: one per core)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only when stdout is a terminal)")
    p.add_argument("--skip-unreadable", action="store_true",
                   help="exit 0 even when some source files cannot be read (they are still "
                        "reported)")
    add_augmentation_options(p)
    p.set_defaults(run=run)


@dataclass
class Job:
    """One source image and its copies: those to write, and those on disk from an earlier
    run (checked before they are skipped)."""
    rel: str                   # path under SRC_DIR, '/'-separated (part of the seed key)
    src: str
    targets: List[Tuple[int, str, bool]]  # (copy index, output path, exists already)


@dataclass
class Outcome:
    rel: str
    planned: int
    written: int = 0
    kept: int = 0              # copies from an earlier run that decoded whole
    replaced: int = 0          # copies from an earlier run that did not, written again
    unreadable: Optional[str] = None
    frames: int = 1
    write_errors: List[str] = field(default_factory=list)


def run(args: argparse.Namespace) -> int:
    pipeline = pipeline_from_args(args)
    src, out = _check_dirs(args.src, args.out)
    pillow()  # fail now, not as every file "unreadable", when Pillow is missing
    bar_module = progress_module(args.progress)

    sources = sorted(_scan(src))
    if not sources:
        raise CLIError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in {args.src}")
    targets = _targets(out, sources, args.copies)
    _check_collisions(out, targets)
    folders = sorted({os.path.dirname(t) for ts in targets.values() for _, t in ts})
    for folder in folders:  # every folder checked before any is created
        _check_inside(folder, out)
    _check_manifest(out, {"source": src, "pipeline": pipeline.settings()})
    for folder in folders:
        _prepare_folder(folder, out)
    jobs = [Job(rel, os.path.join(src, *rel.split("/")),
                [(k, t, os.path.lexists(t)) for k, t in targets[rel]]) for rel in sources]
    existing = sum(e for j in jobs for _, _, e in j.targets)
    total = len(sources) * args.copies
    print(f"expand: {len(sources)} images x {args.copies} copies ({pipeline.summary}, "
          f"seed {pipeline.compose.seed}); {existing} already in OUT_DIR (each checked before it is "
          f"skipped), {total - existing} to write", flush=True)

    start = time.perf_counter()
    outcomes: List[Outcome] = []
    bar = (bar_module.tqdm(total=total, unit="copy", file=sys.stdout, smoothing=0.1)
           if bar_module else None)
    try:
        for outcome in _run_jobs(pipeline.compose, jobs, args.workers):
            outcomes.append(outcome)
            if bar is not None:
                bar.update(outcome.planned)
    except KeyboardInterrupt:
        raise CLIError("interrupted; the copies written so far are kept: run the same "
                       "command again to finish", code=130) from None
    finally:
        if bar is not None:
            bar.close()
    return _report(outcomes, time.perf_counter() - start, args.out, args.skip_unreadable)


def _check_dirs(src_arg: str, out_arg: str) -> Tuple[str, str]:
    """Real (symlink-free) paths of SRC_DIR and OUT_DIR, which must not contain each other."""
    if not os.path.isdir(src_arg):
        raise CLIError(f"SRC_DIR is not a folder: {src_arg}", code=2)
    src, out = os.path.realpath(src_arg), os.path.realpath(out_arg)
    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"OUT_DIR exists and is not a folder: {out_arg}", code=2)
    if _inside(out, src) or _inside(src, out):
        raise CLIError(f"OUT_DIR ({out_arg}) and SRC_DIR ({src_arg}) must not contain each "
                       "other", code=2)
    return src, out


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _scan(src: str) -> Iterator[str]:
    """Image files under ``src``, as '/'-separated relative paths; hidden entries skipped."""
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS):
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    yield os.path.relpath(path, src).replace(os.sep, "/")


def _safe(name: str) -> str:
    """A file or folder name with control characters, backslashes and DEL written as %XX,
    and % as %25: injective, so distinct names stay distinct."""
    return "".join(f"%{ord(ch):02X}" if ord(ch) < 32 or ch in "\\\x7f%" else ch
                   for ch in name)


def output_name(rel: str, copy: int) -> str:
    """Copy ``copy``'s path under OUT_DIR, '/'-separated."""
    parts = [_safe(p) for p in rel.split("/")]
    stem, ext = os.path.splitext(parts[-1])
    parts[-1] = f"{stem}_aug{copy}{ext}"
    return "/".join(parts)


def _targets(out: str, sources: List[str], copies: int) -> Dict[str, List[Tuple[int, str]]]:
    return {rel: [(k, os.path.join(out, *output_name(rel, k).split("/")))
                  for k in range(copies)] for rel in sources}


def _case_insensitive(folder: str) -> bool:
    """Whether names in ``folder`` (or the nearest existing folder above it) are compared
    without case, as on macOS and Windows by default."""
    while not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".fastaug-case-probe-")
    except OSError:
        return False  # not writable: creating OUT_DIR fails next, with its own message
    os.close(fd)
    try:
        head, name = os.path.split(probe)
        return os.path.exists(os.path.join(head, name.upper()))
    finally:
        os.remove(probe)


def _check_collisions(out: str, targets: Dict[str, List[Tuple[int, str]]]) -> None:
    """Refuses, before anything is written, sources whose copies would land on one file."""
    fold = _case_insensitive(out)
    owner: Dict[str, str] = {}
    clashes = []
    for rel, copies in targets.items():
        for _, target in copies[:1]:  # copy k of two sources clash for every k alike
            key = unicodedata.normalize("NFC", target).casefold() if fold else target
            if key in owner:
                clashes.append(f"{owner[key]!r} and {rel!r}")
            else:
                owner[key] = rel
    if clashes:
        shown = "; ".join(clashes[:_SHOWN_PROBLEMS])
        raise CLIError(f"these sources would write the same output files in OUT_DIR, whose "
                       f"file names ignore case: {shown}; rename one of each pair", code=2)


def _check_inside(folder: str, out: str) -> None:
    """``folder`` (which need not exist yet) must resolve inside OUT_DIR: a symbolic link on
    the way must not lead elsewhere. Checked before anything is created."""
    if not _inside(os.path.realpath(folder), out):
        raise CLIError(f"{folder} leads outside OUT_DIR (a symbolic link?); refusing to write")


def _prepare_folder(folder: str, out: str) -> None:
    """Creates ``folder`` and removes temporary files an earlier run left in it."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create {folder}: {exc.strerror or exc}") from None
    _check_inside(folder, out)  # a link made meanwhile
    for name in os.listdir(folder):
        if name.startswith(".") and name.endswith(TEMP_SUFFIX):
            os.remove(os.path.join(folder, name))


def _check_manifest(out: str, settings: dict) -> None:
    """OUT_DIR remembers the settings its copies were made with; resuming with others would
    mix two augmentations in one dataset."""
    path = os.path.join(out, MANIFEST)
    settings = json.loads(json.dumps(settings))
    try:
        with open(path, encoding="utf-8") as f:
            previous = json.load(f)
    except FileNotFoundError:
        previous = None
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read {path}: {exc}") from None
    if previous is not None:
        if previous != settings:
            changes = "; ".join(_differences(previous, settings)) or json.dumps(previous)
            raise CLIError(f"{out} holds copies made with other settings ({changes}; see "
                           f"{path}); use another OUT_DIR, or the same settings to resume",
                           code=2)
        return
    os.makedirs(out, exist_ok=True)
    _write_atomically(path, lambda tmp: _dump_json(settings, tmp))


_MISSING = object()


def _differences(before: dict, now: dict) -> List[str]:
    """``name: old before, new now`` for every setting that differs: the pipeline's seed and
    each transform's arguments as ``Type.argument`` ("absent" where one side has no such
    transform)."""
    def flat(settings):
        settings = dict(settings) if isinstance(settings, dict) else {}
        pipeline = settings.pop("pipeline", {})
        if not isinstance(pipeline, dict):
            return settings
        transforms = pipeline.get("transforms", [])
        settings.update({k: v for k, v in pipeline.items() if k != "transforms"})
        counts: Dict[str, int] = {}
        for entry in transforms if isinstance(transforms, list) else []:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("type"))
            counts[name] = counts.get(name, 0) + 1
            label = name if counts[name] == 1 else f"{name}#{counts[name]}"
            settings.update({f"{label}.{k}": v for k, v in entry.items() if k != "type"})
        return settings

    old, new = flat(before), flat(now)
    return [f"{key}: {json.dumps(old[key]) if key in old else 'absent'} before, "
            f"{json.dumps(new[key]) if key in new else 'absent'} now"
            for key in sorted(set(old) | set(new))
            if old.get(key, _MISSING) != new.get(key, _MISSING)]


def _dump_json(data, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def _write_atomically(target: str, write) -> None:
    """``write(tmp)`` to a temporary file of its own next to ``target`` (unique per call,
    so concurrent tasks never share one), then renamed over ``target``."""
    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _whole_image(path: str) -> bool:
    """Whether ``path`` is a regular file (not a link) that decodes completely."""
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    Image = pillow()
    try:
        with Image.open(path) as img:
            img.load()
    except Exception:  # noqa: BLE001 - any decoder failure means "not whole"
        return False
    return True


def _run_jobs(compose, jobs: List[Job], workers: int) -> Iterator[Outcome]:
    """Outcomes as jobs finish; at most ``2 * workers`` jobs are queued at once. On an
    interrupt, queued jobs are dropped and running ones stop after their current file."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastaug-expand")
    stop = threading.Event()
    running = set()
    todo = iter(jobs)
    try:
        while True:
            for job in todo:
                running.add(pool.submit(_do_job, compose, job, stop))
                if len(running) >= 2 * workers:
                    break
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _do_job(compose, job: Job, stop: threading.Event) -> Outcome:
    outcome = Outcome(job.rel, len(job.targets))
    todo = []
    for k, target, existed in job.targets:
        if existed and _whole_image(target):
            outcome.kept += 1
        else:
            todo.append((k, target, existed))
    if not todo:
        return outcome
    try:
        loaded = load_image(job.src)
    except Exception as exc:  # noqa: BLE001 - any decoder failure means "unreadable"
        outcome.unreadable = f"{type(exc).__name__}: {exc}"
        return outcome
    if loaded.format != "MPO":  # an MPO's extra images are the camera's, not frames
        outcome.frames = loaded.frames
    for k, target, existed in todo:
        if stop.is_set():
            break
        copy = augment(compose, loaded.pixels, stable_seed(job.rel), k)
        try:
            _write_atomically(target, lambda tmp: save_image(copy, tmp, loaded.format))
        except (OSError, ValueError) as exc:
            outcome.write_errors.append(f"{target}: {exc}")
            continue
        outcome.written += 1
        outcome.replaced += existed
    return outcome


def _report(outcomes: List[Outcome], seconds: float, out_arg: str,
            skip_unreadable: bool) -> int:
    written = sum(o.written for o in outcomes)
    kept = sum(o.kept for o in outcomes)
    replaced = sum(o.replaced for o in outcomes)
    unreadable = [o for o in outcomes if o.unreadable]
    write_errors = [e for o in outcomes for e in o.write_errors]
    rate = written / seconds if seconds > 0 else 0.0
    notes = ""
    if replaced:
        notes += f" ({replaced} of them replacing damaged copies)"
    if unreadable:
        lost = sum(o.planned - o.kept for o in unreadable)
        notes += (f"; {len(unreadable)} unreadable source(s), so {lost} copies were not "
                  "written")
    print(f"expand: wrote {written} copies to {out_arg} in {seconds:.1f} s ({rate:.0f} "
          f"copies/s){notes}; {kept} were already there")
    multi = [f"{o.rel} ({o.frames} frames)" for o in outcomes if o.frames > 1]
    if multi:
        print(f"fastaug expand: warning: only the first frame of each of these was augmented "
              f"(the copies are single images): {_shown(multi)}", file=sys.stderr)
    for title, problems in (
            ("unreadable file(s) skipped", [f"{o.rel} ({o.unreadable})" for o in unreadable]),
            ("copies could not be written", write_errors)):
        if problems:
            print(f"fastaug expand: {len(problems)} {title}: {_shown(problems)}",
                  file=sys.stderr)
    if write_errors or written + kept == 0 or (unreadable and not skip_unreadable):
        if unreadable and not skip_unreadable and not write_errors and written + kept:
            print("fastaug expand: exit status 1 for the unreadable file(s); "
                  "--skip-unreadable accepts them", file=sys.stderr)
        return 1
    return 0


def _shown(problems: List[str]) -> str:
    more = (f"; and {len(problems) - _SHOWN_PROBLEMS} more"
            if len(problems) > _SHOWN_PROBLEMS else "")
    return "; ".join(problems[:_SHOWN_PROBLEMS]) + more
