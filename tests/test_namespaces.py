"""torch's namespaces are reachable as attributes right after ``import danlu`` (as after ``import torch``)."""
import subprocess
import sys

NAMESPACES = ["nn", "nn.functional", "nn.init", "nn.utils", "nn.utils.rnn", "nn.utils.parametrize",
              "nn.utils.parametrizations", "optim", "optim.lr_scheduler", "optim.swa_utils", "utils.data", "utils.checkpoint",
              "nn.parallel", "nn.utils.stateless", "autograd", "autograd.functional", "autograd.forward_ad", "linalg", "cuda", "distributions", "func", "special", "testing", "amp",
              "backends", "backends.cudnn", "backends.cuda", "backends.mps", "nn.modules.utils", "nn.utils.prune",
              "accelerator", "random"]


def test_namespaces_are_attributes_after_import():
    """A fresh interpreter (so no other test has imported the submodules already)."""
    code = ("import danlu\nbad = []\n"
            f"for n in {NAMESPACES!r}:\n"
            "    try:\n        eval('danlu.' + n)\n    except AttributeError:\n        bad.append(n)\n"
            "print(','.join(bad))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "", f"not reachable after 'import danlu': {res.stdout.strip()}"
