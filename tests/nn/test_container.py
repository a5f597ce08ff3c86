"""Containers vs torch: Sequential / ModuleList / ModuleDict / ParameterList / ParameterDict."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import danlu
from tests.nn._models import compare_models, twin


def names(m):
    return list(m.state_dict())


def seq(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(3, 4), nn.Identity(), nn.Linear(4, 5), nn.Flatten(),
                         nn.Linear(5, 2))


def test_sequential_indexing_matches_torch():
    d, t = twin(seq)
    assert len(d) == len(t) == 5
    assert repr(d[0]) == repr(t[0]) and repr(d[-1]) == repr(t[-1])
    assert repr(d[1:4]) == repr(t[1:4]) and isinstance(d[1:4], danlu.nn.Sequential)
    assert repr(d[::-2]) == repr(t[::-2])
    assert [type(m).__name__ for m in d] == [type(m).__name__ for m in t]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        d[5]
    with pytest.raises(IndexError):
        t[5]
    x = np.random.default_rng(0).standard_normal((3, 3)).astype("float32")
    compare_models(d, t, x)


def test_sequential_mutation_matches_torch():
    outs = []
    for lib in (danlu, torch):
        nn = lib.nn
        s = nn.Sequential(nn.Linear(1, 1), nn.Identity())
        s.append(nn.Linear(1, 2))
        s.insert(1, nn.Flatten())
        s.insert(-1, nn.Identity())
        s.extend([nn.Linear(2, 2)])
        s.add_module("named", nn.Identity())
        del s[0]
        s[0] = nn.Linear(3, 3)
        del s[1:3]
        p = s.pop(0)
        s2 = s + nn.Sequential(nn.Identity())
        s3 = nn.Sequential(nn.Linear(1, 1)) * 2
        outs.append((repr(s), names(s), repr(p), repr(s2), names(s3)))
    assert outs[0] == outs[1]


def test_sequential_ordered_dict():
    d, t = twin(lambda lib: lib.nn.Sequential(OrderedDict(
        [("fc1", lib.nn.Linear(2, 3)), ("id", lib.nn.Identity()), ("fc2", lib.nn.Linear(3, 1))])))
    assert repr(d) == repr(t)
    assert names(d) == names(t) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert d.fc1 is d[0]
    compare_models(d, t, np.ones((2, 2), "float32"))


def test_module_list_and_repr_grouping():
    outs = []
    for lib in (danlu, torch):
        nn = lib.nn
        ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Identity(), nn.Linear(2, 1)])
        ml.append(nn.Linear(2, 1))
        ml.extend([nn.Identity()])
        ml.insert(0, nn.Flatten())
        ml += [nn.Identity()]
        r1 = repr(ml)
        del ml[1]
        ml[0] = nn.Linear(4, 4)
        ml2 = ml[1:3]
        popped = ml.pop(-1)
        outs.append((r1, repr(ml), names(ml), repr(ml2), repr(popped), len(ml), repr(nn.ModuleList())))
    assert outs[0] == outs[1]


def test_module_dict():
    outs = []
    for lib in (danlu, torch):
        nn = lib.nn
        md = nn.ModuleDict({"b": nn.Linear(1, 2), "a": nn.Identity()})
        md["c"] = nn.Linear(2, 2)
        md.update([("d", nn.Flatten())])
        popped = md.pop("a")
        outs.append((repr(md), names(md), list(md.keys()), "c" in md, len(md), repr(popped),
                     [type(v).__name__ for v in md.values()]))
    assert outs[0] == outs[1]


def test_parameter_list_and_dict():
    outs = []
    for lib in (danlu, torch):
        nn = lib.nn
        pl = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(3)])
        pl.append(nn.Parameter(lib.ones(1)))
        pd = nn.ParameterDict({"w": nn.Parameter(lib.ones(2)), "a": lib.zeros(4, 1)})
        pd["z"] = nn.Parameter(lib.ones(1))
        outs.append((repr(pl).replace("torch.", "danlu."), names(pl), len(pl),
                     repr(pd).replace("torch.", "danlu."), names(pd), list(pd.keys()),
                     all(isinstance(p, nn.Parameter) for p in pl),
                     isinstance(pd["a"], nn.Parameter), [tuple(p.shape) for p in pl[1:]]))

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.pl = pl
                self.pd = pd

        outs[-1] += (names(M()), len(list(M().parameters())))
    assert outs[0] == outs[1]


def test_parameter_list_grads():
    pl = danlu.nn.ParameterList([danlu.nn.Parameter(danlu.ones(2)) for _ in range(3)])
    sum(p.sum() * (i + 1) for i, p in enumerate(pl)).backward()
    assert [float(p.grad[0]) for p in pl] == [1.0, 2.0, 3.0]
