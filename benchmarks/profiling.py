"""Summaries of sampled stacks (py-spy's raw/folded format): where did the CPU time go?

A folded line is `frame;frame;...;frame COUNT`, outermost first; py-spy writes each frame as
`function (path/to/file.py:LINE)`. Idle threads are not sampled unless asked, so the counts are
on-CPU time.

    python benchmarks/profiling.py benchmarks/out/intake-postgres-w2.folded
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_PACKAGES = ("ordermesh", "sqlalchemy", "psycopg", "psycopg_pool", "pydantic", "pydantic_core", "fastapi",
             "starlette", "uvicorn", "anyio", "httptools", "uvloop", "json", "orjson", "asyncio", "threading",
             "concurrent", "logging", "zipcodes", "sqlite3", "encodings", "hashlib")


@dataclass(frozen=True)
class Stacks:
    samples: int
    inclusive: Counter[str]
    own: Counter[str]
    by_package: Counter[str]


def frame_name(frame: str) -> str:
    """`function (file:line)` -> `function (file)`: one entry per function, not per line."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match['function']} ({short_path(match['file'])})"


def short_path(path: str) -> str:
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def package_of(frame: str) -> str:
    """The top-level package of a frame's file: sqlalchemy, ordermesh, ... or `other`."""
    match = _FRAME.match(frame.strip())
    path = short_path(match["file"]) if match else frame
    head = path.split("/", 1)[0].removesuffix(".py")
    return head if head in _PACKAGES else "other"


def read_folded(lines: Iterable[str]) -> Stacks:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f.strip() and " (" in f]
        if not frames:
            continue
        total += count
        for name in {frame_name(f) for f in frames}:
            inclusive[name] += count
        own[frame_name(frames[-1])] += count
        by_package[package_of(frames[-1])] += count
    return Stacks(total, inclusive, own, by_package)


def report(stacks: Stacks, *, top: int = 30, focus: Sequence[str] = ("ordermesh/",)) -> str:
    """Self time per package, the heaviest frames by self time, and the project's frames by inclusive time."""
    if not stacks.samples:
        return "no samples"

    def share(count: int) -> str:
        return f"{100 * count / stacks.samples:5.1f}%"

    out = [f"{stacks.samples} samples", "", "self time by package:"]
    out += [f"  {share(n)}  {name}" for name, n in stacks.by_package.most_common()]
    out += ["", f"top {top} frames by self time:"]
    out += [f"  {share(n)}  {name}" for name, n in stacks.own.most_common(top)]
    project = [(name, n) for name, n in stacks.inclusive.most_common() if any(f in name for f in focus)]
    out += ["", f"top {top} project frames by inclusive time:"]
    out += [f"  {share(n)}  {name}" for name, n in project[:top]]
    return "\n".join(out)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    with Path(argv[0]).open() as lines:
        print(report(read_folded(lines)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
