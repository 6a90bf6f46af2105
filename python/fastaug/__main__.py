"""The ``fastaug`` command line: ``demo``, ``preview``, ``expand`` and ``study``
(docs/cli.md). Errors are one line on stderr: exit status 2 for a wrong command line or
input, 1 when the work fails, 130 when interrupted."""
from __future__ import annotations

import os
import sys
from typing import List, Optional

from . import __version__
from ._cli import demo, expand, preview, study
from ._cli.demo import sample_image  # noqa: F401 - re-exported (tests, scripts)
from ._cli.options import ArgumentParser, CLIError


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="fastaug", description="Fast image augmentation: preview an augmentation, "
        "expand a dataset on disk, and measure what augmentation buys.",
        epilog="Run 'fastaug COMMAND --help' for a command's options. Exit status: 0 done, "
               "1 the work failed, 2 wrong command line or input, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"fastaug {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_parser = sub.add_parser(
        "demo", help="augment a generated test image and write a labelled PNG grid",
        description="Rotate, zoom, shift, brighten, darken, channel-shift and flip a "
                    "generated test card and write the original and each result in a "
                    "labelled grid (needs only numpy).")
    demo_parser.add_argument("-o", "--output", default="demo.png",
                             help="PNG file to write (default: demo.png)")
    demo_parser.set_defaults(run=lambda args: demo.run(args.output))
    preview.add_parser(sub)
    expand.add_parser(sub)
    study.add_parser(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CLIError as exc:
        message, code = str(exc), exc.code
    except KeyboardInterrupt:
        message, code = "interrupted", 130
    except OSError as exc:
        message, code = f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}", 1
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if os.environ.get("FASTAUG_DEBUG"):
            raise
        message = (f"unexpected {type(exc).__name__}: {exc} (set FASTAUG_DEBUG=1 for a "
                   "traceback)")
        code = 1
    print(f"fastaug {args.command}: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
