"""What runs inside a DataLoader worker process, and what it sends back.

Protocol (main -> worker on the worker's own index queue, worker -> main on the shared data queue):

* ``(task_idx, epoch, indices)``: fetch and collate; answer ``(task_idx, epoch, batch)``;
* ``_Resume(epoch)``: a new epoch of a persistent worker (iterable datasets restart their stream);
* ``None``: exit.

A batch that failed is answered with an :class:`ExceptionWrapper` carrying the worker's formatted
traceback; an exhausted iterable dataset with :class:`_IterableDatasetStopIteration`. Tensors travel
as plain numpy arrays (:class:`_Wire`) and are rewrapped in the main process.
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

_STATUS_CHECK_INTERVAL = 5.0


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker process: its ``id``, ``num_workers``, ``seed`` and its copy of the
    ``dataset``. In the main process: ``None``."""
    return _worker_info


class _IterableDatasetStopIteration:
    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _Resume:
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch


class ExceptionWrapper:
    """An exception raised in a worker, with its traceback as text, re-raised in the main process."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where
        try:  # the type must survive the trip to the main process
            import pickle

            pickle.loads(pickle.dumps(self.exc_type))
        except Exception:
            self.exc_type = RuntimeError

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # an exception type whose constructor wants more than a message
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    """KeyError quotes its argument in ``str()``; this keeps a multi-line message readable."""

    def __repr__(self) -> str:
        return self


class _Wire:
    """A tensor's array in transit between processes."""

    __slots__ = ("arr",)

    def __init__(self, arr) -> None:
        self.arr = arr

    def __reduce__(self):
        return (_Wire, (self.arr,))


def to_wire(data):
    from ..._backend import to_numpy
    from ..._tensor import Tensor

    if isinstance(data, Tensor):
        return _Wire(to_numpy(data._data))
    if isinstance(data, (list, tuple)):
        conv = [to_wire(d) for d in data]
        if isinstance(data, list):
            return conv
        if hasattr(data, "_fields"):
            return type(data)(*conv)
        return tuple(conv) if type(data) is tuple else _rebuild(data, conv)
    if isinstance(data, dict):
        return _rebuild(data, {k: to_wire(v) for k, v in data.items()})
    return data


def from_wire(data):
    from ..._tensor import Tensor

    if isinstance(data, _Wire):
        return Tensor._make(data.arr)
    if isinstance(data, (list, tuple)):
        conv = [from_wire(d) for d in data]
        if isinstance(data, list):
            return conv
        if hasattr(data, "_fields"):
            return type(data)(*conv)
        return tuple(conv) if type(data) is tuple else _rebuild(data, conv)
    if isinstance(data, dict):
        return _rebuild(data, {k: from_wire(v) for k, v in data.items()})
    return data


def _rebuild(orig, conv):
    try:
        return type(orig)(conv)
    except Exception:
        return conv


class _MapFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._getitems is not None:
            data = self._getitems(index)
        else:
            ds = self.dataset
            data = [ds[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        """``index`` is the batch size wanted (or None without auto-collation)."""
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in range(index):
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < index):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(is_iterable: bool, dataset, auto_collation: bool, collate_fn, drop_last: bool):
    cls = _IterableFetcher if is_iterable else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's ``random``, numpy's global RNG and danlu's generator for one worker."""
    from ... import _random

    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & ((1 << 64) - 1)]).generate_state(4))
    return seed


def worker_loop(is_iterable, dataset, index_queue, data_queue, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers, parent_pid, done_event=None) -> None:
    """Body of a worker process: answer tasks until told to stop or the parent dies.

    On the way out a worker waits until its queued results are written to the shared pipe, unless
    the main process is shutting the loader down (``done_event``) or is gone. Exiting with results
    still being written could leave the data queue's write lock (shared by all workers) held
    forever: the other workers could then never answer, and the main process would wait on them.
    """
    global _worker_info
    parent_gone = False
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        epoch = 0
        while True:
            try:
                task = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process is gone: nobody to answer to
                    parent_gone = True
                    break
                continue
            if task is None:
                break
            if isinstance(task, _Resume):
                epoch = task.epoch
                if init_error is None and is_iterable:
                    try:
                        fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                data_queue.put((task, epoch, None))
                continue
            idx, task_epoch, index = task
            if init_error is not None:  # every task answers with the failure; the main process raises
                data = init_error
            else:
                try:
                    data = to_wire(fetcher.fetch(index))
                except StopIteration:
                    data = _IterableDatasetStopIteration(worker_id)
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, task_epoch, data))
    except KeyboardInterrupt:
        parent_gone = True
    if parent_gone or done_event is None or done_event.is_set():
        # nobody will read what is still queued: do not block exit on flushing it
        data_queue.cancel_join_thread()
    data_queue.close()  # with the join kept, exit waits for the feeder thread to write everything
