r"""Optimizees: batches of $n$ independent problem instances over flat parameter matrices
$\theta\in\mathbb R^{n\times P}$.

Every problem returns one loss per instance, $f_i(\theta_i)$, and the gradient of each instance's own loss
(the gradient of $\sum_i f_i$, so no $1/n$ factor reaches the optimizer). The gradient is always returned
detached: the paper drops $\partial\nabla_t/\partial\phi$ (the dashed edges of its Fig. 2), so the
meta-gradient needs no second derivatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F


class Problem:
    """A batch of optimizee instances. Subclasses define ``num_params``, ``num_instances``, ``loss``."""

    num_params: int
    num_instances: int
    init_std: float = 0.01

    def loss(self, params: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Per-instance loss, shape ``(n,)``; stochastic problems draw a fresh minibatch from
        ``generator``."""
        raise NotImplementedError

    def initial_params(self, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        r"""$\theta_0\sim\mathcal N(0,\sigma^2)$ with $\sigma=0.01$ as in the official code."""
        return (self.init_std * torch.randn(self.num_instances, self.num_params, generator=generator)).to(
            device
        )

    def loss_and_grad(
        self, params: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""$\big(f_i(\theta_i)\big)_i$ (attached to ``params``'s graph) and $\nabla_\theta\sum_i f_i$
        (detached)."""
        with torch.enable_grad():
            leaf = params if params.requires_grad else params.detach().requires_grad_()
            loss = self.loss(leaf, generator)
            (grad,) = torch.autograd.grad(loss.sum(), leaf, retain_graph=params.requires_grad)
        return loss, grad.detach()

    def parameter_groups(self) -> torch.Tensor:
        """Which learned network owns each column (all zeros: one network for everything)."""
        return torch.zeros(self.num_params, dtype=torch.long)


class QuadraticProblem(Problem):
    r"""$f_i(\theta)=\lVert W_i\theta-y_i\rVert_2^2$ with $W_i\in\mathbb R^{d\times d}$, $y_i\in\mathbb R^d$
    (Sec. 3.1)."""

    def __init__(self, W: torch.Tensor, y: torch.Tensor) -> None:
        self.W, self.y = W, y
        self.num_instances, self.num_params = y.shape

    def loss(self, params: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        residual = torch.einsum("nij,nj->ni", self.W, params) - self.y
        return residual.pow(2).sum(-1)

    def loss_and_grad(
        self, params: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Closed form: $\nabla f_i=2W_i^\top(W_i\theta-y_i)$ at the detached parameters."""
        residual = torch.einsum("nij,nj->ni", self.W, params.detach()) - self.y
        grad = 2.0 * torch.einsum("nij,ni->nj", self.W, residual)
        return self.loss(params), grad


def sample_quadratics(
    num_functions: int,
    generator: torch.Generator,
    dim: int = 10,
    distribution: Literal["gaussian", "uniform"] = "gaussian",
    device: torch.device | str = "cpu",
) -> QuadraticProblem:
    """Random quadratics: entries IID $\\mathcal N(0,1)$ (paper) or $U[0,1)$ (official code)."""
    if distribution == "gaussian":
        W = torch.randn(num_functions, dim, dim, generator=generator)
        y = torch.randn(num_functions, dim, generator=generator)
    elif distribution == "uniform":
        W = torch.rand(num_functions, dim, dim, generator=generator)
        y = torch.rand(num_functions, dim, generator=generator)
    else:
        raise ValueError(f"unknown distribution {distribution!r}; valid: 'gaussian', 'uniform'")
    return QuadraticProblem(W.to(device), y.to(device))


@dataclass(frozen=True)
class Dataset:
    """Inputs ``(m, ...)`` and integer labels ``(m,)`` of one split."""

    inputs: torch.Tensor
    labels: torch.Tensor

    def to(self, device: torch.device | str) -> Dataset:
        return Dataset(self.inputs.to(device), self.labels.to(device))

    def restrict_to_classes(self, classes: tuple[int, ...]) -> Dataset:
        """Keep the examples of ``classes`` and relabel them ``0..len(classes)-1`` in that order."""
        keep = torch.isin(self.labels, torch.tensor(classes, device=self.labels.device))
        relabel = torch.full((int(self.labels.max()) + 1,), -1, dtype=torch.long, device=self.labels.device)
        relabel[torch.tensor(classes, device=self.labels.device)] = torch.arange(
            len(classes), device=self.labels.device
        )
        return Dataset(self.inputs[keep], relabel[self.labels[keep]])


def digits_splits(
    sizes: tuple[int, int, int] = (600, 598, 599), seed: int = 0, image: bool = False
) -> dict[str, Dataset]:
    """scikit-learn's 1,797 8x8 digits scaled to $[0,1]$, split at random into meta-train/validation/test.

    The split permutation depends only on ``seed``; ``image=True`` keeps the ``(1, 8, 8)`` image shape.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    if sum(sizes) > len(digits.target):
        raise ValueError(f"split sizes {sizes} exceed the {len(digits.target)} digits")
    order = np.random.default_rng(seed).permutation(len(digits.target))
    inputs = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    if image:
        inputs = inputs.reshape(-1, 1, 8, 8)
    labels = torch.tensor(digits.target, dtype=torch.long)
    bounds = np.cumsum((0,) + tuple(sizes))
    names = ("meta_train", "validation", "test")
    return {
        name: Dataset(inputs[order[lo:hi]], labels[order[lo:hi]])
        for name, lo, hi in zip(names, bounds[:-1], bounds[1:])
    }


@lru_cache(maxsize=1)
def mnist_splits() -> dict[str, Dataset]:
    """Real MNIST from :func:`bookkit.datasets.mnist` (the book's 10,000 distinct digits, split 7,001 / 999 /
    2,000 by class), as flat 784-pixel inputs in $[0,1]$: ``meta_train``, ``validation`` and ``test``."""
    from bookkit.datasets import mnist

    splits = mnist()
    return {
        name: Dataset(part.images.flatten(1), part.labels)
        for name, part in (
            ("meta_train", splits.train),
            ("validation", splits.validation),
            ("test", splits.test),
        )
    }


def _minibatch(
    data: Dataset, num_instances: int, batch_size: int, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each instance draws its own ``batch_size`` examples with replacement: ``(n, B, ...)`` and
    ``(n, B)``."""
    index = torch.randint(len(data.labels), (num_instances, batch_size), generator=generator)
    index = index.to(data.labels.device)
    return data.inputs[index], data.labels[index]


class MLPProblem(Problem):
    r"""Fully connected classifier $x\mapsto W_L\,\sigma(\cdots\sigma(W_1x+b_1)\cdots)+b_L$ with
    cross-entropy.

    ``hidden_sizes=(20,)`` and ``activation="sigmoid"`` is the paper's MNIST optimizee; minibatches of
    ``batch_size`` are drawn with replacement at every loss evaluation, independently per instance.
    """

    def __init__(
        self,
        data: Dataset,
        num_instances: int,
        hidden_sizes: tuple[int, ...] = (20,),
        activation: Literal["sigmoid", "relu"] = "sigmoid",
        batch_size: int = 128,
        num_classes: int | None = None,
    ) -> None:
        if activation not in ("sigmoid", "relu"):
            raise ValueError(f"unknown activation {activation!r}; valid: 'sigmoid', 'relu'")
        self.data = data
        self.num_instances = num_instances
        self.activation = torch.sigmoid if activation == "sigmoid" else torch.relu
        self.batch_size = batch_size
        num_classes = num_classes or int(data.labels.max()) + 1
        self.layer_sizes = (data.inputs[0].numel(), *hidden_sizes, num_classes)
        self.num_params = sum((a + 1) * b for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))

    def logits(self, params: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        r"""Batched forward of $n$ networks, $h_{l+1}=\sigma(h_lW_l+b_l)$: ``inputs`` ``(n, B, d)``."""
        hidden, offset = inputs.flatten(2), 0
        for layer, (fan_in, fan_out) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:])):
            weight = params[:, offset : offset + fan_in * fan_out].reshape(-1, fan_in, fan_out)
            offset += fan_in * fan_out
            bias = params[:, offset : offset + fan_out]
            offset += fan_out
            hidden = torch.baddbmm(bias.unsqueeze(1), hidden, weight)
            if layer < len(self.layer_sizes) - 2:
                hidden = self.activation(hidden)
        return hidden

    def loss(self, params: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        inputs, labels = _minibatch(self.data, self.num_instances, self.batch_size, generator)
        logits = self.logits(params, inputs)
        return (
            F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none")
            .view(labels.shape)
            .mean(-1)
        )


class ConvNetProblem(Problem):
    r"""Small digits convnet, our analog of the paper's CIFAR net: two 3x3 conv layers of ``channels`` with
    ReLU and 2x2 max-pool, a ReLU layer of 32 units and a linear read-out, all $n$ nets run as one grouped
    convolution. Conv weights form group 0 and every other parameter group 1 (the official ``cifar-multi``).
    """

    def __init__(
        self,
        data: Dataset,
        num_instances: int,
        num_classes: int,
        channels: int = 8,
        hidden_size: int = 32,
        batch_size: int = 128,
        init_std: float = 0.01,
    ) -> None:
        self.data = data
        self.init_std = init_std
        self.num_instances = num_instances
        self.batch_size = batch_size
        side = data.inputs.shape[-1] // 4
        c = channels
        self.shapes = {
            "conv1.weight": (c, 1, 3, 3),
            "conv1.bias": (c,),
            "conv2.weight": (c, c, 3, 3),
            "conv2.bias": (c,),
            "fc1.weight": (c * side * side, hidden_size),
            "fc1.bias": (hidden_size,),
            "fc2.weight": (hidden_size, num_classes),
            "fc2.bias": (num_classes,),
        }
        self.num_params = sum(math.prod(s) for s in self.shapes.values())

    def _split(self, params: torch.Tensor) -> dict[str, torch.Tensor]:
        pieces, offset = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            pieces[name] = params[:, offset : offset + size].reshape(-1, *shape)
            offset += size
        return pieces

    def parameter_groups(self) -> torch.Tensor:
        return torch.cat(
            [
                torch.full((math.prod(s),), int(not name.startswith("conv") or name.endswith("bias")))
                for name, s in self.shapes.items()
            ]
        )

    def logits(self, params: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """``inputs`` ``(n, B, 1, H, W)`` -> logits ``(n, B, classes)``; instance ``i`` only sees its own
        weights."""
        n, batch = inputs.shape[:2]
        p = self._split(params)
        x = inputs.transpose(0, 1).reshape(batch, n, *inputs.shape[3:])
        for layer in ("conv1", "conv2"):
            weight = p[f"{layer}.weight"].flatten(0, 1)
            x = F.conv2d(x, weight, p[f"{layer}.bias"].flatten(), padding=1, groups=n)
            x = F.max_pool2d(torch.relu(x), 2)
        features = x.reshape(batch, n, -1).transpose(0, 1)
        hidden = torch.relu(torch.baddbmm(p["fc1.bias"].unsqueeze(1), features, p["fc1.weight"]))
        return torch.baddbmm(p["fc2.bias"].unsqueeze(1), hidden, p["fc2.weight"])

    def loss(self, params: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        inputs, labels = _minibatch(self.data, self.num_instances, self.batch_size, generator)
        logits = self.logits(params, inputs)
        return (
            F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none")
            .view(labels.shape)
            .mean(-1)
        )
