"""An async iterator consumed from synchronous code: run on a private event loop in a thread, item by item."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterable, Callable, Iterator

_DONE = object()


def iterate_in_thread[T](make: Callable[[], AsyncIterable[T]]) -> Iterator[T]:
    """Yields what `make()`'s async iterator yields, as it yields it; its exception is raised here."""
    items: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    async def pump() -> None:
        try:
            async for item in make():
                items.put(item)
                if stop.is_set():
                    return
        except BaseException as error:  # handed to the consumer, raised in its thread
            items.put(error)
        finally:
            items.put(_DONE)

    thread = threading.Thread(target=asyncio.run, args=(pump(),), daemon=True, name="speech-stream")
    thread.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=5)
