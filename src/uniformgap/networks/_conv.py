"""A CNN on a fixed input shape as a :class:`SparseReLUNetwork` (the network JSON format, version 2).

On a fixed input shape (C_in, H, W) a 2-D convolution with zero padding is an affine map of the
flattened input x ∈ R^{C_in·H·W} (channel-major, the order of ``nn.Flatten``):

    (W x + b)[(o, i, j)] = b_o + Σ_{c, a, e} K[o, c, a, e] · x[(c, s·i − p + δ·a, s·j − p + δ·e)]

(stride s, padding p, dilation δ per axis; terms whose input index falls into the padding vanish;
with g groups the channel c runs over the group of o). Its matrix has at most C_out·H'·W'·(C_in/g)·k_h·k_w
non-zeros (sparse), H' = ⌊(H + 2p − δ(k − 1) − 1)/s⌋ + 1. Average pooling is linear too (a
convolution with the constant kernel 1/(k_h k_w), padding counted unless ``count_include_pad=False``);
max pooling is not linear and is refused (such a model stays in torch's .pt format). Consecutive
affine maps without a ReLU between (e.g. a convolution followed by an average pooling) are
composed into one layer, so the result alternates affine map and ReLU exactly as R(Φ) does
(docs/theory.md §1): W_L ρ(··· ρ(W_1 x + b_1) ···) + b_L.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from torch import nn

from .._errors import InputError
from ._sparse import SparseReLUNetwork


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _out_size(n: int, k: int, s: int, p: int, dl: int) -> int:
    return (n + 2 * p - dl * (k - 1) - 1) // s + 1


def _window_matrix(kernel: np.ndarray, in_shape: tuple[int, int, int], stride, padding, dilation, groups: int,
                   max_nnz: int | None = None) -> tuple[sp.csr_matrix, tuple[int, int, int]]:
    """The matrix of the correlation with ``kernel`` (C_out, C_in/g, k_h, k_w) on ``in_shape``, zero padding;
    an :class:`InputError` before anything is built when its C_out·H'·W'·(C_in/g)·k_h·k_w taps exceed ``max_nnz``."""
    C_in, H, W = in_shape
    C_out, c_per, kh, kw = kernel.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Ho, Wo = _out_size(H, kh, sh, ph, dh), _out_size(W, kw, sw, pw, dw)
    if Ho < 1 or Wo < 1:
        raise InputError(f"a convolution with kernel {kh}x{kw} does not fit the input {H}x{W} (output {Ho}x{Wo})")
    taps = C_out * Ho * Wo * c_per * kh * kw
    if max_nnz is not None and taps > max_nnz:
        raise InputError(f"`max_nnz` must be >= the {taps} non-zeros of a {C_out}-channel {kh}x{kw} convolution on "
                         f"{in_shape}, got {max_nnz}")
    o, c, i, j, a, e = np.meshgrid(np.arange(C_out), np.arange(c_per), np.arange(Ho), np.arange(Wo),
                                   np.arange(kh), np.arange(kw), indexing="ij")
    c_in = (o // (C_out // groups)) * c_per + c  # the input channel of group member c
    y, x = sh * i - ph + dh * a, sw * j - pw + dw * e
    keep = (y >= 0) & (y < H) & (x >= 0) & (x < W)
    rows = ((o * Ho + i) * Wo + j)[keep]
    cols = ((c_in * H + y) * W + x)[keep]
    vals = kernel[o, c, a, e][keep]
    M = sp.csr_matrix((vals.astype(np.float64), (rows, cols)), shape=(C_out * Ho * Wo, C_in * H * W))
    return M, (C_out, Ho, Wo)


def conv2d_matrix(conv: nn.Conv2d, in_shape: tuple[int, int, int], max_nnz: int | None = None
                  ) -> tuple[sp.csr_matrix, np.ndarray, tuple[int, int, int]]:
    """(W, b, output shape) of ``conv`` on inputs of shape (C_in, H, W) (see the module docstring)."""
    if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        raise InputError(f"a Conv2d must have numeric zero padding to be written as a sparse layer, got "
                         f"padding={conv.padding!r}, padding_mode={conv.padding_mode!r}")
    if in_shape[0] != conv.in_channels:
        raise InputError(f"a Conv2d expects {conv.in_channels} input channels, got the shape {in_shape}")
    K = conv.weight.detach().to("cpu").double().numpy()
    M, out = _window_matrix(K, in_shape, _pair(conv.stride), _pair(conv.padding), _pair(conv.dilation), conv.groups,
                            max_nnz)
    bias = conv.bias.detach().to("cpu").double().numpy() if conv.bias is not None else np.zeros(conv.out_channels)
    return M, np.repeat(bias, out[1] * out[2]), out


def avg_pool2d_matrix(pool: nn.AvgPool2d, in_shape: tuple[int, int, int]) -> tuple[sp.csr_matrix, tuple[int, int, int]]:
    """The matrix of ``pool`` on (C, H, W): per channel the mean over each window (linear)."""
    if pool.ceil_mode or pool.divisor_override is not None:
        raise InputError("an AvgPool2d with ceil_mode or divisor_override cannot be written as a sparse layer here")
    C, H, W = in_shape
    kh, kw = _pair(pool.kernel_size)
    stride = _pair(pool.stride if pool.stride is not None else pool.kernel_size)
    padding = _pair(pool.padding)
    kernel = np.zeros((C, 1, kh, kw))
    kernel[:, 0] = 1.0
    M, out = _window_matrix(kernel, in_shape, stride, padding, (1, 1), groups=C)
    if pool.count_include_pad:
        M = M / (kh * kw)
    else:  # the divisor is the number of input entries in each window
        M = sp.diags(1.0 / np.asarray(M.sum(axis=1)).ravel()) @ M
    return sp.csr_matrix(M), out


def cnn_to_sparse(model: nn.Sequential, input_shape: tuple[int, ...] | None = None, *,
                  max_nnz: int | None = None) -> SparseReLUNetwork:
    """The :class:`SparseReLUNetwork` computing the same function as ``model`` on flattened inputs.

    ``model``: an ``nn.Sequential`` of Unflatten / Conv2d / AvgPool2d / Flatten / Linear / ReLU (the
    CNN of ``robust train``: ``Unflatten`` first gives the image shape; otherwise pass ``input_shape``
    (C, H, W)). A max pooling or any other layer is an :class:`InputError` naming it, and so is a
    convolution with more than ``max_nnz`` non-zeros (checked before it is built).
    """
    shape: tuple[int, ...] | None = tuple(input_shape) if input_shape is not None else None
    layers: list[tuple[sp.csr_matrix, np.ndarray]] = []
    pending: tuple[sp.csr_matrix, np.ndarray] | None = None  # affine maps since the last ReLU, composed

    def push(M: sp.csr_matrix, b: np.ndarray) -> None:
        nonlocal pending
        pending = (M, b) if pending is None else (sp.csr_matrix(M @ pending[0]), M @ pending[1] + b)

    for k, m in enumerate(model):
        if isinstance(m, nn.Unflatten):
            if k != 0 and shape is None:
                raise InputError("an Unflatten must come first (or pass `input_shape`)")
            shape = tuple(int(s) for s in m.unflattened_size)
        elif isinstance(m, nn.Flatten):
            shape = (math.prod(shape),) if shape is not None else None
        elif isinstance(m, nn.Conv2d):
            if shape is None or len(shape) != 3:
                raise InputError(f"layer {k} (Conv2d) needs an image shape (C, H, W), got {shape} (e.g. input_shape=(1, 8, 8))")
            M, b, shape = conv2d_matrix(m, shape, max_nnz)
            push(M, b)
        elif isinstance(m, nn.AvgPool2d):
            if shape is None or len(shape) != 3:
                raise InputError(f"layer {k} (AvgPool2d) needs an image shape (C, H, W), got {shape}")
            M, shape = avg_pool2d_matrix(m, shape)
            push(M, np.zeros(M.shape[0]))
        elif isinstance(m, nn.Linear):
            push(sp.csr_matrix(m.weight.detach().to("cpu").double().numpy()),
                 m.bias.detach().to("cpu").double().numpy() if m.bias is not None else np.zeros(m.out_features))
            shape = (m.out_features,)
        elif isinstance(m, nn.ReLU):
            if pending is None:
                raise InputError(f"layer {k} (ReLU) must follow an affine layer (Conv2d, AvgPool2d or Linear)")
            layers.append(pending)
            pending = None
        else:
            why = " (max pooling is not linear: keep the torch .pt file)" if isinstance(m, (nn.MaxPool2d, nn.MaxPool1d)) else ""
            raise InputError(f"layer {k} must be Unflatten, Conv2d, AvgPool2d, Flatten, Linear or ReLU to be written as "
                             f"a ReLU network, got {type(m).__name__}{why}")
    if pending is None:
        raise InputError("the last layer must be affine (Conv2d, AvgPool2d or Linear), got a ReLU or nothing")
    layers.append(pending)
    return SparseReLUNetwork(layers)
