"""danlu.text: tokenisation, vocabularies and language-model minibatches (danlu's own package).

>>> from danlu.text import load_data_time_machine
>>> train_iter, vocab = load_data_time_machine(batch_size=32, num_steps=35)   # char-level, offline
>>> for X, Y in train_iter: ...        # int64 (32, 35) each; Y is X shifted by one token
"""
from ._text import (
    SeqDataLoader,
    Vocab,
    count_corpus,
    load_corpus_time_machine,
    load_data_time_machine,
    read_time_machine,
    seq_data_iter_random,
    seq_data_iter_sequential,
    tokenize,
)

__all__ = ["SeqDataLoader", "Vocab", "count_corpus", "load_corpus_time_machine", "load_data_time_machine",
           "read_time_machine", "seq_data_iter_random", "seq_data_iter_sequential", "tokenize"]
