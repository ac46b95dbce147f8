"""The ``unspin`` command: a thin wrapper over the library calls."""

from __future__ import annotations

import argparse
import codecs
import json
import os
import sys
from collections.abc import Iterator
from typing import TextIO

from . import text
from .resources import ResourceError
from .spin import STYLES

EXIT_BAD_INPUT = 2
_BLOCK = 1 << 16


def read_paragraphs(path: str, encoding: str) -> Iterator[str]:
    """Stream ``path`` (or stdin) as paragraphs whose concatenation is the whole text.

    A file is checked for binary content and decoding errors *before* any
    output is written, so bad input never leaves half an output behind.
    Standard input can't be re-read, so it is held in memory instead.
    """
    name = "<stdin>" if path == "-" else path
    if path == "-":
        yield from _split_paragraphs(iter([text.decode_bytes(sys.stdin.buffer.read(), encoding, name)]))
        return
    _check_file(path, encoding)
    with open(path, encoding=encoding, newline="") as f:
        yield from _split_paragraphs(iter(lambda: f.read(_BLOCK), ""))


def _check_file(path: str, encoding: str) -> None:
    """Read the file once without keeping it: refuse binary data and bad encodings up front."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise text.InputError(f"unknown encoding: {encoding}") from None
    with open(path, "rb") as f:
        head = f.read(_BLOCK)
        text.check_not_binary(head, path)
        block = head
        try:
            while block:
                decoder.decode(block)
                block = f.read(_BLOCK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:
            raise text.InputError(f"{path}: not valid {encoding} ({e.reason}); pass --encoding") from None


def _split_paragraphs(blocks: Iterator[str]) -> Iterator[str]:
    buf = ""
    for block in blocks:
        buf += block
        pieces = [p for _, p in text.paragraphs(buf)]
        # The last piece may continue in the next block.
        yield from pieces[:-1]
        buf = pieces[-1] if pieces else ""
    if buf:
        yield buf


def cmd_restore(args) -> int:
    from .render import DiffRenderer, JsonRenderer, TextRenderer
    from .restore import DocumentEvidence, make_restorer

    paragraphs = read_paragraphs(args.file, args.encoding)
    first = next(paragraphs, None)  # validates the input before loading models
    if first is None:
        return 0
    restorer = make_restorer(fast=args.fast)
    out: TextIO = sys.stdout
    renderer = {"text": TextRenderer, "json": JsonRenderer, "diff": DiffRenderer}[args.format](
        out, color=_color(args)
    )
    evidence = DocumentEvidence()  # one document: the spin-rate estimate spans its paragraphs
    for offset, para, spans in restorer.paragraphs_spans(_offsets(_chain(first, paragraphs)), evidence):
        renderer.paragraph(para, offset, spans)
    renderer.close()
    return 0


def _offsets(paragraphs: Iterator[str]) -> Iterator[tuple[int, str]]:
    offset = 0
    for para in paragraphs:
        yield offset, para
        offset += len(para)


def _chain(first, rest):
    yield first
    yield from rest


def _color(args) -> bool:
    if args.color == "auto":
        return sys.stdout.isatty()
    return args.color == "always"


def cmd_spin(args) -> int:
    from .spin import Spinner

    source = "".join(read_paragraphs(args.file, args.encoding))
    if not source:
        return 0
    spinner = Spinner()
    docs = [source] if args.format == "text" else [d for d in source.split("\n") if d.strip()]
    for k, doc in enumerate(docs):
        result = spinner.spin(
            doc, rate=args.rate, seed=args.seed + k, style=args.style, protect_entities=args.protect_entities
        )
        if args.format == "text":
            sys.stdout.write(result.spun)
        else:
            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    return 0


def _inputs(paths: list[str]) -> list[str]:
    """Files named, with directories expanded to the files under them (sorted)."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, files in sorted(os.walk(path)):
                out += [os.path.join(root, f) for f in sorted(files) if not f.startswith(".")]
        else:
            out.append(path)
    return out


