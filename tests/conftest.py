import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=15, deadline=None)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seed():
    import danlu

    danlu.manual_seed(0)
    yield


# A last-resort watchdog below pytest-timeout (300 s, pyproject.toml): pytest-timeout needs the
# GIL to act, so a test stuck in C code that holds it would hang CI until its limit. faulthandler's
# watchdog thread dumps every thread's stack without the GIL and exits the run.
_WATCHDOG_S = float(os.environ.get("DANLU_TEST_WATCHDOG_S", "480"))


def pytest_configure(config):
    # output capture is suspended while plugins configure: fd 2 is the real stderr here
    config._danlu_stderr_fd = os.dup(2)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import faulthandler

    faulthandler.dump_traceback_later(_WATCHDOG_S, exit=True, file=item.config._danlu_stderr_fd)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
