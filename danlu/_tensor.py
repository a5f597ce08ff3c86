"""The Tensor: an array of the active backend plus its place in the autograd graph."""
from __future__ import annotations


import numpy as _np

from . import _backend as B
from . import _dtype as D
from .autograd import function as _function
from .autograd.grad_mode import GradMode
from ._ops import _util as _U
from . import _memory_format as _MF

_ndarray = _np.ndarray


class Tensor:
    """A multi-dimensional array with reverse-mode autograd.

    ``_data`` is the backend array; ``_vc`` the version counter shared with views;
    ``grad_fn``/``_output_nr`` place it in the graph (``None`` for leaves).
    """

    __slots__ = ("_data", "_rg", "grad_fn", "_output_nr", "_grad", "_vc", "_retains_grad",
                 "_hooks", "_base", "_post_acc_hooks", "_view_nograd", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None) -> None:
        # legacy constructor: Tensor(data) or Tensor(*sizes) (uninitialised float)
        if len(args) == 1 and not isinstance(args[0], int):
            from ._creation import _array_from

            arr = _array_from(args[0], D.to_dtype(dtype) if dtype else D.get_default_dtype())
        else:
            sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = _np.empty(tuple(sizes), D.get_default_dtype().np)
        if device is not None:
            arr = B.move(arr, B.as_device(device))
        _init(self, arr, None, 0, None)

    # -- construction helpers ----------------------------------------------------------
    @staticmethod
    def _make(arr, node=None, nr=0, vc=None) -> "Tensor":
        t = object.__new__(Tensor)
        if not isinstance(arr, _ndarray) and (B._cupy is None or not isinstance(arr, B._cupy.ndarray)):
            arr = _np.asarray(arr)
        t._data = arr
        t._rg = node is not None
        t.grad_fn = node
        t._output_nr = nr
        t._grad = None
        t._vc = vc if vc is not None else [0]
        t._retains_grad = False
        t._hooks = None
        t._base = None
        t._post_acc_hooks = None
        return t

    @staticmethod
    def _zeros_like_meta(shape, dtype, data):
        xp = B.xp_of(data) if data is not None else _np
        return Tensor._make(xp.zeros(shape, dtype.np if dtype else D.get_default_dtype().np), None)

    def _adopt(self, res: "Tensor") -> None:
        """After an in-place write, take over ``res``'s place in the graph."""
        if res.grad_fn is not None:
            self.grad_fn = res.grad_fn
            self._output_nr = res._output_nr
            self._rg = True

    # -- basic attributes --------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_U.norm_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return D.NP2DT[self._data.dtype]

    @property
    def device(self) -> B.device:
        return B.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_U.norm_dim(dim, self.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        """Row-major contiguity, or (``memory_format=channels_last(_3d)``) torch's strides of
        that format, size-1 dims ignored."""
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        return _MF.is_contiguous_as(self._data, _MF.check("is_contiguous", memory_format, False))

    @property
    def layout(self):
        return _MF.strided

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0]) if isinstance(self._data, _ndarray) \
            else int(self._data.data.ptr)

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients")
        if self.grad_fn is None:
            self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad and GradMode.enabled:
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if type(value._data) is not type(self._data):
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        return Tensor._make(self._data, None)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else value

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def T(self) -> "Tensor":
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    H = T
    mH = mT

    # -- autograd ----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``gradient`` for non-scalars)."""
        from .autograd import backward as _bw

        _bw(self, gradient, retain_graph, create_graph, inputs=inputs)

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)
        nr = self._output_nr

        def hook(g):
            t = ref()
            if t is not None:
                gd = g.detach() if not GradMode.enabled else g
                t._grad = gd if t._grad is None else t._grad + gd
            return None

        hook._retains_grad = True
        node = self.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = []
        node._pre_hooks.append((nr, hook))

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return _function._Handle(self._hooks, hook)
        node = self.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = []
        item = (self._output_nr, hook)
        # user hooks run in registration order, all before retain_grad's, as in torch
        at = next((i for i, (_, f) in enumerate(node._pre_hooks)
                   if getattr(f, "_retains_grad", False)), len(node._pre_hooks))
        node._pre_hooks.insert(at, item)
        return _function._Handle(node._pre_hooks, item)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _function._Handle(self._post_acc_hooks, hook)

    def detach(self) -> "Tensor":
        return Tensor._make(self._data, None, 0, self._vc)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._rg = False
        return self

    # -- conversion --------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return B.to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False):
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if not isinstance(self._data, _ndarray):
            if not force:
                raise TypeError(
                    "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy "
                    "the tensor to host memory first.")
            return B.to_numpy(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = B.to_numpy(self._data)
        return a.astype(dtype) if dtype is not None else a

    def __float__(self) -> float:
        self._one("float")
        return float(self._data.reshape(()))

    def __int__(self) -> int:
        self._one("int")
        return int(self._data.reshape(()))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'more than one value' if self._data.size else 'no values'} is ambiguous")
        return bool(self._data.reshape(()))

    def __complex__(self):
        return complex(float(self))

    def _one(self, what):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element) -> bool:
        return bool((self == element).any())

    def __reduce_ex__(self, protocol):
        return (_rebuild, (B.to_numpy(self._data), self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                "because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        new = type(self).__new__(type(self))
        _init(new, self._data.copy(), None, 0, None)
        new._rg = self._rg
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            import copy

            for k, v in self.__dict__.items():
                setattr(new, k, copy.deepcopy(v, memo))
        memo[id(self)] = new
        return new

    # -- dtype / device ----------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; returns self when
        nothing changes (as torch)."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        fmt = _MF.check("to", kwargs.pop("memory_format", None))
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, B.device, int)) and not isinstance(a, bool):
                device = a
            elif a is None:
                continue
            else:
                dtype = D.to_dtype(a)
        r = self
        if device is not None:
            dev = B.as_device(device)
            if dev != self.device:
                r = _ToDevice.apply(r, dev=dev)
        if dtype is not None:
            dtype = D.to_dtype(dtype)
            if dtype.np != r._data.dtype:
                r = _Cast.apply(r, dt=dtype)
        if fmt is not _MF.preserve_format and (r is not self or _MF.suggest(self._data) is not fmt):
            r = _Clone.apply(r, fmt=fmt, mode="to")
        elif r is not self and not (r._data.ndim < 2 or _MF._elem_strides(r._data)
                                    == _MF._elem_strides(self._data)):
            r = _Clone.apply(r, src=self._data, mode="to")
        if copy and r is self:
            r = self.clone()
        return r

    def type(self, dtype=None):
        if dtype is None:
            names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                     "int64": "LongTensor", "int32": "IntTensor", "uint8": "ByteTensor",
                     "bool": "BoolTensor", "int16": "ShortTensor", "int8": "CharTensor"}
            return "danlu." + names[self.dtype.name]
        from ._legacy import legacy_dtype

        legacy = legacy_dtype(dtype)
        return self.to(legacy if legacy is not None else D.to_dtype(dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def bool(self):
        return self.to(D.bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(B.device("cuda", device if isinstance(device, int) else 0)
                       if not isinstance(device, (str, B.device)) else device)

    def clone(self, *, memory_format=None) -> "Tensor":
        """A copy; ``memory_format`` (default preserve_format) sets its strides as torch's."""
        return _Clone.apply(self, fmt=_MF.check("clone", memory_format))

    def contiguous(self, memory_format=None) -> "Tensor":
        """Self when already contiguous in ``memory_format`` (default contiguous_format), else a
        copy laid out so."""
        fmt = _MF.contiguous_format if memory_format is None else _MF.check("contiguous", memory_format)
        if fmt is _MF.contiguous_format:
            if self._data.flags.c_contiguous:
                return self
        elif fmt is _MF.preserve_format:
            if self._data.flags.c_contiguous:
                return self
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        elif _MF.is_contiguous_as(self._data, fmt):
            return self
        return _Clone.apply(self, fmt=fmt)

    # -- in-place machinery ------------------------------------------------------------
    def _check_inplace(self) -> None:
        if GradMode.enabled and self._rg:
            if self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation.")
            b = self._base
            while b is not None:
                if b.grad_fn is None and b._rg:
                    raise RuntimeError(
                        "a view of a leaf Variable that requires grad is being used in an in-place operation.")
                b = b._base

    def _view_root(self) -> "Tensor | None":
        """The tensor whose memory this view aliases, up its chain of bases (``None`` when self
        is no view), for an in-place op about to be recorded on self: that base's history must
        then be rebased (``_rebase_view_base``). A view made under no_grad is torch's error."""
        cur, nograd = self, False
        xp = B.xp_of(self._data)
        while cur._base is not None and xp.may_share_memory(cur._base._data, self._data):
            nograd = nograd or getattr(cur, "_view_nograd", False)
            cur = cur._base
        if cur is self:
            return None
        if nograd:
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad mode "
                "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
                "You can clarify your code by moving both the view and the inplace either both "
                "inside the no_grad block (if you don't want the inplace to be tracked) or both "
                "outside (if you want the inplace to be tracked).")
        return cur

    def _rebase_view_base(self, root: "Tensor | None", res: "Tensor") -> None:
        """After an in-place op recorded on the view self (result ``res``): the base ``root``
        becomes its old self with the view's elements replaced by ``res`` (torch's CopySlices),
        so gradients through the base see the op."""
        if root is not None and res.grad_fn is not None:
            from ._ops.views import copy_slices

            copy_slices(root, self, res)

    def _inplace(self, fn, *args, **kwargs) -> "Tensor":
        """Run out-of-place ``fn(self, *args)`` and write the result into self's memory."""
        self._check_inplace()
        recording = GradMode.enabled and (self._rg or any(
            isinstance(a, Tensor) and a._rg for a in args))
        if recording:
            root = self._view_root()
            # the op may save its input (also when only an argument requires grad: mul_ saves
            # self for the other's gradient); give it a snapshot since self is about to change
            src = Tensor._make(self._data.copy(), self.grad_fn if self._rg else None, self._output_nr)
            src._rg = self._rg
            res = fn(src, *args, **kwargs)
            if res.grad_fn is None and args and (self._rg or (isinstance(args[0], Tensor) and args[0]._rg)):
                # a comparison written into a tensor in the graph: torch keeps it there with a
                # zero-gradient node (LtBackward0, EqBackward1, ...)
                from ._ops.elementwise import inplace_comparison

                node = inplace_comparison(res, src, args[0], getattr(fn, "__name__", ""))
                res = res if node is None else node
        else:
            prev = GradMode.enabled
            GradMode.enabled = False
            try:
                res = fn(self, *args, **kwargs)
            finally:
                GradMode.enabled = prev
        r = res._data
        if r.dtype != self._data.dtype:
            rk, sk = r.dtype.kind, self._data.dtype.kind
            order = {"b": 0, "u": 1, "i": 1, "f": 2}
            if order[rk] > order[sk]:
                raise RuntimeError(
                    f"result type {_tn(res.dtype)} can't be cast to the desired output type "
                    f"{_tn(self.dtype)}")
        if r.shape != self._data.shape:
            try:
                B.xp_of(r).broadcast_to(r, self._data.shape)
            except ValueError:
                raise RuntimeError(
                    f"output with shape [{', '.join(map(str, self.shape))}] doesn't match the "
                    f"broadcast shape [{', '.join(map(str, r.shape))}]") from None
        if self._data.ndim == 0 and isinstance(self._data, _ndarray):
            self._data[()] = r
        else:
            self._data[...] = r
        self._vc[0] += 1
        if recording:
            self._adopt(res)
            self._rebase_view_base(root, res)
        return self

    # -- indexing ----------------------------------------------------------------------
    def __getitem__(self, key):
        from ._ops.indexing import getitem

        return getitem(self, key)

    def __setitem__(self, key, value) -> None:
        from ._ops.indexing import setitem

        setitem(self, key, value)

    # -- printing ----------------------------------------------------------------------
    def __repr__(self) -> str:
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)


def _tn(dt) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "float32": "Float",
            "float64": "Double", "float16": "Half", "int16": "Short", "int8": "Char"}[dt.name]


