"""danlu.utils.data against torch.utils.data on the same datasets."""
from __future__ import annotations

import collections
import math
import os

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import danlu
import danlu.utils.data as dud
from tests._oracle import assert_close


@pytest.fixture(scope="module", autouse=True)
def _no_worker_outlives_this_module():
    """Worker processes and their after-effects stay in this module: loaders left in reference
    cycles are collected (and their workers reaped) here, no worker process is left behind, and
    the SIGCHLD handler torch's DataLoader installs for the rest of the process is taken back."""
    import gc
    import multiprocessing
    import signal

    before = signal.getsignal(signal.SIGCHLD)
    yield
    gc.collect()
    for p in multiprocessing.active_children():
        p.join(timeout=5)
        if p.is_alive():
            p.terminate()
            p.join(timeout=1)
    assert not multiprocessing.active_children()
    signal.signal(signal.SIGCHLD, before)


def _structure_equal(a, b):
    """danlu batch ``a`` has the same structure, dtypes and values as torch batch ``b``."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, danlu.Tensor), type(a)
        assert_close(a, b)
    elif isinstance(b, dict):
        assert isinstance(a, dict) and a.keys() == b.keys()
        for k in b:
            _structure_equal(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a).__name__ == type(b).__name__ and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            _structure_equal(x, y)
    else:
        assert a == b


class Squares(dud.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range")
        return np.full((2,), i, dtype=np.float32), i


class TSquares(tud.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2,), i, dtype=np.float32), i


class Failing(Squares):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample 5")
        return super().__getitem__(i)


class Stream(dud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = dud.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class TStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tud.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


# ----------------------------------------------------------------------------- collate
Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("make", [
    lambda lib, i: (np.arange(3, dtype=np.float32) + i, i, float(i) / 2),
    lambda lib, i: {"a": np.full((2, 2), i, np.int32), "b": [i, i + 1], "s": f"s{i}"},
    lambda lib, i: Point(np.float64(i), True),
    lambda lib, i: [lib.arange(3) * i, {"k": lib.ones(2, dtype=lib.float64) * i}],
])
def test_default_collate_matches_torch(make):
    ours = dud.default_collate([make(danlu, i) for i in range(4)])
    ref = tud.default_collate([make(torch, i) for i in range(4)])
    _structure_equal(ours, ref)


def test_default_convert_matches_torch():
    sample = (np.arange(3), {"x": np.float32(2.0), "s": "t"}, 5)
    _structure_equal(dud.default_convert(sample), tud.default_convert(sample))


def test_collate_errors():
    with pytest.raises(RuntimeError, match=r"equal size, but got \[3\] at entry 0 and \[4\] at entry 1"):
        dud.default_collate([np.zeros(3), np.zeros(4)])
    with pytest.raises(RuntimeError, match=r"\[2\] at entry 0 and \[1\] at entry 2"):
        dud.default_collate([danlu.zeros(2), danlu.zeros(2), danlu.zeros(1)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        dud.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        dud.default_collate([object(), object()])


def test_collate_keeps_graph():
    a = danlu.ones(2, requires_grad=True)
    out = dud.default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


# ----------------------------------------------------------------------------- datasets
def test_tensor_concat_subset_stack():
    x, y = danlu.arange(10.0).reshape(5, 2), danlu.arange(5)
    ds = dud.TensorDataset(x, y)
    assert len(ds) == 5 and ds[2][1].item() == 2
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        dud.TensorDataset(x, danlu.arange(4))
    with pytest.raises(IndexError, match="out of bounds"):
        ds[5]
    cat = ds + dud.TensorDataset(x * 10, y + 5)
    assert len(cat) == 10 and cat[7][1].item() == 7 and cat[-1][1].item() == 9
    with pytest.raises(IndexError):
        cat[10]
    tcat = tud.ConcatDataset([list(range(3)), list(range(4))])
    dcat = dud.ConcatDataset([list(range(3)), list(range(4))])
    assert dcat.cumulative_sizes == tcat.cumulative_sizes and [dcat[i] for i in range(7)] == list(tcat)
    sub = dud.Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 4
    st = dud.StackDataset(a=list("abc"), b=[1, 2, 3])
    assert st[1] == {"a": "b", "b": 2} and len(st) == 3
    assert dud.StackDataset(list("ab"), [1, 2])[0] == ("a", 1)
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        dud.StackDataset([1], [1, 2])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        dud.ConcatDataset([Stream(3)])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34]])
def test_random_split_sizes_match_torch(lengths):
    data = list(range(10))
    ours = dud.random_split(data, lengths, generator=danlu.Generator().manual_seed(1))
    ref = tud.random_split(data, lengths, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in ours] == [len(s) for s in ref]
    assert sorted(i for s in ours for i in s) == data
    again = dud.random_split(data, lengths, generator=danlu.Generator().manual_seed(1))
    assert [list(s) for s in again] == [list(s) for s in ours]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        dud.random_split(data, [3, 3])


# ----------------------------------------------------------------------------- samplers
def test_sequential_and_batch_sampler_match_torch():
    for bs, dl in [(3, False), (3, True), (5, False), (20, True)]:
        ours = list(dud.BatchSampler(dud.SequentialSampler(range(10)), bs, dl))
        ref = list(tud.BatchSampler(tud.SequentialSampler(range(10)), bs, dl))
        assert ours == ref
        assert len(dud.BatchSampler(range(10), bs, dl)) == len(tud.BatchSampler(range(10), bs, dl))
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        dud.BatchSampler(range(3), 0, False)


def test_random_sampler_epochs_are_permutations():
    s = dud.RandomSampler(range(50))
    epochs = [list(s) for _ in range(3)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert epochs[0] != epochs[1]
    more = list(dud.RandomSampler(range(10), num_samples=25))
    assert len(more) == 25 and sorted(more[:10]) == list(range(10)) and sorted(more[10:20]) == list(range(10))
    g = danlu.Generator().manual_seed(3)
    a = list(dud.RandomSampler(range(10), generator=g))
    g.manual_seed(3)
    assert list(dud.RandomSampler(range(10), generator=g)) == a
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        dud.RandomSampler(range(3), num_samples=0)


def test_random_sampler_with_replacement_statistics():
    draws = np.array(list(dud.RandomSampler(range(4), replacement=True, num_samples=8000)))
    assert draws.min() == 0 and draws.max() == 3
    freq = np.bincount(draws, minlength=4) / len(draws)
    assert np.allclose(freq, 0.25, atol=0.03)
    assert len(dud.RandomSampler(range(4), True, 8000)) == len(tud.RandomSampler(range(4), True, 8000))


def test_weighted_and_subset_samplers():
    w = [0.1, 0.0, 0.6, 0.3]
    draws = np.array(list(dud.WeightedRandomSampler(w, 6000)))
    freq = np.bincount(draws, minlength=4) / len(draws)
    assert np.allclose(freq, w, atol=0.03) and freq[1] == 0
    norep = list(dud.WeightedRandomSampler([1, 1, 1, 5], 4, replacement=False))
    assert sorted(norep) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        dud.WeightedRandomSampler([[1.0, 2.0]], 2)
    sub = list(dud.SubsetRandomSampler([7, 3, 9]))
    assert sorted(sub) == [3, 7, 9]


def test_distributed_sampler_shards_cover_dataset():
    shards = [list(dud.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=True, seed=1))
              for r in range(3)]
    ref = [list(tud.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert [len(s) for s in shards] == [len(s) for s in ref] == [4, 4, 4]
    assert set(sum(shards, [])) == set(range(10))
    plain = [list(dud.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert plain == ref


# ----------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("bs,drop_last", [(1, False), (4, False), (4, True), (16, False)])
def test_sequential_loader_matches_torch(bs, drop_last):
    ours = list(dud.DataLoader(Squares(10), batch_size=bs, drop_last=drop_last))
    ref = list(tud.DataLoader(TSquares(10), batch_size=bs, drop_last=drop_last))
    assert len(ours) == len(ref) == len(dud.DataLoader(Squares(10), batch_size=bs, drop_last=drop_last))
    _structure_equal(ours, ref)


def test_loader_without_batching_and_with_batch_sampler():
    ours = list(dud.DataLoader(Squares(3), batch_size=None))
    ref = list(tud.DataLoader(TSquares(3), batch_size=None))
    _structure_equal(ours, ref)
    bsamp = [[0, 2], [1]]
    _structure_equal(list(dud.DataLoader(Squares(3), batch_sampler=bsamp)),
                     list(tud.DataLoader(TSquares(3), batch_sampler=bsamp)))


def test_shuffled_epoch_visits_every_index_once():
    dl = dud.DataLoader(Squares(23), batch_size=5, shuffle=True)
    assert len(dl) == 5
    seen = [danlu.cat([b[1] for b in dl]).tolist() for _ in range(2)]
    assert sorted(seen[0]) == list(range(23)) and seen[0] != seen[1]


def test_loader_is_lazy():
    calls = []

    class Counting(Squares):
        def __getitem__(self, i):
            calls.append(i)
            return super().__getitem__(i)

    it = iter(dud.DataLoader(Counting(100), batch_size=10))
    next(it)
    assert calls == list(range(10))


def test_loader_argument_errors_match_torch():
    cases = [dict(shuffle=True, sampler=[0]), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_size=None, drop_last=True), dict(num_workers=-1),
             dict(prefetch_factor=2), dict(persistent_workers=True)]
    for kw in cases:
        with pytest.raises(ValueError) as ref:
            tud.DataLoader(TSquares(3), **kw)
        with pytest.raises(ValueError) as ours:
            dud.DataLoader(Squares(3), **kw)
        assert str(ours.value) == str(ref.value)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        dud.DataLoader(Stream(3), shuffle=True)
    dl = dud.DataLoader(Squares(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
        dl.batch_size = 3


def test_iterable_dataset_single_process_matches_torch():
    for bs, dl in [(3, False), (3, True), (None, False)]:
        ours = list(dud.DataLoader(Stream(10), batch_size=bs, drop_last=dl))
        ref = list(tud.DataLoader(TStream(10), batch_size=bs, drop_last=dl))
        _structure_equal(ours, ref)


# ----------------------------------------------------------------------------- workers
def test_workers_same_batches_as_single_process():
    g0, g2 = danlu.Generator().manual_seed(7), danlu.Generator().manual_seed(7)
    single = list(dud.DataLoader(Squares(37), batch_size=4, shuffle=True, generator=g0))
    multi = list(dud.DataLoader(Squares(37), batch_size=4, shuffle=True, generator=g2, num_workers=2))
    assert len(single) == len(multi) == 10
    for (a, ia), (b, ib) in zip(single, multi):
        assert ia.tolist() == ib.tolist() and np.array_equal(a.numpy(), b.numpy())


def test_iterable_dataset_workers_match_torch_order():
    for bs in (2, None):
        ours = list(dud.DataLoader(Stream(9), batch_size=bs, num_workers=2))
        ref = list(tud.DataLoader(TStream(9), batch_size=bs, num_workers=2))
        _structure_equal(ours, ref)


class _RecordingQueue:
    """Stands in for a worker's queues: hands out ``tasks``, records what the worker does."""

    def __init__(self, tasks=()):
        self.tasks, self.put_items, self.calls = list(tasks), [], []

    def get(self, timeout=None):
        return self.tasks.pop(0)

    def put(self, item):
        self.put_items.append(item)

    def cancel_join_thread(self):
        self.calls.append("cancel_join_thread")

    def close(self):
        self.calls.append("close")


