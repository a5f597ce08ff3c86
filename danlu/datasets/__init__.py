"""danlu.datasets: real datasets that ship or download, and synthetic ones (danlu's own package).

One line each, offline:

>>> from danlu.datasets import FashionMNIST, load_time_machine, load_auto_mpg
>>> train = FashionMNIST(train=True, bundled=True)      # shipped subset: 10,000 train images
>>> test = FashionMNIST(train=False, bundled=True)      # ... and 2,000 test images
>>> img, label = train[0]                               # float32 (1, 28, 28) in [0, 1], int in 0..9
>>> text = load_time_machine()                          # The Time Machine, H. G. Wells (str)

* Vision (``danlu.vision.datasets`` has the same classes under torchvision's names): ``MNIST``,
  ``FashionMNIST`` (``root``/``download``, Debian's ``dataset-fashion-mnist`` files, or
  ``bundled=True``), ``CIFAR10`` (binary version), ``load_data_fashion_mnist``.
* Text: ``load_time_machine`` (tokenising, ``Vocab`` and LM iterators are in ``danlu.text``).
* Tabular: ``read_csv``, ``TabularPipeline`` (standardise, fill missing, one-hot incl. NaN, log target),
  ``load_auto_mpg``.
* Synthetic: ``synthetic_linear_regression`` (``y = Xw + b + noise``), ``make_blobs``, ``load_array``.
* Model selection: ``KFold``, ``StratifiedKFold``, ``train_val_test_split``, ``train_dev_split``.
* Downloads: ``download_url`` (SHA-256/MD5-checked, cached in ``$DANLU_DATA`` or ``~/.cache/danlu``).
"""
from ._download import (
    calculate_digest,
    check_integrity,
    download_and_extract_archive,
    download_url,
    extract_archive,
    get_data_home,
)
from ._idx import read_idx, write_idx
from .splits import KFold, Split, StratifiedKFold, train_dev_split, train_val_test_split
from .synthetic import load_array, make_blobs, synthetic_data, synthetic_linear_regression
from .tabular import TabularPipeline, load_auto_mpg, read_csv
from .text import load_time_machine
from .vision import (
    CIFAR10,
    MNIST,
    FashionMNIST,
    FashionMNISTSubset,
    load_data_fashion_mnist,
    read_cifar_binary,
)

__all__ = [
    "CIFAR10", "MNIST", "FashionMNIST", "FashionMNISTSubset", "KFold", "Split", "StratifiedKFold",
    "TabularPipeline", "calculate_digest", "check_integrity", "download_and_extract_archive", "download_url",
    "extract_archive", "get_data_home", "load_array", "load_auto_mpg", "load_data_fashion_mnist",
    "load_time_machine", "make_blobs", "read_cifar_binary", "read_csv", "read_idx", "synthetic_data",
    "synthetic_linear_regression", "train_dev_split", "train_val_test_split", "write_idx",
]