def _init(t, arr, node, nr, vc):
    t._data = arr
    t._rg = False
    t.grad_fn = node
    t._output_nr = nr
    t._grad = None
    t._vc = vc if vc is not None else [0]
    t._retains_grad = False
    t._hooks = None
    t._base = None
    t._post_acc_hooks = None


def _rebuild(arr, rg):
    t = Tensor._make(arr, None)
    t._rg = rg
    return t


class Size(tuple):
    """``torch.Size``: a tuple of ints with ``numel``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"danlu.Size([{', '.join(map(str, self))}])"

    def __getitem__(self, k):
        r = tuple.__getitem__(self, k)
        return Size(r) if isinstance(k, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


# ------------------------------------------------------------------------------------------
# dtype / device / copy ops
# ------------------------------------------------------------------------------------------
from .autograd.function import Op  # noqa: E402


class _Cast(Op):
    @staticmethod
    def forward(ctx, a, dt):
        ctx.src = D.NP2DT[a.dtype]
        return a.astype(dt.np)

    @staticmethod
    def backward(ctx, g):
        if not ctx.src.is_floating_point:
            return (None,)
        return (g.to(ctx.src),)


class _ToDevice(Op):
    @staticmethod
    def forward(ctx, a, dev):
        ctx.src = B.device_of(a)
        return B.move(a, dev)

    @staticmethod
    def backward(ctx, g):
        return (g.to(ctx.src),)


class _Clone(Op):
    torch_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a, fmt=None, mode="clone", src=None):
        if src is not None:  # to(): the source's strides carried to the converted copy
            out = _MF.empty_like_array(src, _MF.preserve_format, dtype=a.dtype, mode=mode)
            out[...] = a
            return out
        if fmt is None or fmt is _MF.contiguous_format:
            return a.copy()
        return _MF.copy_as(a, fmt, mode)

    @staticmethod
    def backward(ctx, g):
        return (g,)


_function._T = Tensor
_U.Tensor = Tensor
from ._ops import elementwise as _E  # noqa: E402

_E._Tensor = Tensor
_MF.bind_tensor_methods(Tensor)
