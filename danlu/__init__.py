"""danlu (丹炉): a deep-learning framework from first principles on NumPy, with PyTorch's API.

``import danlu as torch`` and a PyTorch program runs and prints the same numbers.
"""
from __future__ import annotations

import builtins

__version__ = "0.1.0"

from . import _backend
from ._backend import device
from ._dtype import (
    bool_ as bool,  # noqa: A001 - torch's name
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._tensor import Size, Tensor
from ._memory_format import (  # noqa: F401
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)
from . import _tensor_methods  # noqa: F401 - binds methods onto Tensor
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ._creation import (
    arange,
    as_tensor,
    asarray,
    clone,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    logspace,
    numel,
    ones,
    ones_like,
    scalar_tensor,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from ._random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.elementwise import abs, pow, round  # noqa: A004 - torch's names
from ._ops.reduction import (  # noqa: A004
    all,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    logcumsumexp,
    logsumexp,
    max,
    mean,
    median,
    min,
    mode,
    nanmean,
    nansum,
    prod,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from ._ops.shape import (
    adjoint,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    column_stack,
    concat,
    concatenate,
    diag,
    diag_embed,
    diagonal,
    dstack,
    expand_as,
    flatten,
    flip,
    fliplr,
    flipud,
    hstack,
    movedim,
    moveaxis,
    narrow,
    permute,
    repeat_interleave,
    reshape,
    roll,
    rot90,
    row_stack,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    tensor_split,
    tile,
    trace,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from ._ops._util import broadcast_shapes
from ._ops.indexing import (
    argsort,
    argwhere,
    bincount,
    bucketize,
    cartesian_prod,
    gather,
    histc,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_select,
    kthvalue,
    masked_scatter,
    masked_select,
    meshgrid,
    msort,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    searchsorted,
    sort,
    take_along_dim,
    topk,
    unique,
    unique_consecutive,
)
from ._ops.blas import (
    addbmm,
    addcdiv,
    addcmul,
    addmm,
    addmv,
    baddbmm,
    bmm,
    chain_matmul,
    dot,
    einsum,
    ger,
    inner,
    kron,
    matmul,
    mm,
    mv,
    outer,
    tensordot,
    vdot,
)
from ._ops.norms import norm
from ._ops.linalg import (
    cholesky_inverse,
    cholesky_legacy as cholesky,
    cholesky_solve,
    det,
    geqrf,
    lu_legacy as lu,
    lu_solve_legacy as lu_solve,
    lu_unpack,
    matrix_exp,
    orgqr,
    ormqr,
    triangular_solve,
    inv as inverse,
    logdet,
    matrix_power,
    pinverse,
    qr_legacy as qr,
    slogdet,
    svd_legacy as svd,
)
from ._tensor_str import set_printoptions
from ._ops.special import digamma, i0, igamma, igammac, lgamma, mvlgamma, polygamma
from ._tensor_methods import TOP_INPLACE as _TOP_INPLACE

globals().update(_TOP_INPLACE)  # abs_, sin_, clamp_min_, ...: torch's top-level in-place functions
from . import autograd, cuda, linalg  # noqa: E402

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = None


def is_floating_point(input) -> builtins.bool:
    return input.is_floating_point()


def result_type(tensor1, tensor2):
    from ._ops._util import result_dtype

    return result_dtype(tensor1, tensor2)


def can_cast(from_, to) -> builtins.bool:
    return from_._cat <= to._cat or (from_._cat == to._cat)


def get_num_threads() -> builtins.int:
    import os

    return os.cpu_count() or 1


def set_num_threads(n) -> None:
    """Accepted for compatibility; BLAS threads follow OMP_NUM_THREADS/OPENBLAS_NUM_THREADS."""
    try:
        from threadpoolctl import threadpool_limits  # optional

        threadpool_limits(n)
    except Exception:
        pass


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of ``x1`` and ``x2`` (batched)."""
    d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == builtins.float("inf"):
        from ._ops.reduction import CdistInf

        return CdistInf.apply(d)
    return linalg.vector_norm(d, p, dim=-1)


def dist(input, other, p=2):
    """``vector_norm(input - other, p)``."""
    from ._ops.elementwise import _need_tensors

    _need_tensors("dist", input, other)
    from ._ops._util import result_dtype
    from ._tensor import _tn

    dt = result_dtype(input, other)
    if not dt.is_floating_point:

        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got {_tn(dt)} instead.")
    return linalg.vector_norm(input - other, p)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    n1 = linalg.vector_norm(x1, 2, dim=dim)
    n2 = linalg.vector_norm(x2, 2, dim=dim)
    from ._ops.elementwise import maximum

    return (x1 * x2).sum(dim) / maximum(n1 * n2, tensor(eps, dtype=x1.dtype))


def save(obj, f, **kwargs) -> None:
    """Write tensors / state dicts (nested dicts, lists, numbers) safely; see ``danlu.serialization``."""
    from .serialization import save as _save

    _save(obj, f, **kwargs)


def load(f, map_location=None, weights_only=True, **kwargs):
    """Read what ``danlu.save`` wrote (never executes code)."""
    from .serialization import load as _load

    return _load(f, map_location=map_location, **kwargs)


# subpackages that mirror torch's namespaces (imported last: they build on the core above)
from . import nn, optim, utils  # noqa: E402,F401
from . import losses  # noqa: E402,F401 - danlu-only losses (zero-one, exponential, IoU)
from ._ops.composite import *  # noqa: E402,F401,F403
from ._ops.composite import cross  # noqa: E402,F401

# torch.* spellings of nn.functional ops with ATen's signatures (int reductions, ...)
from ._nn_aliases import *  # noqa: E402,F401,F403
# torch.* aliases of nn.functional (same positional order as torch's top-level functions)
from .nn.functional import (  # noqa: E402,F401
    alpha_dropout,
    avg_pool1d,
    bilinear,
    celu,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    dropout,
    embedding,
    group_norm,
    hardshrink,
    layer_norm,
    log_softmax,
    max_pool1d,
    max_pool2d,
    pairwise_distance,
    pdist,
    pixel_shuffle,
    pixel_unshuffle,
    prelu,
    rrelu,
    rrelu_,
    selu,
    softmax,
    threshold,
)
from .nn.functional import celu_, selu_, threshold_  # noqa: E402,F401 - torch.relu_ & co.

for _name in ("diff", "logit", "ravel", "sgn", "take", "select", "heaviside", "signbit", "deg2rad", "rad2deg",
              "quantile", "nanquantile", "addr", "diagflat", "cross", "is_nonzero", "trapezoid"):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, globals()[_name])
del _name

# shape / view extras, statistics, creation and global switches (danlu._ops.views / stats, _settings)
from ._ops.views import *  # noqa: E402,F401,F403
from ._ops.stats import *  # noqa: E402,F401,F403
from ._settings import *  # noqa: E402,F401,F403
from ._creation import (  # noqa: E402,F401
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
    range_ as range,  # noqa: A004 - torch's name
)

# function transforms (torch.func)
from . import func  # noqa: E402,F401
from . import special  # noqa: E402,F401 - torch.special
from . import testing  # noqa: E402,F401 - torch.testing

# probability distributions (torch.distributions)
from . import distributions  # noqa: E402,F401

# more of torch's top level: legacy norms, binomial, nonzero_static, removed linalg (errors),
# segment_reduce, randomised low-rank SVD/PCA, compile/cond/while_loop/vmap, DLPack
from ._ops.extras import *  # noqa: E402,F401,F403
from ._ops.segment import segment_reduce  # noqa: E402,F401
from ._ops.lowrank import pca_lowrank, svd_lowrank  # noqa: E402,F401
from ._ops.lobpcg import lobpcg  # noqa: E402,F401
from ._compile import *  # noqa: E402,F401,F403

from ._legacy import *  # noqa: E402,F401,F403 - FloatTensor, LongTensor, ... (legacy constructors)

# automatic mixed precision (torch.amp, torch.autocast; torch.cpu / torch.cuda.amp aliases)
from . import amp, cpu  # noqa: E402,F401
from . import backends  # noqa: E402,F401 - torch.backends' switches
from . import accelerator, random  # noqa: E402,F401 - torch.accelerator, torch.random
from .amp import GradScaler  # noqa: E402,F401
from .amp.autocast_mode import (  # noqa: E402,F401
    autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled,
    set_autocast_dtype, set_autocast_enabled, is_autocast_cache_enabled,
    set_autocast_cache_enabled, clear_autocast_cache, autocast_increment_nesting,
    autocast_decrement_nesting,
)

# top-level ATen entry points: conv_tbc, ctc_loss (int reduction), SyncBatchNorm blocks, deprecated autocast
from ._aten_extras import *  # noqa: E402,F401,F403
from . import _tensor_flags  # noqa: E402,F401

# deprecated global setters (set_default_tensor_type, set_autocast_cpu_dtype, ...), Tensor.output_nr /
# module_load, and ATen's whole-sequence RNN functions (lstm, gru, rnn_tanh, rnn_relu)
from ._deprecated import *  # noqa: E402,F401,F403
from . import _tensor_extras  # noqa: E402,F401
from ._rnn_aten import *  # noqa: E402,F401,F403