@pytest.mark.parametrize("shutting_down", [False, True])
def test_worker_flushes_its_results_unless_the_loader_shuts_down(shutting_down, monkeypatch):
    """A worker told to stop while the loader still reads (its iterable stream ended) must write
    out everything it queued before exiting: exiting mid-write left the write lock that all
    workers share held, and the other workers' results never arrived (a hang). Only when the main
    process is shutting the loader down may a worker drop unsent results."""
    import multiprocessing

    from danlu.utils.data import _worker as W

    monkeypatch.setattr(W, "_worker_info", None)  # the loop runs here, in the main process
    done = multiprocessing.get_context("fork").Event()
    if shutting_down:
        done.set()
    iq, dq = _RecordingQueue([(0, 0, 2), (1, 0, 2), None]), _RecordingQueue()
    W.worker_loop(True, Stream(3), iq, dq, True, dud.default_collate, False, 0, None, 0, 1,
                  os.getppid(), done)
    assert [t[0] for t in dq.put_items] == [0, 1]
    assert dq.calls == (["cancel_join_thread", "close"] if shutting_down else ["close"])


def test_iterable_workers_ending_at_different_times_never_hang():
    """The race behind a stop-10 CI hang: one worker's stream ends and it exits while another is
    still answering. Repeated, so that an exit during a write would show up."""
    for _ in range(40):
        assert sorted(int(b) for b in dud.DataLoader(Stream(5), batch_size=None, num_workers=2)) == \
            list(range(5))


