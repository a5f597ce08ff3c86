"""danlu.utils.data: Dataset, DataLoader, samplers (torch.utils.data).

>>> from danlu.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, num_workers=2)
"""
from ._collate import collate, default_collate, default_convert
from ._worker import WorkerInfo
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
    "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "collate",
    "default_collate", "default_convert", "get_worker_info", "random_split",
]
