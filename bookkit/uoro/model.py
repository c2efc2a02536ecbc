r"""Recurrent models written for online gradient estimators.

Every model follows the paper's setting (Tallec & Ollivier 2017, Section 2)

$$s_{t+1}=F_{\mathrm{state}}(x_{t+1},s_t,\theta),\qquad
\ell_{t+1}=L\big(F_{\mathrm{out}}(s_{t+1},\theta),y_{t+1}\big)$$

with the parameters split in two flat vectors: ``w_state`` (the parameters of $F_{\mathrm{state}}$, the only
ones whose influence on the state must be carried forward) and ``w_out`` (the read-out). Both carry a
leading batch dimension ``B`` of independent streams, so one call advances ``B`` learners (or ``B`` noise
streams of one learner) at once, and every Jacobian-vector product stays block-diagonal over the batch.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
from torch.nn import functional

Shapes = Sequence[tuple[int, ...]]


def unflatten(flat: torch.Tensor, shapes: Shapes) -> list[torch.Tensor]:
    r"""Views of a ``(B, P)`` parameter batch as ``(B, *shape)`` tensors, in the order of ``shapes``."""
    sizes = [math.prod(shape) for shape in shapes]
    pieces = torch.split(flat, sizes, dim=-1)
    return [piece.reshape(flat.shape[0], *shape) for piece, shape in zip(pieces, shapes)]


def block_views(flat: torch.Tensor, shapes: Shapes) -> list[torch.Tensor]:
    r"""The views of :func:`unflatten` for a ``(..., P)`` tensor with any leading dimensions, made with one
    ``as_strided`` call per block instead of a split and a reshape each: cheaper where a step's cost is its
    number of torch calls, as in the closed-form steps below. For tensors without a graph (``as_strided``'s
    backward is slow, so :func:`unflatten` serves the autograd paths)."""
    layout = _block_layout(flat.shape, flat.stride(), flat.storage_offset(), tuple(shapes))
    return [flat.as_strided(size, stride, offset) for size, stride, offset in layout]


@functools.lru_cache(maxsize=256)
def _block_layout(
    shape: tuple[int, ...], strides: tuple[int, ...], offset: int, shapes: tuple[tuple[int, ...], ...]
) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """Size, strides and storage offset of each block of a tensor of this shape, strides and offset."""
    *leading, stride = strides
    layout = []
    for block in shapes:
        inner = [stride] * len(block)
        for i in range(len(block) - 2, -1, -1):
            inner[i] = inner[i + 1] * block[i + 1]
        layout.append(((*shape[:-1], *block), (*leading, *inner), offset))
        offset += math.prod(block) * stride
    return layout


def constant(value: float, like: torch.Tensor) -> torch.Tensor:
    """``value`` as a 0-d tensor of ``like``'s dtype and device, made once: a Python number in a tensor
    operation is wrapped and converted on every call (about 2 µs on one CPU thread, several times per online
    step), a 0-d tensor is not. Read only."""
    return _constant(value, like.dtype, like.device)


@functools.lru_cache(maxsize=256)
def _constant(value: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.tensor(value, dtype=dtype, device=device)


def batched_matvec(matrix: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
    r"""$(Mv)_b = M_b v_b$ for ``matrix`` ``(B, n, m)`` and ``vector`` ``(B, m)``."""
    return torch.matmul(matrix, vector.unsqueeze(-1)).squeeze(-1)


class RecurrentModel:
    r"""Interface shared by every model of the chapter (subclasses fill in the four methods)."""

    state_size: int
    state_shapes: Shapes = ()
    out_shapes: Shapes = ()

    @property
    def num_state_params(self) -> int:
        return sum(math.prod(shape) for shape in self.state_shapes)

    @property
    def num_out_params(self) -> int:
        return sum(math.prod(shape) for shape in self.out_shapes)

    def init_params(
        self,
        batch: int,
        generator: torch.Generator,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""``(w_state, w_out)``, each ``(batch, P)``: matrices $\mathcal N(0, 1/\text{fan-in})$, biases 0."""

        def draw(shapes: Shapes) -> torch.Tensor:
            pieces = []
            for shape in shapes:
                values = torch.randn(batch, *shape, generator=generator, dtype=torch.float64)
                scale = 1.0 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.0
                pieces.append((values * scale).reshape(batch, -1))
            if not pieces:
                return torch.zeros(batch, 0, dtype=torch.float64)
            return torch.cat(pieces, dim=-1)

        return (
            draw(self.state_shapes).to(device=device, dtype=dtype),
            draw(self.out_shapes).to(device=device, dtype=dtype),
        )

    def initial_state(
        self, batch: int, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        return torch.zeros(batch, self.state_size, dtype=dtype, device=device)

    def transition(self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def output(self, w_out: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, w_out: torch.Tensor, state: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""Per-stream loss ``(B,)`` of the read-out of ``state`` against the target ``y``."""
        raise NotImplementedError


class CharacterModel(RecurrentModel):
    r"""Shared read-out of the character models: logits $o=Vs+c$, cross-entropy in nats."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        self.input_size, self.state_size, self.output_size = input_size, hidden_size, output_size
        self.out_shapes = ((output_size, hidden_size), (output_size,))

    def output(self, w_out: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        r"""$o = V s + c$."""
        readout, bias = unflatten(w_out, self.out_shapes)
        return batched_matvec(readout, state) + bias

    def loss(self, w_out: torch.Tensor, state: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""$\ell = -\log \mathrm{softmax}(o)_y$ (nats)."""
        return functional.cross_entropy(self.output(w_out, state), y, reduction="none")

    def loss_and_gradients(
        self, w_out: torch.Tensor, state: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        r"""$\ell$, $\partial\ell/\partial s$ ``(B, n)`` and $\partial\ell/\partial\theta_{\mathrm{out}}$
        ``(B, P_out)`` in closed form: with $p=\mathrm{softmax}(o)$ and $e=p-\mathbf 1_y$,

        $$\frac{\partial\ell}{\partial s}=V^\top e,\qquad \frac{\partial\ell}{\partial V}=e\,s^\top,\qquad
        \frac{\partial\ell}{\partial c}=e.$$
        """
        readout_shape, (outputs,) = self.out_shapes
        readout, bias_row = block_views(w_out, (readout_shape, (1, outputs)))
        state_row = state.unsqueeze(-2)
        # log p = log_softmax(s^T V^T + c^T), one (B, 1, o) row per stream
        log_probs = torch.baddbmm(bias_row, state_row, readout.mT).log_softmax(-1)
        target = y.reshape(-1, 1, 1)
        picked = log_probs.gather(-1, target)
        # e = p - 1_y, with p_y - 1 = expm1(log p_y)
        error = log_probs.exp_().scatter_(-1, target, picked.expm1())
        grad_state = torch.bmm(error, readout).squeeze(-2)
        grad_out = torch.cat(((error.mT * state_row).flatten(1), error.squeeze(-2)), dim=-1)
        return picked.view(-1).neg(), grad_state, grad_out


class TanhRNN(CharacterModel):
    r"""Fully connected tanh RNN: $s_{t+1}=\tanh(W s_t + U x_{t+1} + b)$;
    $\dim\theta_{\mathrm{state}}=n^2+nm+n$."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        n, m = hidden_size, input_size
        self.state_shapes = ((n, n), (n, m), (n,))
        self.row_shapes = ((n, n), (n, m), (1, n))
        """``state_shapes`` with the bias as a ``(1, n)`` row."""

    def transition(self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        r"""$s_{t+1}=\tanh(W s_t + U x_{t+1} + b)$."""
        recurrent, inputs, bias = unflatten(w_state, self.state_shapes)
        return torch.tanh(batched_matvec(recurrent, state) + batched_matvec(inputs, x) + bias)

    # Closed-form derivatives. With D = 1 - s_{t+1}^2 = tanh'(W s_t + U x_{t+1} + b), a cotangent v of
    # s_{t+1} enters the methods below as the pre-activation cotangent delta = D * v.

    def transition_and_product(
        self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor, direction: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""$s_{t+1}$ and $W\dot s$ for a direction $\dot s$ ``(B, n)``, with one product
        $[s_t,\dot s]^\top W^\top$, so $W$ is read once for both."""
        recurrent, inputs, bias_row = block_views(w_state, self.row_shapes)
        rows = torch.bmm(torch.stack((state, direction), dim=-2), recurrent.mT)  # [W s, W ds]
        # s_{t+1} = tanh(W s_t + U x_{t+1} + b), as a (B, 1, n) row
        pre_activation = torch.baddbmm(rows[:, :1], x.unsqueeze(-2), inputs.mT).add_(bias_row)
        return pre_activation.tanh_().squeeze(-2), rows[:, 1]

    def transition_jvp(
        self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor, state_tangent: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        r"""$s_{t+1}$, $D=1-s_{t+1}^2$ and the tangent along $\dot s$ (forward mode),

        $$\frac{\partial F}{\partial s}\dot s=D\odot W\dot s.$$"""
        next_state, product = self.transition_and_product(w_state, state, x, state_tangent)
        slope = 1 - next_state.square()
        return next_state, slope, product.mul_(slope)

    def add_param_vjp_(
        self, target: torch.Tensor, state: torch.Tensor, x: torch.Tensor, delta: torch.Tensor
    ) -> torch.Tensor:
        r"""Adds $v^\top\frac{\partial F}{\partial\theta}$ to ``target`` ``(B, P)`` in place, for ``delta``
        $=D\odot v$ ``(B, n)``: one rank-one update per block, with no ``(B, P)`` temporary,

        $$v^\top\frac{\partial F}{\partial(W,U,b)}=
        \big(\delta s_t^\top,\ \delta x_{t+1}^\top,\ \delta\big).$$"""
        self.add_param_vjp_to_blocks_(
            block_views(target, self.state_shapes), state.unsqueeze(-2), x.unsqueeze(-2), delta
        )
        return target

    def add_param_vjp_to_blocks_(
        self,
        blocks: Sequence[torch.Tensor],
        state_row: torch.Tensor,
        x_row: torch.Tensor,
        delta: torch.Tensor,
    ) -> None:
        r""":meth:`add_param_vjp_` on the target's :func:`block_views` ``(W, U, b)``, with $s_t$ and $x_{t+1}$
        as rows ``(B, 1, n)`` and ``(B, 1, m)`` (for a caller that reuses them)."""
        recurrent, inputs, bias = blocks
        column = delta.unsqueeze(-1)
        recurrent.addcmul_(column, state_row)
        inputs.addcmul_(column, x_row)
        bias.add_(delta)

    def param_input_norm(self, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        r"""$\lVert z\rVert=\sqrt{\lVert s_t\rVert^2+\lVert x_{t+1}\rVert^2+1}$ per stream ``(B, 1)``, where
        $z=(s_t,x_{t+1},1)$ is what every row of $\partial F/\partial(W,U,b)$ multiplies."""
        ones = constant(1.0, state).expand(state.shape[0], 1)
        return torch.linalg.vector_norm(torch.cat((state, x, ones), dim=-1), dim=-1, keepdim=True)

    def param_vjp_norm(self, state: torch.Tensor, x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        r"""$\big\lVert v^\top\frac{\partial F}{\partial\theta}\big\rVert=\lVert\delta\rVert\,\lVert z\rVert$
        per stream ``(B, 1)``, without forming the product."""
        return torch.linalg.vector_norm(delta, dim=-1, keepdim=True) * self.param_input_norm(state, x)


class GRU(CharacterModel):
    r"""GRU as in the authors' code (ctallec/uoro), the reset gate applied before the recurrent matrix:

    $$r=\sigma(E_r x+W_r h+b_r),\quad z=\sigma(E_z x+W_z h+b_z),\quad
    \tilde h=\tanh\big(E_h x+W_h(r\odot h)+b_h\big),\quad h'=z\odot\tilde h+(1-z)\odot h.$$
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        n, m = hidden_size, input_size
        self.state_shapes = ((n, m), (n, n), (n,)) * 3

    def transition(self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        e_r, w_r, b_r, e_z, w_z, b_z, e_h, w_h, b_h = unflatten(w_state, self.state_shapes)
        reset = torch.sigmoid(batched_matvec(e_r, x) + batched_matvec(w_r, state) + b_r)
        update = torch.sigmoid(batched_matvec(e_z, x) + batched_matvec(w_z, state) + b_z)
        candidate = torch.tanh(batched_matvec(e_h, x) + batched_matvec(w_h, reset * state) + b_h)
        # h' = z * h~ + (1 - z) * h
        return update * candidate + (1 - update) * state


class LSTM(CharacterModel):
    r"""LSTM with the state $s=(h,c)$ of $2n$ units carried as one vector, the read-out on $h$ only:

    $$\begin{pmatrix}i\\f\\o\\g\end{pmatrix}=\begin{pmatrix}\sigma\\\sigma\\\sigma\\\tanh\end{pmatrix}
    \big(E_\ast x+W_\ast h+b_\ast\big),\qquad c'=f\odot c+i\odot g,\qquad h'=o\odot\tanh(c').$$

    The authors' code offers it beside the GRU; the online estimators take it through autograd like any
    other cell, with $\dim s=2n$ (RTRL's influence matrix is twice as tall as for a GRU of $n$ units)."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, 2 * hidden_size, output_size)
        n, m = hidden_size, input_size
        self.hidden_size = n
        self.state_shapes = ((n, m), (n, n), (n,)) * 4
        self.out_shapes = ((output_size, n), (output_size,))

    def transition(self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hidden, cell = state[..., : self.hidden_size], state[..., self.hidden_size :]
        pieces = unflatten(w_state, self.state_shapes)
        pre = [
            batched_matvec(e, x) + batched_matvec(w, hidden) + b
            for e, w, b in zip(pieces[0::3], pieces[1::3], pieces[2::3])
        ]
        input_gate, forget_gate, output_gate = (torch.sigmoid(a) for a in pre[:3])
        # c' = f * c + i * g;  h' = o * tanh(c')
        new_cell = forget_gate * cell + input_gate * torch.tanh(pre[3])
        return torch.cat((output_gate * torch.tanh(new_cell), new_cell), dim=-1)

    def output(self, w_out: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        r"""$o=Vh+c_{\mathrm{out}}$, from the $h$ half of the state."""
        return super().output(w_out, state[..., : self.hidden_size])

    def loss_and_gradients(
        self, w_out: torch.Tensor, state: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        r"""As :meth:`CharacterModel.loss_and_gradients` on $h$; $\partial\ell/\partial c=0$."""
        loss, grad_hidden, grad_out = super().loss_and_gradients(w_out, state[..., : self.hidden_size], y)
        return loss, torch.cat((grad_hidden, torch.zeros_like(grad_hidden)), dim=-1), grad_out


class InfluenceBalancing(RecurrentModel):
    r"""The influence-balancing system (the paper's synthetic task; $n$, $p$, $A$, $s_0$ as in our
    reconstruction, taken from the google-research ``persistent_es`` port):

    $$s_{t+1}=As_t+\theta\,\sigma,\quad A=\tfrac12 I+\tfrac12 N\ (N_{i,i+1}=1),\quad
    \sigma=(\underbrace{+1,\dots,+1}_{p},-1,\dots,-1),\quad \ell_t=\tfrac12(s^1_t-1)^2.$$

    One scalar parameter $\theta$, no read-out parameters, no input (``x`` is ignored).
    """

    def __init__(self, n: int = 23, p: int = 10) -> None:
        if not 0 < p < n:
            raise ValueError(f"need 0 < p < n, got n={n}, p={p}")
        self.state_size, self.p = n, p
        self.state_shapes = ((1,),)
        self.out_shapes = ()

    def matrix(self, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
        r"""$A=\tfrac12 I+\tfrac12 N$: unit $i$ keeps half of itself and half of unit $i+1$."""
        n = self.state_size
        return 0.5 * torch.eye(n, dtype=dtype, device=device) + 0.5 * torch.diag(
            torch.ones(n - 1, dtype=dtype, device=device), 1
        )

    def signs(self, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
        r"""$\sigma$: $+1$ on the first $p$ units, $-1$ on the others."""
        sigma = -torch.ones(self.state_size, dtype=dtype, device=device)
        sigma[: self.p] = 1.0
        return sigma

    def initial_state(
        self, batch: int, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        r"""$s_0=(1,\dots,1)$."""
        return torch.ones(batch, self.state_size, dtype=dtype, device=device)

    def transition(self, w_state: torch.Tensor, state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        r"""$s_{t+1}=As_t+\theta\sigma$."""
        # (A s)_i = (s_i + s_{i+1}) / 2, with s_{n+1} = 0
        shifted = torch.cat([state[:, 1:], torch.zeros_like(state[:, :1])], dim=-1)
        return 0.5 * (state + shifted) + w_state[:, :1] * self.signs(state.dtype, state.device)

    def output(self, w_out: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return state[:, 0]

    def loss(self, w_out: torch.Tensor, state: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""$\ell=\tfrac12(s^1-1)^2$ (``y`` is ignored: the target is always 1)."""
        return 0.5 * (state[:, 0] - 1.0) ** 2