def _init_fn(worker_id):
    info = dud.get_worker_info()
    info.dataset.tag = f"w{worker_id}/{info.num_workers}"


class Tagged(dud.Dataset):
    tag = "main"

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return f"{self.tag}:{os.getpid()}:{danlu.rand(1).item():.6f}"


def test_worker_info_init_fn_seeds_and_persistence():
    assert dud.get_worker_info() is None
    dl = dud.DataLoader(Tagged(), batch_size=1, num_workers=2, worker_init_fn=_init_fn,
                        persistent_workers=True, prefetch_factor=1)
    first = [b[0] for b in dl]
    tags = [s.split(":")[0] for s in first]
    assert tags == ["w0/2", "w1/2"] * 3
    pids = {s.split(":")[1] for s in first}
    assert len(pids) == 2 and str(os.getpid()) not in pids
    assert len({s.split(":")[2] for s in first}) == 6  # workers are seeded differently
    second = [b[0] for b in dl]
    assert {s.split(":")[1] for s in second} == pids  # persistent: same processes
    dl._iterator._shutdown_workers()


def test_worker_error_is_reraised_with_traceback():
    dl = dud.DataLoader(Failing(12), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker process 0.*bad sample 5"):
        list(dl)
    it = iter(dud.DataLoader(Failing(12), batch_size=2, num_workers=2))
    next(it)
    next(it)
    with pytest.raises(ValueError, match="in DataLoader worker process 0"):
        next(it)
    assert all(not w.is_alive() for w in it._workers)  # nothing left running


class Dies(Squares):
    def __getitem__(self, i):
        if i == 3:
            os._exit(3)
        return super().__getitem__(i)


def test_dead_worker_raises_instead_of_hanging():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(dud.DataLoader(Dies(8), batch_size=1, num_workers=2))


class Slow(Squares):
    def __getitem__(self, i):
        import time

        time.sleep(1.0)
        return super().__getitem__(i)


def test_timeout():
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.2 seconds"):
        list(dud.DataLoader(Slow(2), num_workers=1, timeout=0.2))


def test_len_of_iterable_loader():
    class Sized(Stream):
        def __len__(self):
            return self.n

    assert len(dud.DataLoader(Sized(10), batch_size=3)) == math.ceil(10 / 3)
    assert len(dud.DataLoader(Sized(10), batch_size=3, drop_last=True)) == 3
