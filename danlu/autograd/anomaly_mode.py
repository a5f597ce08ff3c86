"""``detect_anomaly``: record where each op was created; when a backward produces NaN, name it."""
from __future__ import annotations


class _Anomaly:
    enabled = False
    check_nan = True


def is_anomaly_enabled() -> bool:
    return _Anomaly.enabled


class detect_anomaly:
    """Context manager: backward raises naming the forward op whose backward produced NaN."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled, _Anomaly.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev
        return False


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled, _Anomaly.check_nan = bool(mode), check_nan

    def __enter__(self):
        return self
