"""danlu.utils: data loading and helpers (torch.utils)."""
