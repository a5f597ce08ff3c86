"""Tutorial-style PyTorch programs run under torch and under ``import danlu as torch`` (see
``tests/test_programs.py`` for the harness and its rules): the kinds of complete programs the
PyTorch tutorials and courses walk through -- a network from raw tensors, sequence models,
attention, a Transformer language model, a GAN, a VAE, text classification, custom autograd
Functions, a data pipeline with checkpointing, tensor-manipulation-heavy code, fine-tuning and
pruning, deep Q-learning, and adversarial examples / style transfer -- each exercising many APIs
in combination.

Every weight and every sample is drawn from NumPy (``np.random.default_rng``; the RL program's
exploration from Python's ``random``, seeded), dropout is used only in eval mode or with p=0,
and where torch leaves an order unspecified (``topk`` and ``kthvalue`` among equal values) the
programs avoid ties.
"""
from __future__ import annotations

import warnings

import pytest

from tests.test_programs import check_program

# the first forward-mode call imports torch._decomp.decompositions_for_jvp, whose import raises
# one-time "torch.jit.script is deprecated" warnings inside torch; importing it here keeps that
# import-time noise out of the programs' warning streams (as in tests/test_programs_more.py)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import torch._decomp.decompositions_for_jvp  # noqa: F401

# "What is torch.nn really?": a model from raw tensors (hand-written log_softmax, nll through
# x[range(n), y], manual SGD under no_grad), then Lambda layers, a wrapped DataLoader and
# loss_batch; indexing and Python-protocol corners such code runs into
NN_FROM_SCRATCH = r'''
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader

rng = np.random.default_rng(0)
x_train = torch.from_numpy(rng.random((20, 16)).astype(np.float32))
y_train = torch.from_numpy(rng.integers(0, 4, 20))
weights = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32)) / math.sqrt(16)
weights.requires_grad_()
bias = torch.zeros(4, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll
bs = 5
xb = x_train[0:bs]
preds = model(xb)
report("preds0", (preds[0], preds.shape))
report("loss", loss_func(preds, y_train[0:bs]))


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


report("acc", accuracy(preds, y_train[0:bs]))
lr = 0.5
n = 20
for epoch in range(2):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
report("trained", (loss_func(model(xb), yb), accuracy(model(xb), yb)))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func
    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 4, 4)


cnn = nn.Sequential(Lambda(preprocess), nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                    nn.Conv2d(4, 4, kernel_size=3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                    Lambda(lambda x: x.view(x.size(0), -1)))
with torch.no_grad():
    for p in cnn.parameters():
        p.copy_(torch.from_numpy(0.4 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
report("cnn", cnn(x_train[:3]))
report("repr", repr(cnn))


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func
    def __len__(self):
        return len(self.dl)
    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


train_dl = WrappedDataLoader(DataLoader(TensorDataset(x_train, y_train), batch_size=bs * 2), lambda x, y: (x.view(-1, 1, 4, 4), y))
opt = torch.optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


for epoch in range(2):
    cnn.train()
    for xb, yb in train_dl:
        loss_batch(cnn, F.cross_entropy, xb, yb, opt)
    cnn.eval()
    with torch.no_grad():
        losses, nums = zip(*[loss_batch(cnn, F.cross_entropy, xb, yb) for xb, yb in train_dl])
    val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
    report("val", (epoch, val_loss))
# indexing and Python-protocol odds a from-scratch program runs into
t = torch.arange(24).view(2, 3, 4)
report("range idx", t[range(2), [0, 2]])
report("np idx", t[np.array([1, 0]), :, np.int64(2)])
report("tuple list", t[[0, 1], [1, 2], [3, 0]])
report("bool np", t[np.array([True, False])])
report("tensor scalar idx", t[torch.tensor(1)])
report("ellipsis none", t[..., None, 1].shape)
report("neg step slice", t.flip(2)[:, ::2])
report("idx with tuple of tensors", t[(torch.tensor(0), torch.tensor(1))])
report("long dtype idx", t[torch.tensor([1, 0], dtype=torch.int32)])
report("slice assign broadcast", t.clone().index_fill_(1, torch.tensor([0]), -1))
t2 = t.clone().float()
t2[t2 > 10] = torch.tensor([1.0, 2.0]).repeat(7)[:13]
report("masked assign seq", t2)
t3 = torch.zeros(3, 3)
t3[[0, 1, 1], [1, 2, 2]] += 1
report("dup idx add", t3)
t3.index_put_((torch.tensor([0, 0]), torch.tensor([0, 0])), torch.tensor([1.0, 2.0]), accumulate=True)
report("index_put acc", t3)
report("np scalar mult", (torch.ones(2) * np.float32(2.5)).dtype)
report("np float64 mult", (torch.ones(2) * np.float64(2.5)).dtype)
report("python sum", sum(torch.ones(3)))
report("max of tensors", max(torch.tensor(1.0), torch.tensor(2.0)))
report("round", round(torch.tensor(2.567).item(), 2))
report("int()", int(torch.tensor(3.9)))
report("float()", float(torch.tensor([2])))
report("bool", bool(torch.tensor([0.0]) == 0))
report("len", len(torch.zeros(4, 2)))
report("iter", [r.tolist() for r in torch.arange(4).view(2, 2)])
report("in", 3 in torch.arange(5))
report("hash eq", torch.tensor(1) in {torch.tensor(1): 1})
'''


# a char-level name classifier (GRU over packed sequences, NLLLoss, clipping), the classic
# one-hot RNN cell, and a greedy char generator (nn.RNN, argmax sampling under no_grad)
CHAR_RNN = r'''
import string
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence, pad_packed_sequence, pack_sequence

rng = np.random.default_rng(11)
all_letters = string.ascii_lowercase + " .'"
n_letters = len(all_letters) + 1          # 0 is padding
categories = ["en", "fr", "de"]
names = {"en": ["smith", "jones", "brown"], "fr": ["dupont", "martin", "leroy"],
         "de": ["muller", "schmidt", "weber", "fischer"]}


def letter_to_index(ch):
    return all_letters.find(ch) + 1


def name_to_tensor(name):
    return torch.tensor([letter_to_index(c) for c in name], dtype=torch.long)


def init_(m, scale=0.3):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


class NameClassifier(nn.Module):
    def __init__(self, n_letters, emb, hidden, n_cat):
        super().__init__()
        self.emb = nn.Embedding(n_letters, emb, padding_idx=0)
        self.rnn = nn.GRU(emb, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden, n_cat)

    def forward(self, x, lengths):
        e = self.emb(x)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        return F.log_softmax(self.fc(h[-1]), dim=1)


pairs = [(n, i) for i, c in enumerate(categories) for n in names[c]]
seqs = [name_to_tensor(n) for n, _ in pairs]
lengths = torch.tensor([len(s) for s in seqs])
x = pad_sequence(seqs, batch_first=True, padding_value=0)
y = torch.tensor([c for _, c in pairs])
report("x", x)
report("lengths", lengths)

model = init_(NameClassifier(n_letters, 5, 6, len(categories)))
with torch.no_grad():
    model.emb.weight[0].zero_()
criterion = nn.NLLLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(4):
    optimizer.zero_grad()
    out = model(x, lengths)
    loss = criterion(out, y)
    loss.backward()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    report("epoch", (epoch, loss.item(), total.item()))
report("emb grad pad row", model.emb.weight.grad[0])
report("rnn grad", model.rnn.weight_hh_l1.grad)

with torch.no_grad():
    out = model(x, lengths)
    top_v, top_i = out.topk(1)
    report("top", top_i.squeeze(1))
    report("acc", (out.argmax(1) == y).float().mean().item())
    guess = [categories[i] for i in top_i[:, 0].tolist()]
    report("guess", guess)
    report("probs", out.exp())


# a one-hot character-level RNN cell, as in the classic tutorial
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.softmax(self.i2o(combined))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


rnn = init_(RNN(n_letters, 8, len(categories)), 0.2)
line = F.one_hot(name_to_tensor("weber"), n_letters).float().unsqueeze(1)
report("line shape", tuple(line.shape))
hidden = rnn.initHidden()
rnn.zero_grad()
for i in range(line.size()[0]):
    output, hidden = rnn(line[i], hidden)
loss = nn.NLLLoss()(output, torch.tensor([2]))
loss.backward()
for p in rnn.parameters():
    p.data.add_(p.grad.data, alpha=-0.05)
report("rnn loss", loss)
report("rnn i2h", rnn.i2h.weight)


# a character-level generator with nn.RNN and greedy sampling
class Generator(nn.Module):
    def __init__(self, n, h):
        super().__init__()
        self.emb = nn.Embedding(n, h)
        self.rnn = nn.RNN(h, h, nonlinearity="tanh")
        self.out = nn.Linear(h, n)
        self.drop = nn.Dropout(0.1)

    def forward(self, tok, hidden):
        e = self.emb(tok).unsqueeze(0)
        o, hidden = self.rnn(e, hidden)
        return self.out(self.drop(o.squeeze(0))), hidden


gen = init_(Generator(n_letters, 7), 0.5)
opt = torch.optim.Adam(gen.parameters(), lr=0.02)
targets = [name_to_tensor(n) for n, _ in pairs]
gen.train()
gen.drop.p = 0.0
for step in range(3):
    opt.zero_grad()
    loss = 0
    for t in targets[:4]:
        h = torch.zeros(1, 1, 7)
        inp = torch.cat([torch.tensor([0]), t[:-1]])
        for k in range(len(t)):
            logit, h = gen(inp[k:k + 1], h)
            loss = loss + F.cross_entropy(logit, t[k:k + 1])
    loss = loss / 4
    loss.backward()
    torch.nn.utils.clip_grad_value_(gen.parameters(), 0.5)
    opt.step()
    report("gen loss", loss.item())

gen.eval()
with torch.no_grad():
    h = torch.zeros(1, 1, 7)
    tok = torch.tensor([0])
    chars = []
    for _ in range(6):
        logit, h = gen(tok, h)
        tok = logit.argmax(dim=-1)
        chars.append(all_letters[tok.item() - 1] if tok.item() > 0 else "_")
    report("sample", "".join(chars))
    report("h", h)

# packed sequences through an RNN keep the per-sequence final states
packed = pack_sequence([name_to_tensor(n).float().unsqueeze(-1) for n in ["fischer", "weber", "jo"]])
rnn2 = init_(nn.RNN(1, 3, nonlinearity="relu"), 0.1)
out, h_n = rnn2(packed)
pad, lens = pad_packed_sequence(out, total_length=8)
report("packed data", out.data.shape)
report("pad", pad)
report("lens", lens)
report("h_n", h_n)
'''


