"""torchvision.datasets names: ``MNIST``, ``FashionMNIST``, ``CIFAR10`` (see ``danlu.datasets.vision``)."""
from ..datasets.vision import CIFAR10, MNIST, FashionMNIST, FashionMNISTSubset, VisionDataset

__all__ = ["CIFAR10", "MNIST", "FashionMNIST", "FashionMNISTSubset", "VisionDataset"]
