"""danlu.utils.data: Dataset, DataLoader, samplers (torch.utils.data)."""