# an encoder-decoder with Bahdanau attention (bidirectional LSTM, bmm, masked softmax,
# teacher forcing, NLLLoss with ignore_index), greedy decoding, SDPA and MultiheadAttention
SEQ2SEQ = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(5)
SOS, EOS, PAD = 1, 2, 0
V_SRC, V_TGT, H = 12, 10, 8


def init_(m, scale=0.3):
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V_SRC, H, padding_idx=PAD)
        self.lstm = nn.LSTM(H, H, batch_first=True, bidirectional=True)
        self.bridge_h = nn.Linear(2 * H, H)
        self.bridge_c = nn.Linear(2 * H, H)

    def forward(self, src):
        out, (h, c) = self.lstm(self.embedding(src))
        h = torch.tanh(self.bridge_h(torch.cat([h[0], h[1]], dim=-1))).unsqueeze(0)
        c = self.bridge_c(torch.cat((c[0], c[1]), -1)).unsqueeze(0)
        return out, (h, c)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(2 * hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys, mask):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))   # B, S, 1
        scores = scores.squeeze(2).unsqueeze(1)                            # B, 1, S
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V_TGT, H)
        self.attention = BahdanauAttention(H)
        self.lstm = nn.LSTM(3 * H, H, batch_first=True)
        self.out = nn.Linear(H, V_TGT)

    def forward_step(self, inp, hidden, enc_out, mask):
        emb = self.embedding(inp)                         # B, 1, H
        query = hidden[0].permute(1, 0, 2)                 # B, 1, H
        context, w = self.attention(query, enc_out, mask)
        out, hidden = self.lstm(torch.cat((emb, context), dim=2), hidden)
        return self.out(out), hidden, w

    def forward(self, enc_out, enc_hidden, mask, target=None, max_len=5, teacher=None):
        B = enc_out.size(0)
        inp = torch.empty(B, 1, dtype=torch.long).fill_(SOS)
        hidden = enc_hidden
        outs, atts = [], []
        for i in range(max_len):
            o, hidden, w = self.forward_step(inp, hidden, enc_out, mask)
            outs.append(o)
            atts.append(w)
            if target is not None and teacher[i]:
                inp = target[:, i].unsqueeze(1)
            else:
                _, topi = o.topk(1)
                inp = topi.squeeze(-1).detach()
        return F.log_softmax(torch.cat(outs, 1), dim=-1), hidden, torch.cat(atts, 1)


src_lens = [5, 3, 4]
src = torch.zeros(3, 5, dtype=torch.long)
for b, n in enumerate(src_lens):
    src[b, :n] = torch.from_numpy(rng.integers(3, V_SRC, size=n))
tgt = torch.full((3, 5), PAD, dtype=torch.long)
for b, n in enumerate([4, 2, 5]):
    tgt[b, :n - 1] = torch.from_numpy(rng.integers(3, V_TGT, size=n - 1))
    tgt[b, n - 1] = EOS
mask = src != PAD
report("src", src)
report("tgt", tgt)
report("mask", mask)

enc, dec = init_(Encoder()), init_(Decoder())
params = list(enc.parameters()) + list(dec.parameters())
optimizer = torch.optim.Adam(params, lr=5e-3, betas=(0.9, 0.98), eps=1e-9)
criterion = nn.NLLLoss(ignore_index=PAD, reduction="mean")
teacher = [bool(t) for t in rng.random(5) < 0.5]
report("teacher", teacher)
for epoch in range(3):
    optimizer.zero_grad()
    enc_out, enc_hidden = enc(src)
    logp, _, att = dec(enc_out, enc_hidden, mask, tgt, teacher=teacher)
    loss = criterion(logp.view(-1, logp.size(-1)), tgt.view(-1))
    loss.backward()
    gn = nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=2.0)
    optimizer.step()
    report("loss", loss.item())
    report("grad norm", gn)
report("attention", att)
report("attention rows sum", att.sum(-1))
report("enc lstm grad", enc.lstm.weight_ih_l0_reverse.grad)
report("dec emb grad", dec.embedding.weight.grad)

# token-level masked loss by hand equals the ignore_index loss
with torch.no_grad():
    nll = -logp.gather(2, tgt.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    tmask = (tgt != PAD).float()
    report("masked loss", (nll * tmask).sum() / tmask.sum())
    report("ce sum", F.nll_loss(logp.transpose(1, 2), tgt, ignore_index=PAD, reduction="none"))

# greedy decode and BLEU-like token accuracy
enc.eval(); dec.eval()
with torch.no_grad():
    enc_out, enc_hidden = enc(src)
    logp, hidden, att = dec(enc_out, enc_hidden, mask, max_len=6)
    pred = logp.argmax(-1)
    report("pred", pred)
    first_eos = (pred == EOS).int().argmax(dim=1)
    report("first eos", first_eos)
    report("hidden", hidden[0])

# Luong dot attention with scaled_dot_product_attention and an explicit boolean mask
q = torch.from_numpy(rng.standard_normal((3, 2, 4, 8)).astype(np.float32)).requires_grad_()
k = torch.from_numpy(rng.standard_normal((3, 2, 5, 8)).astype(np.float32)).requires_grad_()
v = torch.from_numpy(rng.standard_normal((3, 2, 5, 8)).astype(np.float32)).requires_grad_()
attn_mask = mask[:, None, None, :].expand(3, 2, 4, 5)
o = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
o.pow(2).mean().backward()
report("sdpa", o)
report("sdpa q grad", q.grad)
ref = torch.softmax((q @ k.transpose(-2, -1)) / 8 ** 0.5 + torch.where(attn_mask, 0.0, float("-inf")), -1) @ v
report("sdpa ref", ref)
mha = init_(nn.MultiheadAttention(8, 2, batch_first=True, kdim=6, vdim=4), 0.2)
kk = torch.from_numpy(rng.standard_normal((3, 5, 6)).astype(np.float32))
vv = torch.from_numpy(rng.standard_normal((3, 5, 4)).astype(np.float32))
out, w = mha(q[:, 0].detach(), kk, vv, key_padding_mask=~mask, average_attn_weights=False)
report("mha", out)
report("mha w", w)
out, w = mha(q[:, 0].detach(), kk, vv, key_padding_mask=~mask)
report("mha avg w", w)
'''


# the word-language-model tutorial in small: torch.accelerator device choice, positional-encoding
# buffer, causal mask, weight tying, AdamW with decay groups, LambdaLR warm-up, label smoothing;
# then nn.Transformer
TRANSFORMER_LM = r'''
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR

rng = np.random.default_rng(7)
V, D, NHEAD, L, T, B = 11, 8, 2, 2, 6, 3


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=32):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.5):
        super().__init__()
        self.model_type = "Transformer"
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout, norm_first=True,
                                                    activation="gelu")
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers,
                                                         enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)
        self.linear.weight = self.embedding.weight          # weight tying

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, src_mask, is_causal=src_mask is not None)
        return self.linear(output)