def cmd_check(args) -> int:
    from .render import check_html, check_line, check_text

    paths = _inputs(args.files)
    if args.phrases:
        return _check_phrases(paths, args)
    detector = None
    status, flagged, judged = 0, 0, 0
    results = []
    show_progress = len(paths) > 1 and sys.stderr.isatty()
    for k, path in enumerate(paths):
        if show_progress:
            print(f"\r[{k + 1}/{len(paths)}] {path[-50:]:<50}", end="", file=sys.stderr, flush=True)
        try:
            source = "".join(read_paragraphs(path, args.encoding))
        except (text.InputError, FileNotFoundError, IsADirectoryError) as e:
            msg = e if isinstance(e, text.InputError) else f"{path}: cannot read"
            print(f"{'' if not show_progress else chr(10)}unspin: {msg}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        detector = detector or _detector(args)
        result = detector.check(source)
        judged += 1
        flagged += result.verdict == "spun"
        if args.fail_above is not None and (result.probability or 0.0) > args.fail_above:
            status = max(status, 1)
        name = "<stdin>" if path == "-" else path
        if args.format == "jsonl":
            sys.stdout.write(json.dumps({"file": name, **result.to_dict()}, ensure_ascii=False) + "\n")
        elif args.format == "json":
            results.append({"file": name, **result.to_dict()})
        elif args.format == "html":
            results.append((name, source, result))
        elif len(paths) > 1:
            sys.stdout.write(check_line(name, result) + "\n")
        else:
            sys.stdout.write(check_text(source, result, color=_color(args)))
    if show_progress:
        print("", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(
            json.dumps(results if len(paths) > 1 else (results or [None])[0], ensure_ascii=False, indent=1)
        )
        sys.stdout.write("\n")
    elif args.format == "html":
        sys.stdout.write(check_html(results))
    elif len(paths) > 1 and args.format == "text":
        sys.stdout.write(f"{judged} documents checked, {flagged} judged spun\n")
    return status


def _term_flagger(args):
    """The neural restorer whose known-term flags ``check --phrases`` adds (``check.term_flags``):
    unless ``--fast``, where it is installed; ``--neural`` insists on it (an error if missing)."""
    from .restore import default_restorer, neural_restorer

    if args.fast:
        return None
    restorer = neural_restorer() if args.neural else default_restorer()
    return restorer if restorer.neural is not None else None


def _detector(args):
    """The screen and, unless ``--fast``, the neural restorer as confirmer where it is
    installed (check.default_detector); ``--neural`` insists on it (an error if missing)."""
    from .check import Detector, default_detector
    from .restore import neural_restorer

    if args.neural and not args.fast:
        return Detector(confirmer=neural_restorer())
    return default_detector(args.fast)


def _check_phrases(paths: list[str], args) -> int:
    from dataclasses import asdict

    from .check import discover_phrases

    status, docs = 0, []
    for path in paths:
        try:
            docs.append(("<stdin>" if path == "-" else path, "".join(read_paragraphs(path, args.encoding))))
        except (text.InputError, FileNotFoundError, IsADirectoryError) as e:
            print(
                f"unspin: {e if isinstance(e, text.InputError) else path + ': cannot read'}", file=sys.stderr
            )
            status = EXIT_BAD_INPUT
    for f in discover_phrases(docs, terms=_term_flagger(args)):
        if args.format in ("json", "jsonl"):
            sys.stdout.write(json.dumps(asdict(f), ensure_ascii=False) + "\n")
        else:
            where = ", ".join(f"{n}:{a}" for n, a, _ in f.occurrences)
            how = f"confidence {f.mean_confidence:.2f}" if f.restored else "flagged"
            if f.known_term_lead is not None:
                how += f", known term by {f.known_term_lead:.1f} nats"
            found = f"{f.count}× in {f.documents} document(s)"
            sys.stdout.write(f"{f.phrase!r} → {f.likely_original!r}\t{found}\t{how}\t{where}\n")
    return status


def cmd_bench(args) -> int:
    from .bench.run import main as bench_main

    return bench_main(args)


def cmd_build(args) -> int:
    from . import lexicon

    path = lexicon.default_path()
    if path.exists() and not args.force:
        print(f"lexicon already built: {path} (--force rebuilds it)")
        return 0
    lexicon.build(path, verbose=True)
    return 0


def cmd_serve(args) -> int:
    from .server import serve

    if args.fast:  # every worker process inherits it (see restore.default_restorer)
        os.environ["UNSPIN_FAST"] = "1"

    serve(args.host, args.port, args.workers, args.max_body)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unspin", description="Detect and undo machine-spun text, offline.")
    sub = p.add_subparsers(dest="command", required=True)

    def add_input(q):
        q.add_argument("file", nargs="?", default="-", help="input file, or - for standard input")
        q.add_argument("--encoding", default="utf-8", help="input encoding (default utf-8)")

    r = sub.add_parser("restore", help="print the most likely original wording")
    add_input(r)
    r.add_argument("--format", choices=["text", "json", "diff"], default="text")
    r.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    r.add_argument(
        "--fast", action="store_true",
        help="skip the neural re-scorer even when unspin[neural] is installed (~50x faster, less exact)",
    )  # fmt: skip
    r.set_defaults(func=cmd_restore)

    s = sub.add_parser("spin", help="rewrite text the way article spinners do")
    add_input(s)
    s.add_argument("--rate", type=float, default=0.3, help="share of eligible words to swap")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--style", choices=STYLES, default="mixed")
    s.add_argument("--protect-entities", action="store_true", help="leave capitalised names alone")
    s.add_argument(
        "--format", choices=["text", "jsonl"], default="text",
        help="jsonl: one record per input line (document) with original, spun and gold edits",
    )  # fmt: skip
    s.set_defaults(func=cmd_spin)

    k = sub.add_parser("check", help="say whether texts were spun, and where")
    k.add_argument("files", nargs="*", default=["-"], help="files or directories; - for standard input")
    k.add_argument("--encoding", default="utf-8")
    k.add_argument("--format", choices=["text", "json", "jsonl", "html"], default="text")
    k.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    k.add_argument(
        "--fail-above", type=float, metavar="P", help="exit 1 if any document's probability exceeds P"
    )
    k.add_argument(
        "--fast", action="store_true",
        help="screen only, even with unspin[neural] installed (~30x faster, misses more lightly spun text)",
    )  # fmt: skip
    k.add_argument(
        "--neural", action="store_true",
        help="insist on judging uncertain texts again with the neural restorer (the default when installed)",
    )  # fmt: skip
    k.add_argument(
        "--phrases", action="store_true",
        help="rank multiword phrases across the files that look like spinner output, with likely originals",
    )  # fmt: skip
    k.set_defaults(func=cmd_check)

    b = sub.add_parser("bench", help="measure restoration accuracy and speed")
    b.add_argument("--quick", action="store_true", help="small subset for CI (under a minute)")
    b.add_argument("--suites", help="comma-separated, of clean,own,nlpaug,detection,speed (default: all); "
                   "with --pairs, of restore,detection (default: restore)")
    b.add_argument(
        "--pairs", action="append", metavar="FILE",
        help="measure on another spinner's output instead: JSON Lines of "
        '{"original": ..., "spun": ..., "rate": ...} pairs (repeatable)',
    )  # fmt: skip
    b.add_argument("--rates", default="0.1,0.3,0.5")
    b.add_argument("--styles", help="our spinner styles, comma-separated, of the own suite (default: all of "
                   "them) and of the detection suite (default: mixed)")
    b.add_argument("--words", type=int, default=0, help="words of clean text per suite")
    b.add_argument("--split", choices=["dev", "test"], default="test")
    b.add_argument(
        "--unit", choices=["document", "paragraph", "sentence"], default="document",
        help="restore each document whole (the default), or each of its paragraphs or sentences as a "
        "text of its own, as a user who pastes one does",
    )  # fmt: skip
    b.add_argument("--json", help="also write the results as JSON to this file")
    b.add_argument(
        "--neural", action="store_true",
        help="restore with the neural re-scorer, and confirm detection with it (unspin[neural])",
    )  # fmt: skip
    b.set_defaults(func=cmd_bench)

    v = sub.add_parser("serve", help="HTTP API and web page (localhost by default)")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--workers", type=int, default=1, help="processes, each with its own models (~0.7 GB)")
    v.add_argument(
        "--max-body", type=int, default=1_000_000, metavar="BYTES", help="413 above this (default 1 MB)"
    )
    v.add_argument("--fast", action="store_true", help="restore without the neural re-scorer")
    v.set_defaults(func=cmd_serve)

    c = sub.add_parser("build", help="(re)build the cached lexicon from the installed thesauri")
    c.add_argument("--force", action="store_true")
    c.set_defaults(func=cmd_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except text.InputError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ResourceError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except FileNotFoundError as e:
        print(f"unspin: {e.filename}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
