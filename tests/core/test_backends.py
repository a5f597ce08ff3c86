"""``torch.backends`` switches and ``nn.modules.utils`` helpers, against torch (CPU build)."""
import pytest
import torch
import torch.backends.cudnn
from torch.nn.modules import utils as tutils

import danlu
from danlu.nn.modules import utils as dutils


def test_cudnn_flags_match_torch():
    for lib in (danlu, torch):
        c = lib.backends.cudnn
        assert (c.is_available(), c.version(), c.enabled, c.benchmark, c.deterministic,
                c.allow_tf32, c.benchmark_limit) == (False, None, True, False, False, True, None)
        c.deterministic, c.benchmark = True, True
        assert (c.deterministic, c.benchmark) == (True, True)
        with c.flags(enabled=False, benchmark=False, deterministic=False, allow_tf32=False):
            assert (c.enabled, c.benchmark, c.deterministic, c.allow_tf32) == (False, False, False, False)
        assert (c.enabled, c.benchmark, c.deterministic, c.allow_tf32) == (True, True, True, True)
        c.deterministic, c.benchmark = False, False
        for name, setter in (("enabled", "set_enabled_cudnn"), ("benchmark", "set_benchmark_cudnn"),
                             ("deterministic", "set_deterministic_cudnn"),
                             ("allow_tf32", "set_allow_tf32_cublas")):
            with pytest.raises(RuntimeError, match=f"{setter} expects a bool, but got int"):
                setattr(c, name, 1)


def test_cuda_matmul_and_sdp_switches_match_torch():
    for lib in (danlu, torch):
        b = lib.backends.cuda
        assert not b.is_built() or lib is danlu
        assert b.matmul.allow_tf32 is False
        b.matmul.allow_tf32 = True
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")
        assert b.matmul.allow_tf32 is False
        assert b.matmul.allow_fp16_reduced_precision_reduction is True
        with pytest.raises(RuntimeError, match="set_allow_tf32_cublas expects a bool, but got int"):
            b.matmul.allow_tf32 = 1
        with pytest.raises(TypeError, match="allow_bf16_reduced_precision_reduction expects a "
                                               "bool or a tuple/list of bools, but got <class 'int'>"):
            b.matmul.allow_bf16_reduced_precision_reduction = 1
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            b.matmul.foo  # noqa: B018
        for kind in ("flash", "mem_efficient", "math", "cudnn"):
            assert getattr(b, kind + "_sdp_enabled")() is True
            getattr(b, "enable_" + kind + "_sdp")(False)
            assert getattr(b, kind + "_sdp_enabled")() is False
            getattr(b, "enable_" + kind + "_sdp")(True)
        assert (lib.backends.mps.is_available(), lib.backends.mps.is_built()) == (False, False)


def test_nn_modules_utils_match_torch():
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for v in (3, (1, 2), [4, 5, 6]):
            assert getattr(dutils, name)(v) == getattr(tutils, name)(v)
        assert getattr(dutils, name).__name__ == getattr(tutils, name).__name__
    assert dutils._reverse_repeat_tuple((1, 2, 3), 2) == tutils._reverse_repeat_tuple((1, 2, 3), 2)
    assert dutils._list_with_default([None, 3], (1, 2, 5, 6)) == tutils._list_with_default([None, 3], (1, 2, 5, 6))
    assert dutils._list_with_default(4, (1, 2)) == 4
    for lib in (dutils, tutils):
        with pytest.raises(ValueError, match="Input dimension should be at least 3"):
            lib._list_with_default([None, 3], (1, 2))
    for lib, mod in ((danlu, dutils), (torch, tutils)):
        sd = lib.nn.Sequential(lib.nn.Linear(2, 2)).state_dict()
        wrapped = type(sd)(("module." + k, v) for k, v in sd.items())
        wrapped._metadata = type(sd)((("module." + k) if k else "module", v)
                                     for k, v in sd._metadata.items())
        wrapped._metadata[""] = {}
        mod.consume_prefix_in_state_dict_if_present(wrapped, "module.")
        assert list(wrapped) == list(sd)
        assert sorted(wrapped._metadata) == sorted(sd._metadata)


def test_accelerator_api_matches_torch_without_a_gpu():
    """The tutorials' device choice runs as in torch; without a GPU both answer 'cpu'."""
    for lib in (danlu, torch):
        acc = lib.accelerator
        if danlu.cuda.is_available():  # pragma: no cover - the GPU machine
            continue
        device = acc.current_accelerator().type if acc.is_available() else "cpu"
        assert device == "cpu"
        assert acc.current_accelerator(check_available=True) is None
        assert acc.device_count() == 0
        with acc.device_index(None):
            pass
        for fn in (acc.current_device_index, acc.synchronize, acc.empty_cache,
                   lambda: acc.set_device_index(0)):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
                fn()


def test_random_module_and_fork_rng():
    import danlu.random
    import torch.random

    for lib, mod in ((danlu, danlu.random), (torch, torch.random)):
        mod.manual_seed(3)
        assert mod.initial_seed() == 3
        with mod.fork_rng():
            a = lib.rand(2)
        assert bool((lib.rand(2) == a).all())       # the draws inside were undone
        with mod.fork_rng(enabled=False):
            a = lib.rand(2)
        assert not bool((lib.rand(2) == a).all())
        state = mod.get_rng_state()
        a = lib.randn(3)
        mod.set_rng_state(state)
        assert bool((lib.randn(3) == a).all())