device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
report("device", device)
model = TransformerModel(V, D, NHEAD, 16, L, dropout=0.0).to(device)
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() > 1:
            p.copy_(torch.from_numpy(0.3 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        else:
            p.copy_(torch.from_numpy(0.05 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
report("n params", sum(p.numel() for p in model.parameters()))
report("param names", [n for n, _ in model.named_parameters()])
report("buffers", [(n, tuple(b.shape)) for n, b in model.named_buffers()])
report("state keys", list(model.state_dict().keys())[:6])
report("tied", model.linear.weight is model.embedding.weight)

data = torch.from_numpy(rng.integers(0, V, size=(40,))).to(device)
with torch.random.fork_rng():
    torch.rand(3)                        # draws inside a fork leave the global stream alone


def batchify(data, bsz):
    seq_len = data.size(0) // bsz
    data = data[:seq_len * bsz]
    return data.view(bsz, seq_len).t().contiguous()


def get_batch(source, i, bptt=T):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


train_data = batchify(data, B)
report("train_data", train_data.shape)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
no_decay = ["bias", "norm"]
groups = [
    {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
     "weight_decay": 0.01},
    {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
     "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(groups, lr=3e-3, betas=(0.9, 0.95))
warmup = 3
scheduler = LambdaLR(optimizer, lambda step: min((step + 1) / warmup, 1.0) * 0.5 ** (step // 4))
src_mask = nn.Transformer.generate_square_subsequent_mask(T)
report("mask", src_mask)
model.train()
for step, i in enumerate(range(0, train_data.size(0) - 1, T)):
    data_b, targets = get_batch(train_data, i)
    mask = src_mask[:data_b.size(0), :data_b.size(0)]
    output = model(data_b, mask)
    loss = criterion(output.view(-1, V), targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    scheduler.step()
    report("step", (step, loss.item(), scheduler.get_last_lr()))
    report("ppl", math.exp(loss.item()))
report("emb", model.embedding.weight)
report("sched state", scheduler.state_dict()["last_epoch"])
report("opt state keys", sorted(optimizer.state_dict()["state"].keys())[:5])
report("opt step", optimizer.state_dict()["state"][0]["step"])

model.eval()
with torch.no_grad():
    ctx = train_data[:2, :1]
    for _ in range(4):
        n = ctx.size(0)
        logits = model(ctx, nn.Transformer.generate_square_subsequent_mask(n))
        probs = F.softmax(logits[-1] / 0.8, dim=-1)
        nxt = torch.argmax(probs, dim=-1, keepdim=True)
        ctx = torch.cat([ctx, nxt], dim=0)
    report("generated", ctx.squeeze(1))
    v, ix = torch.topk(logits[-1], 3)
    report("topk", (v, ix))
    full = model(train_data[:T])
    causal = model(train_data[:T], src_mask)
    report("first row same", torch.allclose(full[-1], causal[-1], atol=1e-6))
    report("causal", causal[:, 0])

# the full encoder-decoder nn.Transformer with masks and padding
tr = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                    dim_feedforward=12, dropout=0.0, batch_first=True)
with torch.no_grad():
    for p in tr.parameters():
        p.copy_(torch.from_numpy(0.2 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
src = torch.from_numpy(rng.standard_normal((2, 5, 8)).astype(np.float32))
tgt = torch.from_numpy(rng.standard_normal((2, 4, 8)).astype(np.float32)).requires_grad_()
tgt_mask = tr.generate_square_subsequent_mask(4)
pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
out = tr(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=pad, memory_key_padding_mask=pad,
         tgt_is_causal=True)
out.sum().backward()
report("transformer out", out)
report("transformer tgt grad", tgt.grad)
report("decoder grad", tr.decoder.layers[0].multihead_attn.out_proj.weight.grad)
'''


# a DCGAN step on 8x8 images (ConvTranspose2d, BatchNorm2d, LeakyReLU, BCEWithLogitsLoss, two
# optimizers, detach), a WGAN-GP gradient penalty, spectral norm, an upsampling block
DCGAN = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

rng = np.random.default_rng(9)
nz, ngf, ndf, nc = 4, 4, 4, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        w = rng.normal(0.0, 0.2, size=tuple(m.weight.shape)).astype(np.float32)
        m.weight.data.copy_(torch.from_numpy(w))
    elif classname.find("BatchNorm") != -1:
        w = rng.normal(1.0, 0.02, size=tuple(m.weight.shape)).astype(np.float32)
        m.weight.data = torch.from_numpy(w)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),   # 4x4
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # 8x8
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 3, 1, 1, bias=False),       # 8x8
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                 # 4x4
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),            # 2x2
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False),              # 1x1
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


netG = Generator()
netG.apply(weights_init)
netD = Discriminator()
netD.apply(weights_init)
report("netG", str(netG))
report("netD", repr(netD))
criterion = nn.BCEWithLogitsLoss()
fixed_noise = torch.from_numpy(rng.standard_normal((3, nz, 1, 1)).astype(np.float32))
real_label, fake_label = 1.0, 0.0
optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
real = torch.from_numpy(np.tanh(rng.standard_normal((4, nc, 8, 8))).astype(np.float32))

for i in range(3):
    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    b_size = real.size(0)
    label = torch.full((b_size,), real_label, dtype=torch.float)
    output = netD(real)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = torch.sigmoid(output).mean().item()
    noise = torch.from_numpy(rng.standard_normal((b_size, nz, 1, 1)).astype(np.float32))
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.sigmoid().mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    # (2) update G: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.sigmoid().mean().item()
    optimizerG.step()
    report("iter", (i, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    report("G grad", netG.main[0].weight.grad)
report("D bn running_mean", netD.main[3].running_mean)
report("D bn running_var", netD.main[3].running_var)
report("D bn batches", netD.main[3].num_batches_tracked)
report("G bn", netG.main[1].weight)

netG.eval()
with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
report("fake", fake)
report("fake range", (fake.min().item() >= -1, fake.max().item() <= 1))
grid = torch.cat([F.pad(f, (1, 1, 1, 1), value=1.0) for f in fake], dim=2)
report("grid", grid.shape)
img = ((grid + 1) * 127.5).clamp(0, 255).to(torch.uint8)
report("uint8 img", img)
report("img mean", img.float().mean())

# WGAN-GP style gradient penalty with create_graph
alpha = torch.from_numpy(rng.random((4, 1, 1, 1)).astype(np.float32))
netG.train()
fake = netG(torch.from_numpy(rng.standard_normal((4, nz, 1, 1)).astype(np.float32)))
interp = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
d_interp = netD(interp)
grads = torch.autograd.grad(outputs=d_interp, inputs=interp,
                            grad_outputs=torch.ones_like(d_interp),
                            create_graph=True, retain_graph=True)[0]
gp = ((grads.view(grads.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
netD.zero_grad()
gp.backward()
report("gp", gp)
report("gp D grad", netD.main[0].weight.grad)
report("gp D bn grad", netD.main[3].weight.grad)

# hinge loss and spectral norm discriminator head
sn = nn.utils.spectral_norm(nn.Linear(8, 1))
with torch.no_grad():
    sn.weight_orig.copy_(torch.from_numpy(rng.standard_normal((1, 8)).astype(np.float32)))
    sn.bias.fill_(0.1)
report("sn keys", sorted(sn.state_dict().keys()))
x = torch.from_numpy(rng.standard_normal((5, 8)).astype(np.float32))
sn(x)                      # one power iteration in training mode fixes u and v
sn.eval()
report("sn sigma", (sn.weight_orig / sn.weight).mean())
report("sn out", F.relu(1.0 - sn(x)).mean())

# upsample + conv generator block and pixel shuffle
up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2, 8, 3, padding=1),
                   nn.PixelShuffle(2), nn.InstanceNorm2d(2, affine=True), nn.LeakyReLU(0.1))
with torch.no_grad():
    for p in up.parameters():
        p.copy_(torch.from_numpy(0.3 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
z = torch.from_numpy(rng.standard_normal((2, 2, 3, 3)).astype(np.float32)).requires_grad_()
y = up(z)
y.square().sum().backward()
report("up out", y)
report("up grad", z.grad)
'''


# a convolutional VAE (reparameterisation, KL term, RMSprop), then text classification with
# nn.EmbeddingBag (offsets from a collate_fn; mean / sum / max) and functional embedding_bag
VAE_AND_TEXT = r'''
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

rng = np.random.default_rng(13)


def init_(m, scale=0.2):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


# ---------------- a convolutional VAE on 8x8 "images" ----------------
class VAE(nn.Module):
    def __init__(self, latent=3):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ELU(),
                                 nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.SiLU(), nn.Flatten())
        self.fc_mu = nn.Linear(32, latent)
        self.fc_logvar = nn.Linear(32, latent)
        self.dec_in = nn.Linear(latent, 32)
        self.dec = nn.Sequential(nn.Unflatten(1, (8, 2, 2)),
                                 nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
                                 nn.Softplus(beta=2.0),
                                 nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1))

    def encode(self, x):
        h = self.enc(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.dec(self.dec_in(z)))

    def forward(self, x, eps):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar, beta=1.0):
    BCE = F.binary_cross_entropy(recon_x.view(-1, 64), x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + beta * KLD, BCE, KLD


images = torch.from_numpy((rng.random((12, 1, 8, 8)) > 0.6).astype(np.float32))
noise = torch.from_numpy(rng.standard_normal((3, 12, 3)).astype(np.float32))
model = init_(VAE())
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, centered=True)
loader = DataLoader(images, batch_size=5, shuffle=False, drop_last=False)
for epoch in range(2):
    train_loss = 0.0
    start = 0
    for batch_idx, data in enumerate(loader):
        eps = noise[epoch, start:start + data.size(0)]
        start += data.size(0)
        optimizer.zero_grad()
        recon, mu, logvar = model(data, eps)
        loss, bce, kld = loss_function(recon, data, mu, logvar, beta=0.5)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        report("batch", (batch_idx, len(data), bce.item(), kld.item()))
    report("epoch loss", train_loss / len(loader.dataset))
report("mu grad", model.fc_mu.weight.grad)
report("dec grad", model.dec[3].weight.grad)
model.eval()
with torch.no_grad():
    sample = model.decode(noise[2, :4])
    report("sample", sample)
    mu, logvar = model.encode(images[:3])
    report("mu", mu)
    interp = torch.stack([torch.lerp(mu[0], mu[1], w) for w in torch.linspace(0, 1, 4)])
    report("interp", model.decode(interp).flatten(1).mean(1))

# ---------------- text classification with EmbeddingBag ----------------
vocab = {w: i for i, w in enumerate("<unk> the a cat dog sat ran on mat fast slow big".split())}


def text_pipeline(s):
    return [vocab.get(w, 0) for w in s.split()]


train_iter = [(0, "the cat sat on the mat"), (1, "a dog ran fast"), (0, "the big cat sat"),
              (1, "dog ran slow on a mat"), (2, "unknown words here"), (1, "a big dog ran"),
              (0, "cat on mat"), (2, "nothing known")]


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(_label)
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list, text_list, offsets


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class, mode):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode=mode)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        with torch.no_grad():
            self.embedding.weight.copy_(torch.from_numpy(
                rng.uniform(-initrange, initrange, size=tuple(self.embedding.weight.shape)).astype(np.float32)))
            self.fc.weight.copy_(torch.from_numpy(
                rng.uniform(-initrange, initrange, size=tuple(self.fc.weight.shape)).astype(np.float32)))
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


dataloader = DataLoader(train_iter, batch_size=3, shuffle=False, collate_fn=collate_batch)
for mode in ["mean", "sum", "max"]:
    model = TextClassificationModel(len(vocab), 4, 3, mode)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
    for epoch in range(2):
        total_acc, total_count = 0, 0
        for idx, (label, text, offsets) in enumerate(dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
        scheduler.step()
        report(f"{mode} epoch", (epoch, total_acc, total_count, scheduler.get_last_lr()[0]))
    report(f"{mode} emb", model.embedding.weight)
    with torch.no_grad():
        label, text, offsets = collate_batch(train_iter[:4])
        report(f"{mode} pred", model(text, offsets).argmax(1))

# per_sample_weights and padding_idx in a functional embedding_bag, 2-D input without offsets
w = torch.from_numpy(rng.standard_normal((6, 3)).astype(np.float32)).requires_grad_()
inp = torch.tensor([1, 2, 4, 5, 4, 3, 2, 0])
offs = torch.tensor([0, 4, 4])
psw = torch.from_numpy(rng.random(8).astype(np.float32))
out = F.embedding_bag(inp, w, offs, mode="sum", per_sample_weights=psw, padding_idx=2)
out.sum().backward()
report("bag psw", out)
report("bag psw grad", w.grad)
bag = nn.EmbeddingBag.from_pretrained(w.detach(), mode="mean", include_last_offset=True)
report("bag last offset", bag(inp, torch.tensor([0, 3, 3, 8])))
report("bag 2d", nn.EmbeddingBag.from_pretrained(w.detach(), mode="max")(inp.view(2, 4)))

# bag of words with a sparse-free one-hot sum and a Bilinear head
bow = F.one_hot(inp.view(2, 4), num_classes=6).sum(1).float()
report("bow", bow)
bil = init_(nn.Bilinear(6, 6, 2))
report("bilinear", bil(bow, bow.flip(0)))
'''


# torch.autograd.Function in its forms: ctx style, setup_context style, once_differentiable
# straight-through estimator, non-differentiable outputs, jvp; gradcheck; module hooks
CUSTOM_FUNCTION = r'''
import math
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Function, gradcheck, gradgradcheck
from torch.autograd.function import once_differentiable

rng = np.random.default_rng(17)


class LegendrePolynomial3(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


x = torch.linspace(-math.pi, math.pi, 50)
y = torch.sin(x)
a = torch.full((), 0.0, requires_grad=True)
b = torch.full((), -1.0, requires_grad=True)
c = torch.full((), 0.0, requires_grad=True)
d = torch.full((), 0.3, requires_grad=True)
learning_rate = 5e-6
for t in range(60):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 20 == 19:
        report("legendre", (t, loss.item()))
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None
report("result", [p.item() for p in (a, b, c, d)])


class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias=None):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class MyLinear(nn.Module):
    def __init__(self, input_features, output_features, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(output_features, input_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(output_features))
        else:
            self.register_parameter("bias", None)
        with torch.no_grad():
            self.weight.copy_(torch.from_numpy(rng.standard_normal((output_features, input_features)).astype(np.float32) * 0.3))
            if bias:
                self.bias.uniform_(-0.0, 0.0).add_(0.1)

    def forward(self, input):
        return LinearFunction.apply(input, self.weight, self.bias)

    def extra_repr(self):
        return f"input_features={self.weight.shape[1]}, output_features={self.weight.shape[0]}, bias={self.bias is not None}"


lin = MyLinear(4, 3)
report("mylinear", repr(lin))
inp = torch.from_numpy(rng.standard_normal((5, 4)).astype(np.float32)).requires_grad_()
out = lin(inp)
out.pow(2).sum().backward()
report("out", out)
report("grad_fn", type(out.grad_fn).__name__)
report("w grad", lin.weight.grad)
report("b grad", lin.bias.grad)
report("inp grad", inp.grad)
lin_nb = MyLinear(4, 2, bias=False)
out2 = lin_nb(inp.detach())
out2.sum().backward()
report("nb grad", lin_nb.weight.grad)

args = tuple(torch.from_numpy(rng.standard_normal(s)).requires_grad_() for s in ((6, 4), (3, 4), (3,)))
report("gradcheck", gradcheck(LinearFunction.apply, args, eps=1e-6, atol=1e-4))
report("gradgradcheck", gradgradcheck(LinearFunction.apply, args))


class Clamp01STE(Function):
    """straight-through estimator, non-differentiable twice"""
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        mask = (x >= lo) & (x <= hi)
        ctx.save_for_backward(mask)
        return x.clamp(lo, hi).round()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        mask, = ctx.saved_tensors
        return grad * mask, None, None


class Quant(nn.Module):
    def forward(self, x):
        return Clamp01STE.apply(x, -1.0, 1.0)


net = nn.Sequential(nn.Linear(3, 4), Quant(), nn.Linear(4, 1))
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
xx = torch.from_numpy(rng.standard_normal((6, 3)).astype(np.float32))
opt = torch.optim.SGD(net.parameters(), lr=0.05, nesterov=True, momentum=0.9, weight_decay=1e-3)
for _ in range(3):
    opt.zero_grad()
    l = net(xx).pow(2).mean()
    l.backward()
    opt.step()
    report("ste loss", l)
report("ste grad", net[0].weight.grad)
try:
    g, = torch.autograd.grad(net(xx).sum(), net[0].weight, create_graph=True)
    g.sum().backward()
except RuntimeError as e:
    report("double backward err", "trying to differentiate twice a function" in str(e))


class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result


class SplitMax(Function):
    """two outputs, one non-differentiable; materialize_grads off"""
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        v, i = x.max(dim=1)
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(i)
        ctx.shape = x.shape
        return v, i

    @staticmethod
    def backward(ctx, gv, gi):
        i, = ctx.saved_tensors
        if gv is None:
            return None
        return torch.zeros(ctx.shape, dtype=gv.dtype).scatter(1, i.unsqueeze(1), gv.unsqueeze(1))


z = torch.from_numpy(rng.standard_normal((3, 4))).requires_grad_()
e = Exp.apply(z)
v, i = SplitMax.apply(e)
report("i requires grad", i.requires_grad)
(v * torch.tensor([1.0, 2.0, 3.0], dtype=torch.double)).sum().backward()
report("z grad", z.grad)
report("gradcheck exp", gradcheck(Exp.apply, (z.detach().requires_grad_(),)))
report("gradcheck splitmax", gradcheck(lambda t: SplitMax.apply(t)[0], (z.detach().requires_grad_(),)))


class MulConst(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None

    @staticmethod
    def jvp(ctx, gx, gk):
        return gx * ctx.k


import torch.autograd.forward_ad as fwAD
with fwAD.dual_level():
    dual = fwAD.make_dual(z.detach(), torch.ones_like(z))
    out = MulConst.apply(dual, 3.0)
    report("jvp", fwAD.unpack_dual(out).tangent)

# hooks on tensors and modules
lin2 = nn.Linear(3, 2)
with torch.no_grad():
    lin2.weight.copy_(torch.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)))
    lin2.bias.zero_()
seen = []
h1 = lin2.register_forward_hook(lambda m, i, o: seen.append(("fwd", tuple(o.shape))))
h2 = lin2.register_full_backward_hook(lambda m, gi, go: seen.append(("bwd", tuple(go[0].shape), gi[0] is None)))
h3 = lin2.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
xin = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
xin.register_hook(lambda g: g * 10)
o = lin2(xin)
o.sum().backward()
report("hooks seen", seen)
report("hooked grad", xin.grad)
for h in (h1, h2, h3):
    h.remove()
report("after remove", lin2(xin).sum())
'''


# autograd corners a program meets: mark_dirty, retain_grad with backward(inputs=), hook order,
# batched grads, grad modes, in-place ops on views of non-leaves and on preallocated buffers
AUTOGRAD_MECHANICS = r'''
import numpy as np
import torch
from torch.autograd import Function

rng = np.random.default_rng(0)


# a custom in-place op: the input is modified, marked dirty and returned
class AddOne_(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 3


leaf = torch.tensor([1.0, 2.0], requires_grad=True)
a = leaf * 2
b = AddOne_.apply(a)
report("same object", b is a)
report("dirty grad_fn", a.grad_fn.name())
report("dirty value", a)
b.sum().backward()
report("dirty leaf grad", leaf.grad)
try:
    AddOne_.apply(leaf)
except RuntimeError as e:
    report("dirty leaf error", str(e))


class PassThrough(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x, y * 2

    @staticmethod
    def backward(ctx, gx, gy):
        return gx * 5, gy * 2


x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
p, q = PassThrough.apply(x, y)
report("returned input is a new tensor", p is x)
(p.sum() + q.sum()).backward()
report("pass-through grad", (x.grad, y.grad))


class SigmoidSavingOutput(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.sigmoid()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y * (1 - y)


x = torch.tensor([0.5, -1.0], requires_grad=True, dtype=torch.double)
y = SigmoidSavingOutput.apply(x)
g, = torch.autograd.grad(y.sum(), x, create_graph=True)
g2, = torch.autograd.grad(g.sum(), x)
report("second derivative", g2)


class MixedOutputs(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x.argmax(), "label"

    @staticmethod
    def backward(ctx, g, g_idx, g_str):
        return g * 2


o, idx, label = MixedOutputs.apply(x)
report("mixed outputs", (idx, label, o.requires_grad, idx.requires_grad))
o.sum().backward()
report("mixed grad", x.grad)

# retain_grad, backward(inputs=...), hooks
w = torch.tensor([1.0, 2.0], requires_grad=True)
h = w * 3
h.retain_grad()
z = (h ** 2).sum()
z.backward(inputs=[h], retain_graph=True)
report("h grad", h.grad)
report("w untouched", w.grad is None)
seen = []
w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
h.register_hook(lambda g: g * 10)
h.register_hook(lambda g: g + 1)
z.backward(retain_graph=True)
report("post accumulate", seen)
report("hooked retained grad", h.grad)
report("next_functions", [f.name() if f is not None else None for f, _ in z.grad_fn.next_functions])
gs = torch.autograd.grad([h.sum() * 2, (h * h).sum()], [w], grad_outputs=[torch.tensor(1.0), torch.tensor(2.0)],
                         retain_graph=True)
report("two outputs", gs)
jac, = torch.autograd.grad(h, w, grad_outputs=torch.eye(2), is_grads_batched=True)
report("jacobian rows", jac)
u = torch.tensor([1.0], requires_grad=True)
report("unused input", torch.autograd.grad((w * 2).sum(), [w, u], allow_unused=True, materialize_grads=True))

# grad modes
with torch.no_grad():
    with torch.enable_grad():
        e = w * 2
report("enable_grad inside no_grad", e.requires_grad)


@torch.no_grad()
def doubled(t):
    return t * 2


report("no_grad decorator", doubled(w).requires_grad)
with torch.inference_mode():
    report("inference mode", ((w * 2).requires_grad, torch.is_inference_mode_enabled()))
with torch.set_grad_enabled(False):
    report("set_grad_enabled", (w * 2).requires_grad)
report("is_grad_enabled", torch.is_grad_enabled())

# in-place ops: leaf error, versions, in-place on views of a non-leaf
try:
    w.add_(1)
except RuntimeError as err:
    report("leaf in-place", str(err))
v = w.detach()
v.add_(1)
report("detach shares memory", w)
s = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
t = s.exp()
t.add_(1)
try:
    t.sum().backward()
except RuntimeError as err:
    report("saved output modified", str(err)[:120])
s2 = s.clone()
s2[1:].mul_(2)
s2.narrow(0, 0, 2).add_(s[2])
s2.sum().backward()
report("in-place on views", s.grad)
report("base grad_fn", (s2.grad_fn.name(), s2._version))

# an unrolled RNN writing its states into preallocated buffers (copy_, narrow, setitem)
T, B, H = 4, 2, 3
W_ih = torch.from_numpy(rng.standard_normal((H, 2)).astype(np.float32) * 0.5).requires_grad_()
W_hh = torch.from_numpy(rng.standard_normal((H, H)).astype(np.float32) * 0.5).requires_grad_()
xs = torch.from_numpy(rng.standard_normal((T, B, 2)).astype(np.float32))
outputs = torch.zeros(T, B, H)
gates = torch.zeros(B, T * H)
h = torch.zeros(B, H)
for t in range(T):
    h = torch.tanh(xs[t] @ W_ih.t() + h @ W_hh.t())
    outputs[t].copy_(h)
    gates.narrow(1, t * H, H).add_(h.sigmoid())
    outputs[t, :, 0] *= 0.5
report("buffer", (outputs.requires_grad, outputs.is_leaf, repr(outputs.grad_fn).split(" ")[0]))
loss = outputs.pow(2).sum() + gates.mean()
loss.backward()
report("buffer loss", loss)
report("W_ih grad", W_ih.grad)
report("W_hh grad", W_hh.grad)
W_ih.grad = None
hs, h = [], torch.zeros(B, H)
for t in range(T):
    h = torch.tanh(xs[t] @ W_ih.t() + h @ W_hh.t())
    hs.append(h)
out2 = torch.stack(hs)
out2 = torch.cat([out2[..., :1] * 0.5, out2[..., 1:]], -1)
(out2.pow(2).sum() + torch.stack([x.sigmoid() for x in hs], 1).mean()).backward()
report("same through stack", W_ih.grad)
'''


# seed / cudnn / device boilerplate, a Dataset with transforms, random_split / Subset, samplers
# and collate_fn, class weights, ReduceLROnPlateau, early stopping, checkpoint save / load /
# resume of model + optimizer, a DataParallel-prefixed checkpoint
DATA_PIPELINE = r'''
import os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import (Dataset, DataLoader, random_split, WeightedRandomSampler,
                              SubsetRandomSampler, BatchSampler, SequentialSampler, Subset,
                              ConcatDataset, default_collate)

rng = np.random.default_rng(23)


def set_seed(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


set_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else
                      "mps" if torch.backends.mps.is_available() else "cpu")
report("device", (str(device), torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark))


class ToyDataset(Dataset):
    def __init__(self, n, transform=None):
        self.x = rng.standard_normal((n, 5)).astype(np.float32)
        self.y = (self.x[:, 0] + 0.5 * self.x[:, 1] > 0.3).astype(np.int64)
        self.meta = [f"item{i}" for i in range(n)]
        self.transform = transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        sample = {"x": torch.from_numpy(self.x[idx]), "y": int(self.y[idx]), "name": self.meta[idx]}
        if self.transform:
            sample = self.transform(sample)
        return sample


class Scale:
    def __init__(self, s):
        self.s = s

    def __call__(self, sample):
        return {**sample, "x": sample["x"] * self.s}


ds = ToyDataset(30, transform=Scale(2.0))
report("len", len(ds))
report("item", ds[3])
report("class counts", np.bincount(ds.y).tolist())
train_ds, val_ds, test_ds = random_split(ds, [20, 6, 4], generator=torch.Generator().manual_seed(42))
report("split sizes", (len(train_ds), len(val_ds), len(test_ds)))
report("split type", type(train_ds).__name__)
fr = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(0))
report("fraction sizes", [len(s) for s in fr])

# deterministic index list instead of the random split (streams differ between libraries)
perm = rng.permutation(30)
train_ds, val_ds = Subset(ds, perm[:22].tolist()), Subset(ds, perm[22:].tolist())
report("subset item", train_ds[0]["name"])
report("default_collate", default_collate([ds[0], ds[1]]))


def collate_fn(batch):
    xs = torch.stack([b["x"] for b in batch])
    ys = torch.tensor([b["y"] for b in batch])
    names = [b["name"] for b in batch]
    return xs, ys, names


# class-balanced sampling: the weights are what a user computes; the draw itself is replaced
train_labels = torch.tensor([ds.y[i] for i in perm[:22]])
class_count = torch.bincount(train_labels)
weights = 1.0 / class_count.float()
sample_weights = weights[train_labels]
report("sample weights", sample_weights)
wrs = WeightedRandomSampler(sample_weights, num_samples=22, replacement=True)
report("wrs len", len(wrs))
report("wrs draws", len(list(iter(wrs))))

order = rng.permutation(22).tolist()
batch_sampler = BatchSampler(order, batch_size=6, drop_last=False)
report("batches", list(batch_sampler))
train_loader = DataLoader(train_ds, batch_sampler=batch_sampler, collate_fn=collate_fn)
val_loader = DataLoader(val_ds, batch_size=4, sampler=SequentialSampler(val_ds), collate_fn=collate_fn)
report("loader lens", (len(train_loader), len(val_loader)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def init_(m):
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.from_numpy(0.4 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))


model = Net()
init_(model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4, amsgrad=True)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1,
                                                       threshold=1e-3)
criterion = nn.CrossEntropyLoss(weight=weights)
ckpt_path = os.path.join(TMPDIR, "checkpoint.pt")
best_val, bad_epochs, patience = float("inf"), 0, 3


def evaluate(model, loader):
    model.eval()
    total, correct, loss = 0, 0, 0.0
    with torch.no_grad():
        for x, y, _ in loader:
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += y.numel()
    return loss / total, correct / total


for epoch in range(8):
    model.train()
    running = 0.0
    for x, y, names in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        running += loss.item() * x.size(0)
    val_loss, val_acc = evaluate(model, val_loader)
    scheduler.step(val_loss)
    report("epoch", (epoch, running / 22, val_loss, val_acc, optimizer.param_groups[0]["lr"]))
    if val_loss < best_val - 1e-4:
        best_val, bad_epochs = val_loss, 0
        torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "loss": val_loss}, ckpt_path)
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            report("early stop", epoch)
            break

checkpoint = torch.load(ckpt_path, weights_only=False)
report("ckpt epoch", checkpoint["epoch"])
report("ckpt keys", list(checkpoint["model_state_dict"].keys()))
report("ckpt opt", sorted(checkpoint["optimizer_state_dict"]["param_groups"][0].keys()))
report("ckpt opt state", sorted(checkpoint["optimizer_state_dict"]["state"][0].keys()))
model2 = Net()
optimizer2 = torch.optim.Adam(model2.parameters(), lr=0.05, weight_decay=1e-4, amsgrad=True)
scheduler2 = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer2, mode="min", factor=0.5, patience=1)
report("load result", str(model2.load_state_dict(checkpoint["model_state_dict"])))
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
scheduler2.load_state_dict(checkpoint["scheduler"])
report("restored lr", optimizer2.param_groups[0]["lr"])
report("restored best", scheduler2.best)
report("restored val", evaluate(model2, val_loader))
report("bn buffers", (model2.bn.running_mean, model2.bn.num_batches_tracked))
# resume training one more epoch
model2.train()
for x, y, _ in train_loader:
    optimizer2.zero_grad()
    F.cross_entropy(model2(x), y).backward()
    optimizer2.step()
report("resumed fc2", model2.fc2.weight)
report("exp_avg_sq", optimizer2.state[model2.fc2.weight]["max_exp_avg_sq"])

# strict=False load with a mismatched head, and saving a plain tensor / list
sd = model2.state_dict()
sd.pop("fc2.bias")
sd["extra"] = torch.zeros(1)
res = Net().load_state_dict(sd, strict=False)
report("missing", res.missing_keys)
report("unexpected", res.unexpected_keys)
torch.save([torch.arange(3), {"a": torch.ones(2, dtype=torch.float64)}], os.path.join(TMPDIR, "t.pt"))
report("loaded list", torch.load(os.path.join(TMPDIR, "t.pt")))
try:
    Net().load_state_dict(sd)
except RuntimeError as e:
    report("strict error", str(e).splitlines()[0])

# a checkpoint written from a DataParallel-wrapped model carries "module." prefixes
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
dp_state = {"module." + k: v for k, v in model2.state_dict().items()}
consume_prefix_in_state_dict_if_present(dp_state, "module.")
report("prefix removed", str(Net().load_state_dict(dp_state)))

# concat datasets and a SubsetRandomSampler length
cat = ConcatDataset([train_ds, val_ds])
report("concat", (len(cat), cat[22]["name"], cat.cumulative_sizes))
report("srs len", len(SubsetRandomSampler(list(range(7)))))
report("drop_last", len(DataLoader(range(10), batch_size=3, drop_last=True)))
report("range batches", [b.tolist() for b in DataLoader(range(7), batch_size=3)])
'''


# tensor-manipulation-heavy code: einsum (also the sublist form), gather / scatter, boolean
# masks, sort / topk / unique, cumulative ops, interpolate / pad / unfold / fold (and a conv
# layer built on unfold + einsum), dtype rules
TENSOR_MANIPULATION = r'''
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(29)
f32 = lambda *s: torch.from_numpy(rng.standard_normal(s).astype(np.float32))

# --- einsum-based attention and bilinear forms ---
q, k, v = f32(2, 3, 4, 5), f32(2, 3, 6, 5), f32(2, 3, 6, 5)
q.requires_grad_()
scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / 5 ** 0.5
attn = scores.softmax(-1)
out = torch.einsum("bhqk,bhkd->bhqd", attn, v)
report("einsum attn", out)
report("einsum trace", torch.einsum("ii", f32(3, 3)))
report("einsum outer", torch.einsum("i,j->ij", torch.arange(3.0), torch.arange(2.0)))
report("einsum batch diag", torch.einsum("bii->bi", f32(2, 3, 3)))
report("einsum ellipsis", torch.einsum("...ij,...jk", f32(2, 2, 3), f32(2, 3, 2)))
report("einsum sublist", torch.einsum(f32(2, 3), [0, 1], f32(3, 4), [1, 2], [0, 2]))
report("bilinear form", torch.einsum("bi,ij,bj->b", f32(4, 3), f32(3, 3), f32(4, 3)))
out.sum().backward()
report("einsum grad", q.grad)

# --- gather / scatter / index ops for a per-class statistics pipeline ---
logits = f32(6, 4)
labels = torch.tensor([0, 3, 1, 1, 2, 3])
picked = logits.gather(1, labels.unsqueeze(1)).squeeze(1)
report("gather", picked)
sums = torch.zeros(4).scatter_add_(0, labels, picked)
counts = torch.zeros(4).scatter_add(0, labels, torch.ones(6))
report("scatter_add mean", sums / counts.clamp(min=1))
report("scatter_reduce amax", torch.zeros(4).scatter_reduce(0, labels, picked, reduce="amax", include_self=False))
report("scatter_reduce mean", torch.full((4,), 5.0).scatter_reduce(0, labels, picked, reduce="mean"))
report("index_add", torch.zeros(4, 4).index_add_(0, labels, logits, alpha=0.5))
report("index_select", logits.index_select(1, torch.tensor([3, 0])))
report("take_along_dim", torch.take_along_dim(logits, logits.argsort(dim=1), dim=1))
onehot = torch.zeros(6, 4).scatter_(1, labels[:, None], 1.0)
report("scatter one-hot", onehot)
report("one_hot", F.one_hot(labels, num_classes=5))
report("one_hot inferred", F.one_hot(torch.tensor([[1, 0], [2, 1]])).shape)
report("bincount", torch.bincount(labels, weights=picked, minlength=5))

# --- boolean masks, where, nonzero ---
x = f32(4, 5)
mask = x > 0.2
report("masked select", x[mask])
report("masked count", mask.sum(dim=1))
report("nonzero", mask.nonzero())
report("nonzero tuple", torch.nonzero(mask, as_tuple=True))
report("argwhere", torch.argwhere(mask[:2]))
y = x.clone()
y[mask] = 0.0
y[~mask] *= 2
report("mask assign", y)
y[x.abs() > 1] = torch.tensor(-9.0)
report("mask assign tensor", y)
y[:, torch.tensor([True, False, True, False, False])] += 100
report("column mask", y)
report("where", torch.where(x > 0, x, torch.zeros_like(x)))
report("where broadcast", torch.where(mask, x, torch.tensor([[1.0], [2.0], [3.0], [4.0]])))
report("masked_fill", x.masked_fill(~mask, float("-inf")).softmax(-1))
report("any all", (mask.any(dim=1), mask.all(), mask.any().item()))
report("logical", torch.logical_and(mask, x < 1).int().sum())
report("isin", torch.isin(labels, torch.tensor([1, 3])))

# --- sort / topk / unique / kthvalue ---
vals = torch.tensor([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0])
report("sort", torch.sort(vals, descending=True, stable=True))
report("argsort", vals.argsort(stable=True))
distinct = vals + torch.arange(10) * 0.01     # topk's order among ties is unspecified
report("topk", distinct.topk(3))
report("topk smallest", torch.topk(distinct, k=2, largest=False, sorted=True))
u, inv, cnt = torch.unique(vals, sorted=True, return_inverse=True, return_counts=True)
report("unique", (u, inv, cnt))
report("unique_consecutive", torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1]), return_counts=True))
report("unique dim", torch.unique(torch.tensor([[1, 2], [3, 4], [1, 2]]), dim=0, return_counts=True))
report("kthvalue", torch.kthvalue(vals, 3))
report("median", (vals.median(), vals.view(2, 5).median(dim=1)))
report("mode", torch.mode(torch.tensor([1, 2, 2, 3, 3, 3, 1])))
report("searchsorted", torch.searchsorted(torch.tensor([1.0, 3.0, 5.0, 7.0]), torch.tensor([0.0, 3.0, 6.0, 8.0]), right=True))
report("bucketize", torch.bucketize(vals, torch.tensor([2.0, 4.0, 6.0])))
report("histc", torch.histc(vals, bins=4, min=0, max=10))

# --- cumulative ops and sequence utilities ---
lengths = torch.tensor([2, 3, 1])
offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
report("offsets", offsets)
report("repeat_interleave", torch.repeat_interleave(torch.arange(3), lengths))
report("repeat_interleave tensor", torch.tensor([[1, 2], [3, 4]]).repeat_interleave(2, dim=0))
report("repeat_interleave counts", torch.repeat_interleave(lengths))
seg = torch.repeat_interleave(torch.arange(3), lengths)
report("segment max", torch.zeros(3).scatter_reduce(0, seg, torch.arange(6.0), "amax", include_self=False))
report("cumprod", torch.cumprod(torch.tensor([1.0, 2.0, 3.0, 0.5]), 0))
report("cummax", torch.cummax(vals, 0))
report("logcumsumexp", torch.logcumsumexp(vals / 3, 0))
report("diff", torch.diff(vals, n=2, prepend=torch.tensor([0.0])))
report("running mean", vals.cumsum(0) / torch.arange(1, 11))
report("tril_indices", torch.tril_indices(3, 3, offset=-1))
report("triu mask", torch.ones(4, 4).triu(diagonal=1).bool())
ar = torch.arange(24).view(2, 3, 4)
report("flip roll", (ar.flip(-1)[0, 0], ar.roll(shifts=(1, -1), dims=(1, 2))[0]))
report("movedim", ar.movedim(0, -1).shape)
report("unbind", [t.sum().item() for t in ar.unbind(1)])
report("chunk", [c.shape for c in ar.chunk(3, dim=2)])
report("split sizes", [s.shape for s in ar.split([1, 3], dim=2)])
report("tensor_split", [t.tolist() for t in torch.arange(7).tensor_split(3)])
report("narrow", ar.narrow(2, 1, 2)[1])
report("stack dim", torch.stack([ar[0], ar[1]], dim=-1).shape)
report("meshgrid", torch.meshgrid(torch.arange(2), torch.arange(3), indexing="xy"))
report("cdist", torch.cdist(f32(3, 2), f32(4, 2)))
report("pairwise cos", F.cosine_similarity(f32(3, 1, 4), f32(1, 5, 4), dim=-1))
report("normalize", F.normalize(f32(2, 3), p=1, dim=0))
report("clamp tensor", x.clamp(min=torch.zeros(5), max=torch.full((5,), 0.5)))
report("nan_to_num", torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0]).nan_to_num(posinf=9.0))
report("nansum", torch.tensor([1.0, float("nan"), 2.0]).nansum())

# --- image ops: interpolate, pad, unfold / fold ---
img = f32(1, 2, 4, 4).requires_grad_()
report("nearest", F.interpolate(img, scale_factor=2, mode="nearest")[0, 0, :3])
report("bilinear ac", F.interpolate(img, size=(3, 5), mode="bilinear", align_corners=True))
report("bilinear", F.interpolate(img, scale_factor=1.5, mode="bilinear", align_corners=False))
report("bicubic", F.interpolate(img, size=(6, 6), mode="bicubic", align_corners=False))
report("area", F.interpolate(img, size=(2, 3), mode="area"))
report("linear 1d", F.interpolate(img[:, :, 0], size=7, mode="linear"))
report("pad reflect", F.pad(img, (1, 2, 0, 1), mode="reflect"))
report("pad replicate", F.pad(img, (1, 1, 1, 1), mode="replicate")[0, 1])
report("pad circular", F.pad(img, (2, 0, 0, 1), mode="circular")[0, 0])
report("pad constant neg", F.pad(img, (-1, 1, 0, 0), value=3.0).shape)
patches = F.unfold(img, kernel_size=2, stride=2)
report("unfold", patches)
report("unfold dil", F.unfold(img, kernel_size=(2, 3), dilation=(2, 1), padding=1).shape)
recon = F.fold(patches, output_size=(4, 4), kernel_size=2, stride=2)
report("fold roundtrip", torch.equal(recon, img))
overlap = F.fold(F.unfold(img, 3, padding=1), (4, 4), 3, padding=1)
divisor = F.fold(F.unfold(torch.ones_like(img), 3, padding=1), (4, 4), 3, padding=1)
report("fold divisor", divisor[0, 0])
report("fold avg", overlap / divisor)
t_unf = img.unfold(2, 2, 1)
report("tensor unfold", t_unf.shape)
loss = (F.interpolate(img, scale_factor=2, mode="bilinear") ** 2).sum() + overlap.sum() \
    + F.pad(img, (1, 1, 1, 1), mode="reflect").pow(3).sum() + t_unf.sum()
loss.backward()
report("image grad", img.grad)
# a convolution written with unfold + einsum, as custom layers do, against F.conv2d
from torch.nn.modules.utils import _pair


class UnfoldConv2d(torch.nn.Module):
    def __init__(self, cin, cout, kernel_size, stride=1, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.weight = torch.nn.Parameter(f32(cout, cin, *self.kernel_size))

    def forward(self, x):
        n, _, h, w = x.shape
        cols = F.unfold(x, self.kernel_size, stride=self.stride, padding=self.padding)
        out = torch.einsum("ok,nkl->nol", self.weight.flatten(1), cols)
        oh = (h + 2 * self.padding[0] - self.kernel_size[0]) // self.stride[0] + 1
        ow = (w + 2 * self.padding[1] - self.kernel_size[1]) // self.stride[1] + 1
        return out.view(n, -1, oh, ow)


uconv = UnfoldConv2d(2, 3, (3, 2), stride=(1, 2), padding=1)
img2 = img.detach().requires_grad_()
y_unf = uconv(img2)
y_ref = F.conv2d(img2, uconv.weight, stride=(1, 2), padding=1)
report("unfold conv", y_unf)
report("unfold conv matches", torch.allclose(y_unf, y_ref, atol=1e-5))
y_unf.square().sum().backward()
report("unfold conv grads", (uconv.weight.grad, img2.grad))
theta = torch.tensor([[[0.9, -0.1, 0.05], [0.1, 1.1, -0.1]]])
grid = F.affine_grid(theta, (1, 2, 4, 4), align_corners=False)
report("grid_sample", F.grid_sample(img.detach(), grid, mode="bilinear", padding_mode="border",
                                    align_corners=False))
report("pixel unshuffle", F.pixel_unshuffle(img.detach(), 2).shape)

# --- dtype and conversion corners ---
a = torch.arange(6).view(2, 3)
report("int div", (a / 2, a // 2, torch.div(a, 4, rounding_mode="floor"), torch.div(-a, 4, rounding_mode="trunc")))
report("int mean", a.float().mean(dim=0))
report("type promo", (a * 1.5).dtype)
report("bool sum", (a > 2).sum().dtype)
report("to list", a.tolist())
report("item type", type(a.sum().item()).__name__)
report("numpy roundtrip", torch.from_numpy(a.numpy() * 2))
report("arange float", torch.arange(0, 1, 0.25))
report("linspace int", torch.linspace(0, 10, steps=5).long())
report("full_like", torch.full_like(a, 7.9))
report("new_tensor", x.new_tensor([1, 2]).dtype)
report("expand", torch.tensor([1, 2, 3]).expand(2, -1))
report("view_as_strided", torch.arange(9.0).as_strided((2, 2), (3, 1), 1))
'''


# transfer learning on a tiny ResNet: deepcopy, frozen backbone with BatchNorm in eval,
# per-group learning rates with OneCycleLR, EMA via AveragedModel, distillation, containers,
# then pruning (global L1, Ln-structured, training through the masks, remove)
FINETUNE = r'''
import copy
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch.nn.utils import parameters_to_vector, vector_to_parameters

rng = np.random.default_rng(31)


def init_(m, scale=0.3):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inp, out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.shortcut = nn.Sequential()
        if stride != 1 or inp != out:
            self.shortcut = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
        self.layer1 = BasicBlock(4, 4)
        self.layer2 = BasicBlock(4, 8, stride=2)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


teacher = init_(TinyResNet())
for m in teacher.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.running_var.fill_(1.5)
        m.running_mean.fill_(0.1)
report("modules", [n for n, m in teacher.named_modules() if isinstance(m, nn.Conv2d)])
report("children", [n for n, _ in teacher.named_children()])
report("n bn", sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in teacher.modules()))

# transfer: copy the teacher, replace the head, freeze the backbone
student = copy.deepcopy(teacher)
report("deepcopy independent", student.fc.weight.data_ptr() != teacher.fc.weight.data_ptr())
student.fc = nn.Linear(student.fc.in_features, 3)
init_(student.fc)
for name, p in student.named_parameters():
    if not name.startswith(("fc", "layer2")):
        p.requires_grad_(False)
report("trainable", [n for n, p in student.named_parameters() if p.requires_grad])
report("frozen count", sum(p.numel() for p in student.parameters() if not p.requires_grad))


def set_bn_eval(m):
    if isinstance(m, nn.BatchNorm2d) and not m.weight.requires_grad:
        m.eval()


optimizer = torch.optim.SGD([
    {"params": student.layer2.parameters(), "lr": 1e-3},
    {"params": student.fc.parameters()},
], lr=1e-2, momentum=0.9, nesterov=True, weight_decay=5e-4)
steps = 6
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[0.01, 0.1], total_steps=steps,
                                                pct_start=0.3, anneal_strategy="cos")
ema = torch.optim.swa_utils.AveragedModel(student, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
images = torch.from_numpy(rng.standard_normal((6, 3, 8, 8)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 3, size=6))
student.train()
student.apply(set_bn_eval)
report("bn modes", [m.training for m in student.modules() if isinstance(m, nn.BatchNorm2d)])
for step in range(steps):
    optimizer.zero_grad()
    logits = student(images)
    loss = F.cross_entropy(logits, labels, label_smoothing=0.05)
    loss.backward()
    optimizer.step()
    scheduler.step()
    ema.update_parameters(student)
    report("step", (step, loss.item(), [g["lr"] for g in optimizer.param_groups]))
report("frozen grad", student.stem[0].weight.grad)
report("layer2 bn running", student.layer2.bn1.running_mean)
report("stem bn running unchanged", student.stem[1].running_mean)
report("ema n_averaged", ema.n_averaged)
report("ema fc", ema.module.fc.weight)
torch.optim.swa_utils.update_bn([(images,)], ema)
report("ema bn after update_bn", ema.module.layer2.bn2.running_var)

# knowledge distillation with a temperature
T = 2.0
teacher.eval()
with torch.no_grad():
    t_logits = teacher(images)[:, :3]
s_logits = student(images)
kd = F.kl_div(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1),
              reduction="batchmean") * T * T
kd2 = nn.KLDivLoss(reduction="batchmean", log_target=True)(F.log_softmax(s_logits / T, 1),
                                                           F.log_softmax(t_logits / T, 1))
report("kd", kd)
report("kd log_target", kd2)
kd.backward()
report("kd grad", student.fc.weight.grad)

# parameters as one vector, and back
vec = parameters_to_vector(student.fc.parameters())
report("vec", vec)
vector_to_parameters(vec * 0.5, student.fc.parameters())
report("halved", student.fc.bias)

# ModuleDict / ParameterDict / ParameterList / register_buffer, and state_dict prefixes
class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "reg": nn.Linear(8, 1)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(1) * (i + 1)) for i in range(2)])
        self.bias = nn.ParameterDict({"cls": nn.Parameter(torch.zeros(3))})
        self.register_buffer("steps", torch.tensor(0))
        self.register_buffer("tmp", torch.zeros(2), persistent=False)

    def forward(self, h):
        self.steps += 1
        return (self.heads["cls"](h) * self.scales[0] + self.bias["cls"],
                self.heads["reg"](h) * self.scales[1])


heads = init_(Heads())
report("heads state", list(heads.state_dict().keys()))
report("heads repr", repr(heads))
feats = torch.from_numpy(rng.standard_normal((4, 8)).astype(np.float32))
c, r = heads(feats)
(c.logsumexp(1).mean() + F.smooth_l1_loss(r.squeeze(1), torch.zeros(4), beta=0.5)).backward()
report("scales grad", [p.grad for p in heads.scales])
report("steps", heads.steps)
report("bias grad", heads.bias["cls"].grad)
report("get_submodule", type(heads.get_submodule("heads.reg")).__name__)
report("get_parameter", heads.get_parameter("heads.cls.bias").shape)
heads.requires_grad_(False)
report("none trainable", any(p.requires_grad for p in heads.parameters()))
heads.zero_grad()
report("grads cleared", heads.scales[0].grad)
h2 = Heads()
h2.load_state_dict(heads.state_dict())
report("loaded steps", h2.steps)
report("half", heads.half().heads["cls"].weight.dtype)
report("double", heads.double().scales[0].dtype)
report("buffer dtype", heads.steps.dtype)

# weight norm reparametrization and gradient flow through it
wn = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3))
init_(wn)
report("wn names", sorted(n for n, _ in wn.named_parameters()))
out = wn(feats[:, :4]).sum()
out.backward()
report("wn g grad", wn.parametrizations.weight.original0.grad)
nn.utils.parametrize.remove_parametrizations(wn, "weight")
report("wn removed", sorted(n for n, _ in wn.named_parameters()))

# pruning the fine-tuned student: global L1 over the convolutions, structured on the head
to_prune = [(m, "weight") for m in student.modules() if isinstance(m, nn.Conv2d)]
prune.global_unstructured(to_prune, pruning_method=prune.L1Unstructured, amount=0.4)
prune.ln_structured(student.fc, "weight", amount=1, n=2, dim=0)
report("pruned names", sorted(n for n, _ in student.layer2.conv1.named_buffers()))
report("global sparsity", [float((m.weight == 0).sum()) / m.weight.numel() for m, _ in to_prune])
report("head mask", student.fc.weight_mask)
report("is_pruned", prune.is_pruned(student))
for p in student.parameters():
    p.requires_grad_(True)
opt = torch.optim.SGD(student.parameters(), lr=0.05)
student.train()
for _ in range(2):
    opt.zero_grad()
    loss = F.cross_entropy(student(images), labels)
    loss.backward()
    opt.step()
    report("pruned loss", loss)
report("orig grad zero where pruned", student.layer2.conv2.weight_orig.grad[student.layer2.conv2.weight_mask == 0].abs().sum())
report("pruned weight", student.fc.weight)
for m, name in to_prune + [(student.fc, "weight")]:
    prune.remove(m, name)
report("after remove", (prune.is_pruned(student), sorted(student.fc.state_dict().keys())))
report("zeros kept", float((student.layer1.conv1.weight == 0).sum()))
'''


# the DQN tutorial on a deterministic corridor (replay memory of namedtuples, gather of Q values,
# masked next-state values, SmoothL1Loss, soft target updates through state_dict), then REINFORCE;
# exploration and replay sampling use Python's random, seeded, as the tutorial does
REINFORCEMENT = r'''
import math
import random
from collections import namedtuple, deque
from itertools import count

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

random.seed(5)                      # Python's own generator drives exploration and replay
rng = np.random.default_rng(5)
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class Corridor:
    """a deterministic 1-D corridor: reach the right end"""
    def __init__(self, n=6):
        self.n = n

    def reset(self):
        self.pos = 1
        return self.obs()

    def obs(self):
        return [self.pos / self.n, 1.0 - self.pos / self.n, float(self.pos == self.n - 1)]

    def step(self, action):
        self.pos = max(0, min(self.n - 1, self.pos + (1 if action == 1 else -1)))
        terminated = self.pos == self.n - 1
        reward = 1.0 if terminated else -0.1
        return self.obs(), reward, terminated, self.pos == 0


class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super().__init__()
        self.layer1 = nn.Linear(n_observations, 16)
        self.layer2 = nn.Linear(16, 16)
        self.layer3 = nn.Linear(16, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 8, 0.9, 0.9, 0.05, 50, 0.05, 1e-3
env = Corridor()
policy_net = DQN(3, 2)
with torch.no_grad():
    for p in policy_net.parameters():
        p.copy_(torch.from_numpy(0.3 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
target_net = DQN(3, 2)
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(100)
steps_done = 0


def select_action(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    return torch.tensor([[random.randrange(2)]], dtype=torch.long)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss.item()


durations, losses = [], []
for i_episode in range(6):
    state = torch.tensor(env.reset(), dtype=torch.float32).unsqueeze(0)
    for t in count():
        action = select_action(state)
        observation, reward, terminated, truncated = env.step(action.item())
        reward = torch.tensor([reward])
        done = terminated or truncated or t >= 15
        next_state = None if terminated else torch.tensor(observation, dtype=torch.float32).unsqueeze(0)
        memory.push(state, action, next_state, reward)
        state = next_state
        loss = optimize_model()
        if loss is not None:
            losses.append(loss)
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = policy_net_state_dict[key] * TAU + target_net_state_dict[key] * (1 - TAU)
        target_net.load_state_dict(target_net_state_dict)
        if done or state is None:
            durations.append(t + 1)
            break
report("durations", durations)
report("losses", losses)
report("steps", steps_done)
report("target layer3", target_net.layer3.weight)
durations_t = torch.tensor(durations, dtype=torch.float)
report("running mean", durations_t.unfold(0, 3, 1).mean(1).view(-1))
with torch.no_grad():
    q = policy_net(torch.tensor([[k / 6, 1 - k / 6, float(k == 5)] for k in range(6)]))
report("greedy policy", q.argmax(1))
report("q values", q)

# REINFORCE with a categorical policy on the same corridor: log_prob via log_softmax + gather
policy = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
with torch.no_grad():
    for p in policy.parameters():
        p.copy_(torch.from_numpy(0.5 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
opt = optim.Adam(policy.parameters(), lr=1e-2)
for episode in range(3):
    obs, log_probs, rewards = env.reset(), [], []
    for t in range(10):
        logits = policy(torch.tensor(obs).unsqueeze(0))
        probs = F.softmax(logits, dim=-1)
        action = 0 if random.random() < probs[0, 0].item() else 1   # sampled with Python's random
        log_probs.append(F.log_softmax(logits, -1)[0, action])
        obs, r, term, trunc = env.step(action)
        rewards.append(r)
        if term or trunc:
            break
    R, returns = 0.0, []
    for r in rewards[::-1]:
        R = r + GAMMA * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-8) if len(returns) > 1 else returns
    loss = -(torch.stack(log_probs) * returns).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    report("reinforce", (len(rewards), loss.item()))
report("policy weights", policy[2].weight)
'''


# optimizing inputs rather than weights: FGSM adversarial examples (grad of the input, sign,
# clamp) and neural style transfer (Gram matrices, loss modules spliced into an nn.Sequential,
# a frozen CNN, LBFGS with a closure that clamps the image in place)
IMAGE_OPTIMIZATION = r'''
import copy
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

rng = np.random.default_rng(17)


def init_(m, scale=0.3):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


# ---------------- FGSM adversarial examples ----------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.fc1 = nn.Linear(6 * 2 * 2, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(self.conv2(x))
        x = F.adaptive_avg_pool2d(x, 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc1(x), dim=1)


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def denorm(batch, mean=[0.1307], std=[0.3081]):
    mean = torch.tensor(mean).view(1, -1, 1, 1)
    std = torch.tensor(std).view(1, -1, 1, 1)
    return batch * std + mean


model = init_(Net())
model.eval()
images = torch.from_numpy(rng.random((6, 1, 12, 12)).astype(np.float32))
targets = torch.from_numpy(rng.integers(0, 10, size=6))
for epsilon in [0.0, 0.05, 0.2]:
    correct, adv_examples = 0, []
    for data, target in zip(images, targets):
        data, target = data.unsqueeze(0), target.unsqueeze(0)
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        data_denorm = denorm(data)
        perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
        perturbed_data_normalized = (perturbed_data - 0.1307) / 0.3081
        output = model(perturbed_data_normalized)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == init_pred.item():
            correct += 1
        adv_examples.append((init_pred.item(), final_pred.item(),
                             perturbed_data.squeeze().detach().cpu().numpy()))
    report("fgsm", (epsilon, correct, [a[:2] for a in adv_examples]))
    report("fgsm example", adv_examples[-1][2])


# ---------------- neural style transfer with LBFGS ----------------
class ContentLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super().__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1))
init_(cnn, 0.4)
cnn = cnn.eval().requires_grad_(False)
report("cnn frozen", any(p.requires_grad for p in cnn.parameters()))
content_layers, style_layers = ["conv_3"], ["conv_1", "conv_2", "conv_3", "conv_4"]
style_img = torch.from_numpy(rng.random((1, 3, 8, 8)).astype(np.float32))
content_img = torch.from_numpy(rng.random((1, 3, 8, 8)).astype(np.float32))


def get_style_model_and_losses(cnn, style_img, content_img):
    normalization = Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = f"conv_{i}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu_{i}"
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = f"pool_{i}"
        else:
            raise RuntimeError(f"Unrecognized layer: {layer.__class__.__name__}")
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module(f"content_loss_{i}", content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module(f"style_loss_{i}", style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break
    model = model[:(i + 1)]
    return model, style_losses, content_losses


model, style_losses, content_losses = get_style_model_and_losses(cnn, style_img, content_img)
report("style model", [name for name, _ in model.named_children()])
input_img = content_img.clone()
input_img.requires_grad_(True)
model.eval()
model.requires_grad_(False)
optimizer = optim.LBFGS([input_img], max_iter=4)
run = [0]
history = []
while run[0] <= 10:
    def closure():
        with torch.no_grad():
            input_img.clamp_(0, 1)
        optimizer.zero_grad()
        model(input_img)
        style_score = sum(sl.loss for sl in style_losses) * 1000.0
        content_score = sum(cl.loss for cl in content_losses)
        loss = style_score + content_score
        loss.backward()
        run[0] += 1
        history.append((run[0], style_score.item(), content_score.item()))
        return style_score + content_score
    optimizer.step(closure)
with torch.no_grad():
    input_img.clamp_(0, 1)
report("style history", history)
report("stylized", input_img)
report("lbfgs state", sorted(optimizer.state_dict()["state"][0].keys()))
report("n_iter", optimizer.state[optimizer._params[0]]["n_iter"])
for sl in style_losses + content_losses:
    del sl.loss                     # graph-carrying attributes cannot be deep-copied
clone = copy.deepcopy(model)
report("deepcopy", [type(m).__name__ for m in clone.children()][-1])
try:
    model(input_img)
    copy.deepcopy(model)
except RuntimeError as e:
    report("deepcopy of a non-leaf", str(e)[:80])
'''


PROGRAMS = {
    "nn_from_scratch": NN_FROM_SCRATCH,
    "char_rnn": CHAR_RNN,
    "seq2seq": SEQ2SEQ,
    "transformer_lm": TRANSFORMER_LM,
    "dcgan": DCGAN,
    "vae_and_text": VAE_AND_TEXT,
    "custom_function": CUSTOM_FUNCTION,
    "autograd_mechanics": AUTOGRAD_MECHANICS,
    "data_pipeline": DATA_PIPELINE,
    "tensor_manipulation": TENSOR_MANIPULATION,
    "finetune": FINETUNE,
    "reinforcement": REINFORCEMENT,
    "image_optimization": IMAGE_OPTIMIZATION,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_matches_torch(name, tmp_path):
    check_program(PROGRAMS[name], tmp_path)
