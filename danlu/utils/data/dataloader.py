"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With ``num_workers=0`` each batch is fetched and collated when ``next`` asks for it. With
``num_workers=N`` there are N worker processes (``multiprocessing``, ``fork`` where available). The
main process walks the batch sampler and hands batch ``k`` to the next active worker round-robin,
keeping at most ``prefetch_factor * N`` batches in flight; results come back on one queue and are
re-ordered, so the batches (and their order) are the same as with ``num_workers=0``. A worker's
exception is re-raised in the main process with the worker's traceback; a worker that dies, or a
``timeout`` without data, raises instead of hanging.

Randomness: each iterator draws ``base_seed`` from ``generator`` (or the global generator) before
the sampler draws its own seed, as torch does; worker ``i`` seeds ``random``, numpy and danlu with
``base_seed + i``.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
from typing import Any, Callable, Iterable

from . import _worker as W
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

get_worker_info = W.get_worker_info
_STATUS_CHECK_INTERVAL = 1.0
_SHUTDOWN_TIMEOUT = 5.0


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: ``None`` forever (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


def _draw_seed(generator) -> int:
    from ... import _random

    return int((generator or _random.default_generator)._rng.integers(0, 2 ** 63 - 1))


def _default_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


class DataLoader:
    """Iterate over ``dataset`` in (collated) batches: torch's ``DataLoader`` arguments and semantics.

    ``pin_memory``/``pin_memory_device`` are accepted and ignored (host memory is what the CPU
    backend uses).
    """

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                             "to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.in_order = in_order
        self._is_iterable = isinstance(dataset, IterableDataset)
        if isinstance(multiprocessing_context, str):
            multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
        self.multiprocessing_context = multiprocessing_context

        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self.__initialized = True

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__dict__.get("_DataLoader__initialized") and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._base_seed = _draw_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._shutdown = False

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        index = next(self._sampler_iter)
        if self._is_iterable and self._auto_collation:
            return len(index)  # the iterable fetcher only needs the batch size
        return index

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = W.make_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._num_workers = nw = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._epoch = 0
        self._workers: list = []
        self._index_queues: list = []
        ctx = loader.multiprocessing_context or _default_context()
        self._data_queue = ctx.Queue()
        # set before workers are told to exit at shutdown: only then may they drop unsent results
        self._done_event = ctx.Event()
        try:
            for i in range(nw):
                iq = ctx.Queue()
                iq.cancel_join_thread()
                w = ctx.Process(target=W.worker_loop, daemon=True,
                                args=(self._is_iterable, self._dataset, iq, self._data_queue,
                                      self._auto_collation, self._collate_fn, self._drop_last,
                                      self._base_seed, loader.worker_init_fn, i, nw, os.getpid(),
                                      self._done_event))
                w.start()
                self._index_queues.append(iq)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # a new epoch for persistent workers: wait until each has acknowledged (old results drained)
            self._epoch += 1
            for iq in self._index_queues:
                iq.put(W._Resume(self._epoch))
            pending = self._num_workers
            while pending:
                tag, _, _ = self._get_data()
                if isinstance(tag, W._Resume) and tag.epoch == self._epoch:
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._workers_status[wid]:
                break
        else:  # every worker's stream has ended
            return
        self._index_queues[wid].put((self._send_idx, self._epoch, index))
        self._task_info[self._send_idx] = (wid,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _try_get(self, timeout: float):
        try:
            return True, self._data_queue.get(timeout=timeout)
        except queue.Empty:
            dead = [w for i, w in enumerate(self._workers) if self._workers_status[i] and not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
            return False, None

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get(self._timeout)
            if not ok:
                self._shutdown_workers(force=True)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            ok, data = self._try_get(_STATUS_CHECK_INTERVAL)
            if ok:
                return data

    def _next_data(self):
        if self._shutdown:
            raise StopIteration
        while True:
            # skip tasks whose worker's stream ended before answering them (iterable datasets)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                return self._process_data(self._task_info.pop(self._rcvd_idx)[1])
            idx, epoch, data = self._get_data()
            if isinstance(idx, W._Resume) or epoch != self._epoch:
                continue  # a stale answer from an abandoned epoch
            self._tasks_outstanding -= 1
            if isinstance(data, W._IterableDatasetStopIteration):
                wid = data.worker_id
                self._workers_status[wid] = False
                if not self._persistent:
                    self._index_queues[wid].put(None)
                self._try_put_index()
                continue
            if idx == self._rcvd_idx:
                del self._task_info[idx]
                return self._process_data(data)
            if not self._in_order:
                del self._task_info[idx]
                return self._process_data(data, advance=False)
            self._task_info[idx] += (data,)

    def _process_data(self, data, advance: bool = True):
        if advance:
            self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, W.ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        return W.from_wire(data)

    def _shutdown_workers(self, force: bool = False) -> None:
        """Tell every worker to exit and reap it (``force``: a worker is stuck, terminate at once)."""
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for iq in self._index_queues:
                try:
                    iq.put(None)
                except Exception:  # pragma: no cover - queue already closed
                    pass
            for w in self._workers:
                w.join(timeout=0 if force else _SHUTDOWN_TIMEOUT)
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
            for iq in self._index_queues:
                iq.close()
        finally:
            self._data_queue.cancel_join_thread()
            self._data_queue.close()

    def __del__(self) -> None:
        if getattr(self, "_data_queue", None) is not None:
            self._shutdown_workers()
