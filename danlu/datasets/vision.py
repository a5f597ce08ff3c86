"""Image datasets: MNIST, Fashion-MNIST (IDX), CIFAR-10 (binary version) and the bundled subset.

Samples are ``(image, label)``. The image handed to ``transform`` is the raw uint8 numpy array
(``28×28`` for MNIST-like sets, ``32×32×3`` for CIFAR-10), what a PIL image would hold; with
``transform=None`` it is converted by ``ToTensor`` (float32 ``C×H×W`` in [0, 1]) — danlu needs no PIL.
``.data`` (uint8 tensor) and ``.targets`` (int64 tensor, a list for CIFAR-10 as in torchvision) hold
the whole split, for loading it in one piece.

>>> from danlu.datasets import FashionMNIST
>>> train = FashionMNIST(train=True, bundled=True)   # 10,000 images shipped in the package
>>> img, label = train[0]                            # img: float32 (1, 28, 28) in [0, 1]; label: int
"""
from __future__ import annotations

import os
from typing import Callable

import numpy as np

from .._tensor import Tensor
from ..utils.data.dataset import Dataset
from ._download import download_and_extract_archive, download_url, get_data_home
from ._idx import read_idx

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "FashionMNISTSubset", "CIFAR10", "read_cifar_binary",
           "BUNDLED_FASHION_MNIST", "DEBIAN_FASHION_MNIST", "load_data_fashion_mnist"]

BUNDLED_FASHION_MNIST = os.path.join(os.path.dirname(__file__), "_data", "fashion_mnist_subset")
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def _to_tensor(img: np.ndarray) -> Tensor:
    from ..vision.transforms.functional import to_tensor

    return to_tensor(img)


