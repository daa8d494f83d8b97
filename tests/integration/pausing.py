"""Unit-of-work factories that pause after one repository call, to line concurrent transactions up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ordermesh.services.ports import UnitOfWork, UnitOfWorkFactory


class PausingUnitOfWorks:
    """Open the given factory's units of work, but sleep after every `repository.method` call they make.

    Threads that all pause after the same read reach their writes only after every one of them has read,
    unless a lock taken by that read makes them wait for each other: the race a lock must prevent.
    """

    def __init__(self, inner: UnitOfWorkFactory, repository: str, method: str, *, seconds: float = 0.3) -> None:
        self.inner = inner
        self.repository = repository
        self.method = method
        self.seconds = seconds

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        return _Pausing(self, self.inner(read_only=read_only))  # type: ignore[return-value]

    def pause(self) -> None:
        time.sleep(self.seconds)


class GatedUnitOfWorks(PausingUnitOfWorks):
    """Like PausingUnitOfWorks, but a call waits at the gate until the test opens it: `reached` is set when a
    call gets there, and every call after `go_on` is set passes at once."""

    def __init__(self, inner: UnitOfWorkFactory, repository: str, method: str) -> None:
        super().__init__(inner, repository, method)
        self.reached, self.go_on = threading.Event(), threading.Event()

    def pause(self) -> None:
        self.reached.set()
        assert self.go_on.wait(30), "the test never opened the gate"


class _Pausing:
    def __init__(self, owner: PausingUnitOfWorks, uow: UnitOfWork) -> None:
        self.owner = owner
        self.uow = uow

    def __enter__(self) -> UnitOfWork:
        entered = self.uow.__enter__()
        repository = getattr(entered, self.owner.repository)
        setattr(repository, self.owner.method, self._paused(getattr(repository, self.owner.method)))
        return entered

    def _paused(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def paused(*args: Any, **kwargs: Any) -> Any:
            result = call(*args, **kwargs)
            self.owner.pause()
            return result

        return paused

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.uow.__exit__(exc_type, exc, tb)
