"""Splitting a data set among federated clients.

Each partitioner returns ``list[np.ndarray]``: one sorted ``int64`` array of example
indices per client. The arrays are disjoint and together hold every index exactly once.

* :func:`iid_partition`: a seeded random permutation cut into ``num_clients`` nearly
  equal parts (sizes differ by at most 1).
* :func:`dirichlet_partition`: label skew; for each class, the share of that class
  each client gets is drawn from ``Dir(alpha)`` (small ``alpha``: each client sees few
  classes; large ``alpha``: close to IID). Draws are repeated until every client has
  at least ``min_size`` examples.

Registered in ``PARTITIONERS`` as ``"iid"`` and ``"dirichlet"``. The registered
factories take the partitioner's options (``alpha``, ``min_size`` for ``dirichlet``)
and return an object with the uniform call ``partitioner(labels_or_n, num_clients,
seed)``, where ``labels_or_n`` is the label array ``[N]`` (or, for ``iid`` only, the
number of examples ``N``).

Example:
    >>> import numpy as np
    >>> from semcom.data.partition import iid_partition, dirichlet_partition, class_histogram
    >>> [len(p) for p in iid_partition(10, 3, seed=0)]
    [4, 3, 3]
    >>> labels = np.repeat(np.arange(4), 25)
    >>> parts = dirichlet_partition(labels, 4, alpha=0.5, seed=0)
    >>> int(class_histogram(labels, parts, 4).sum())
    100
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from semcom.errors import SemcomError
from semcom.registry import PARTITIONERS

IndexArray = npt.NDArray[np.int64]
Labels = npt.NDArray[np.integer[Any]] | torch.Tensor | Sequence[int]

#: How many Dirichlet draws :func:`dirichlet_partition` tries before giving up.
MAX_DRAWS = 1000


def _labels_array(labels: Labels) -> IndexArray:
    """``labels`` as a 1-D int64 array of values ``>= 0``."""
    arr = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if arr.ndim != 1:
        raise SemcomError(f"labels must be 1-D [N], got shape {list(arr.shape)}")
    if arr.size and (arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer)):
        raise SemcomError(f"labels must be integers, got dtype {arr.dtype}")
    out = arr.astype(np.int64)
    if out.size and int(out.min()) < 0:
        raise SemcomError(f"labels must be >= 0, found {int(out.min())}")
    return out


def _check_clients(n_examples: int, num_clients: int, min_size: int = 1) -> None:
    if num_clients < 1:
        raise SemcomError(f"number of clients must be >= 1, got {num_clients}")
    if n_examples < num_clients * min_size:
        raise SemcomError(
            f"cannot give {num_clients} clients at least {min_size} example(s) each "
            f"from {n_examples} examples; use fewer clients"
        )


def iid_partition(n_examples: int, num_clients: int, seed: int) -> list[IndexArray]:
    """IID split of ``range(n_examples)`` into ``num_clients`` nearly equal parts.

    Args:
        n_examples: number of examples ``N``.
        num_clients: number of clients ``K`` (``1 <= K <= N``).
        seed: seed of the permutation.

    Returns:
        ``K`` sorted ``int64`` index arrays, sizes ``N // K`` or ``N // K + 1``.

    Example:
        >>> [p.tolist() for p in iid_partition(5, 2, seed=1)]
        [[0, 1, 4], [2, 3]]
    """
    _check_clients(n_examples, num_clients)
    perm = np.random.default_rng(seed).permutation(n_examples).astype(np.int64)
    return [np.sort(p) for p in np.array_split(perm, num_clients)]


def dirichlet_partition(
    labels: Labels,
    num_clients: int,
    alpha: float = 0.9,
    seed: int = 0,
    min_size: int = 1,
) -> list[IndexArray]:
    """Label-skewed split: per class, client shares ~ ``Dir(alpha, ..., alpha)``.

    For each class, its (shuffled) examples are cut among the clients in proportions
    drawn from a symmetric Dirichlet with concentration ``alpha``. The whole draw is
    repeated (same generator, so still deterministic for a seed) until every client
    has at least ``min_size`` examples, at most :data:`MAX_DRAWS` times.

    Args:
        labels: ``[N]`` integer class labels ``>= 0`` (numpy, torch or a list).
        num_clients: number of clients ``K >= 1``.
        alpha: Dirichlet concentration, ``> 0``.
        seed: seed of all the randomness.
        min_size: least number of examples per client, ``>= 0``.

    Returns:
        ``K`` sorted ``int64`` index arrays, disjoint, together ``range(N)``.

    Raises:
        SemcomError: bad arguments, or no draw met ``min_size`` (raise ``alpha``, lower
            ``num_clients`` or ``min_size``).

    Example:
        >>> import numpy as np
        >>> parts = dirichlet_partition(np.arange(20) % 2, 2, alpha=100.0, seed=0)
        >>> sum(len(p) for p in parts)
        20
    """
    y = _labels_array(labels)
    if not (alpha > 0 and np.isfinite(alpha)):
        raise SemcomError(f"Dirichlet alpha must be a positive number, got {alpha}")
    if min_size < 0:
        raise SemcomError(f"min_size must be >= 0, got {min_size}")
    _check_clients(len(y), num_clients, min_size)
    rng = np.random.default_rng(seed)
    by_class = [np.flatnonzero(y == c).astype(np.int64) for c in np.unique(y)]
    for _ in range(MAX_DRAWS):
        parts: list[list[IndexArray]] = [[] for _ in range(num_clients)]
        for idx in by_class:
            shuffled = rng.permutation(idx)
            props = rng.dirichlet(np.full(num_clients, alpha))
            cuts = (np.cumsum(props)[:-1] * len(shuffled)).astype(np.int64)
            for k, chunk in enumerate(np.split(shuffled, cuts)):
                parts[k].append(chunk)
        sizes = [sum(len(c) for c in p) for p in parts]
        if min(sizes) >= min_size:
            return [np.sort(np.concatenate(p)).astype(np.int64) for p in parts]
    raise SemcomError(
        f"Dirichlet partition (alpha={alpha}) left a client with fewer than {min_size} "
        f"example(s) in {MAX_DRAWS} draws; raise alpha, or lower the number of clients "
        f"({num_clients}) or min_size"
    )


def class_histogram(
    labels: Labels, parts: Sequence[npt.NDArray[np.integer[Any]]], num_classes: int
) -> npt.NDArray[np.int64]:
    """Examples of each class held by each client: ``[num_clients, num_classes] int64``.

    Example:
        >>> import numpy as np
        >>> class_histogram(np.array([0, 1, 1]), [np.array([0]), np.array([1, 2])], 2).tolist()
        [[1, 0], [0, 2]]
    """
    y = _labels_array(labels)
    if y.size and int(y.max()) >= num_classes:
        raise SemcomError(f"label {int(y.max())} is out of range for {num_classes} classes")
    hist = np.zeros((len(parts), num_classes), dtype=np.int64)
    for k, p in enumerate(parts):
        hist[k] = np.bincount(y[np.asarray(p, dtype=np.int64)], minlength=num_classes)
    return hist


class IIDPartitioner:
    """Uniform-call wrapper of :func:`iid_partition` (registered as ``"iid"``).

    ``partitioner(labels_or_n, num_clients, seed)``: ``labels_or_n`` is ``N`` or any
    ``[N]`` label array (only its length is used).

    Example:
        >>> [len(p) for p in IIDPartitioner()(7, 2, seed=0)]
        [4, 3]
    """

    name = "iid"

    def __call__(self, labels_or_n: Labels | int, num_clients: int, seed: int) -> list[IndexArray]:
        if isinstance(labels_or_n, int | np.integer):
            n = int(labels_or_n)
        else:
            n = len(_labels_array(labels_or_n))
        return iid_partition(n, num_clients, seed)


class DirichletPartitioner:
    """Uniform-call wrapper of :func:`dirichlet_partition` (registered as ``"dirichlet"``).

    Args:
        alpha: Dirichlet concentration (``> 0``; smaller = more skewed).
        min_size: least number of examples per client.

    ``partitioner(labels, num_clients, seed)`` needs the labels ``[N]``.

    Example:
        >>> import numpy as np
        >>> parts = DirichletPartitioner(alpha=0.5)(np.arange(40) % 4, 2, seed=0)
        >>> len(parts)
        2
    """

    name = "dirichlet"

    def __init__(self, alpha: float = 0.9, min_size: int = 1) -> None:
        if not (alpha > 0 and np.isfinite(alpha)):
            raise SemcomError(f"Dirichlet alpha must be a positive number, got {alpha}")
        self.alpha = float(alpha)
        self.min_size = int(min_size)

    def __call__(self, labels_or_n: Labels | int, num_clients: int, seed: int) -> list[IndexArray]:
        if isinstance(labels_or_n, int | np.integer):
            raise SemcomError(
                "the dirichlet partitioner needs class labels, and this data set has none; "
                "use the iid partitioner"
            )
        return dirichlet_partition(labels_or_n, num_clients, self.alpha, seed, self.min_size)


@PARTITIONERS.register("iid", summary="IID: random, nearly equal shares")
def _make_iid() -> IIDPartitioner:
    return IIDPartitioner()


@PARTITIONERS.register("dirichlet", summary="label skew: class shares ~ Dirichlet(alpha)")
def _make_dirichlet(alpha: float = 0.9, min_size: int = 1) -> DirichletPartitioner:
    return DirichletPartitioner(alpha=alpha, min_size=min_size)