class VisionDataset(Dataset):
    """Base: ``root``, ``transform`` (on the image), ``target_transform`` (on the label)."""

    def __init__(self, root=None, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.root = os.fspath(os.path.expanduser(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform

    def _check_index(self, index) -> int:
        n = len(self)
        if not isinstance(index, (int, np.integer)):
            if isinstance(index, Tensor) and index.numel() == 1:
                index = int(index.item())
            else:
                raise TypeError(f"{type(self).__name__} indices must be integers, not {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for {type(self).__name__} with {n} samples")
        return int(index)

    def _finish(self, img: np.ndarray, target: int):
        img = self.transform(img) if self.transform is not None else _to_tensor(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        raise NotImplementedError


class MNIST(VisionDataset):
    """MNIST from IDX files (gzip or raw) in ``root``, ``root/<Name>/raw`` or ``root/<Name>``;
    ``download=True`` fetches the upstream files (MD5-checked) into ``root/<Name>/raw``
    (``root=None``: the cache directory, see :func:`get_data_home`)."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    _extra_dirs: tuple[str, ...] = ()

    def __init__(self, root=None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        split = "train" if train else "t10k"
        folder = self._find(split)
        if folder is None and download:
            self.download()
            folder = self._find(split)
        if folder is None:
            raise RuntimeError(f"Dataset not found. You can use download=True to download it (searched "
                               f"{', '.join(self._candidates())})" + self._hint())
        images = read_idx(self._file(folder, f"{split}-images-idx3-ubyte"))
        labels = read_idx(self._file(folder, f"{split}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{type(self).__name__} files in {folder} disagree: images {images.shape}, "
                               f"labels {labels.shape}")
        self.folder = folder
        self._images = images.astype(np.uint8, copy=False)
        self._labels = labels.astype(np.int64)
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    def _hint(self) -> str:
        return ""

    @property
    def raw_folder(self) -> str:
        return os.path.join(get_data_home(self.root), type(self).__name__, "raw")

    def _candidates(self) -> list[str]:
        out = []
        if self.root is not None:
            out += [self.root, os.path.join(self.root, type(self).__name__, "raw"),
                    os.path.join(self.root, type(self).__name__)]
        else:
            out.append(self.raw_folder)
        return out + list(self._extra_dirs)

    @staticmethod
    def _file(folder: str, stem: str) -> str:
        gz = os.path.join(folder, stem + ".gz")
        return gz if os.path.isfile(gz) else os.path.join(folder, stem)

    def _find(self, split: str) -> str | None:
        for d in self._candidates():
            if all(os.path.isfile(self._file(d, f"{split}-{k}")) for k in ("images-idx3-ubyte", "labels-idx1-ubyte")):
                return d
        return None

    def download(self) -> None:
        """Fetch every resource, trying the mirrors in turn; each file is checked against its MD5."""
        for filename, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    download_url(mirror + filename, self.raw_folder, filename, md5=md5)
                    break
                except RuntimeError as e:
                    errors.append(str(e))
            else:
                raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return self._images.shape[0]

    def __getitem__(self, index):
        i = self._check_index(index)
        return self._finish(self._images[i], int(self._labels[i]))

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Split: "
                f"{'Train' if self.train else 'Test'}\n    Location: {self.folder}")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando, MIT). Besides ``root``/``download`` it finds the files of Debian's
    ``dataset-fashion-mnist`` package; ``bundled=True`` loads the class-balanced subset shipped with
    danlu (10,000 train / 2,000 test images) and needs neither files nor network."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    _extra_dirs = (DEBIAN_FASHION_MNIST,)

    def __init__(self, root=None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False, bundled: bool = False) -> None:
        if bundled:
            if root is not None or download:
                raise ValueError("bundled=True loads the subset shipped with danlu; do not pass root or download")
            root = BUNDLED_FASHION_MNIST
        self.bundled = bundled
        super().__init__(root, train, transform, target_transform, download)

    def _hint(self) -> str:
        return (", or install Debian's dataset-fashion-mnist package, or use bundled=True for the "
                "10,000-image subset shipped with danlu")


class FashionMNISTSubset(FashionMNIST):
    """The bundled Fashion-MNIST subset: ``FashionMNIST(train=train, bundled=True, ...)``."""

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        super().__init__(None, train, transform, target_transform, bundled=True)


def read_cifar_binary(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a CIFAR-10 binary batch: records of 1 label byte + 3,072 pixel bytes (the 32×32 red,
    then green, then blue planes). Returns ``(images (N, 32, 32, 3) uint8, labels (N,) int64)``."""
    raw = np.fromfile(path, dtype=np.uint8)
    rec = 1 + 3 * 32 * 32
    if raw.size == 0 or raw.size % rec:
        raise RuntimeError(f"corrupt CIFAR-10 binary file {os.fspath(path)}: {raw.size} bytes is not a "
                           f"positive multiple of the {rec}-byte record")
    raw = raw.reshape(-1, rec)
    labels = raw[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise RuntimeError(f"corrupt CIFAR-10 binary file {os.fspath(path)}: label {labels.max()} > 9")
    images = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


class CIFAR10(VisionDataset):
    """CIFAR-10, binary version (no pickle): ``root/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin``.
    ``download=True`` fetches and checks the upstream archive (MD5 and SHA-256) and extracts it."""

    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    sha256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root=None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(get_data_home(root), transform, target_transform)
        self.train = train
        if download and not self._check_exists():
            download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.md5,
                                         sha256=self.sha256)
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found or corrupted. You can use download=True to download it "
                               f"(looked in {os.path.join(self.root, self.base_folder)})")
        parts = [read_cifar_binary(os.path.join(self.root, self.base_folder, f))
                 for f in (self.train_list if train else self.test_list)]
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts]).tolist()
        self._labels = np.asarray(self.targets, dtype=np.int64)

    def _check_exists(self) -> bool:
        files = self.train_list if self.train else self.test_list
        return all(os.path.isfile(os.path.join(self.root, self.base_folder, f)) for f in files)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index):
        i = self._check_index(index)
        return self._finish(self.data[i], int(self._labels[i]))


def load_data_fashion_mnist(batch_size: int, resize=None, *, bundled: bool = True, root=None,
                            num_workers: int = 0, download: bool = False):
    """``(train_loader, test_loader)`` over Fashion-MNIST (the bundled subset by default), images
    ``ToTensor``-ed (and resized when ``resize`` is given); the training loader shuffles."""
    from ..utils.data import DataLoader
    from ..vision import transforms as T

    trans = T.Compose([T.Resize(resize), T.ToTensor()]) if resize else T.ToTensor()
    kw = dict(bundled=True) if bundled else dict(root=root, download=download)
    train = FashionMNIST(train=True, transform=trans, **kw)
    test = FashionMNIST(train=False, transform=trans, **kw)
    return (DataLoader(train, batch_size, shuffle=True, num_workers=num_workers),
            DataLoader(test, batch_size, shuffle=False, num_workers=num_workers))
