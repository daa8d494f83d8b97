"""One asyncio event loop in a daemon thread, so synchronous code (the relay) can drive an asyncio client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STOP_SECONDS = 5.0


class LoopThread:
    """Runs coroutines on its own loop; `run` blocks the caller until the coroutine is done."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run `coroutine` on the loop and return its result.

        Raises what the coroutine raised, or TimeoutError (after cancelling it) when it takes longer than `timeout`.
        """
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"gave up after {timeout:.1f} s") from None

    def stop(self) -> None:
        """Cancel what is still running on the loop, stop it, and close it once its thread has ended."""
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            cancelled = asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), self._loop)
            # A wedged loop cannot cancel its tasks: stopping it below is all that is left to do.
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                cancelled.result(STOP_SECONDS)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(STOP_SECONDS)
        if not self._thread.is_alive():
            self._loop.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())


async def _cancel_other_tasks() -> None:
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
