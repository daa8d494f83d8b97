"""Control numbers under concurrency: documents written at once for one partner never share a number."""

from __future__ import annotations

import threading

from ordermesh.bootstrap import build
from ordermesh.config import Settings

WRITERS = 4
EACH = 15


def test_concurrent_transactions_take_distinct_increasing_numbers(settings: Settings) -> None:
    runtimes = [build(settings) for _ in range(2)]  # two processes' worth of engines and pools
    taken: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def write(index: int) -> None:
        ctx = runtimes[index % 2].context
        try:
            for _ in range(EACH):
                numbers = ctx.transaction(lambda uow: uow.partners.next_control_numbers("ptn_busy", 1))
                with lock:
                    taken.append(numbers.interchange)
        except BaseException as exc:  # reported below, with the numbers taken so far
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for runtime in runtimes:
            runtime.close()

    assert errors == []
    assert sorted(taken) == list(range(1, WRITERS * EACH + 1))
