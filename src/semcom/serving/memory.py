"""A steady resident set for a long-running service under glibc (``semcom serve``'s default;
``--no-flat-memory`` keeps glibc's own settings).

Two things make the resident set of a batched service creep up under glibc's defaults:

* glibc raises its ``mmap`` threshold each time a large block is freed, so the activations
  of batched forwards soon live on the heap; there, freed blocks of one size leave holes
  that blocks of another do not fill, and every new batch size brings new sizes;
* it trims the top of each heap when enough is free, and the next forward faults the
  same pages back in (zeroed by the kernel: thousands of page faults per image).

:func:`pin_malloc_thresholds` fixes the ``mmap`` threshold at glibc's ceiling (32 MiB on
64-bit, so activations stay on the heap) and the trim threshold out of reach (the heap is
never handed back and re-faulted); :class:`~semcom.serving.engine.LinkEngine` pads every
forward to a power of two (``pad_shapes``), so only a handful of block sizes ever occur and
the same blocks are reused forward after forward. Together: a flat resident set at the
speed of a warm heap.

Measured with ``zoo:gsc-cifar10-awgn`` on a 2-core CPU, 400 batches of 1-32 images in a
worker thread (``benchmarks/bench_serving.py`` has the service's 10,000-request soak):
glibc's defaults 553 -> 991 MB (+79 %, 215 images/s); both thresholds pinned at 1 MiB
(every activation a fresh ``mmap``, this module's first setting) +12-27 %, 118-135
images/s, about 2,000 page faults per image; pinned at 32 MiB / no trim with padded
shapes of at most 16 +0.2-2.5 %, 158-180 images/s, about 5 page faults per image. Tried
and dropped earlier: ``malloc_trim`` after every batch, a 4 MiB threshold, one arena.

Example:
    >>> import platform
    >>> from semcom.serving.memory import pin_malloc_thresholds
    >>> pin_malloc_thresholds() == (platform.libc_ver()[0] == "glibc")  # set where glibc is
    True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's largest ``mmap`` threshold on 64-bit (``HEAP_MAX_SIZE / 2``), bytes.
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
#: A trim threshold the heap never reaches: freed memory stays resident for reuse, bytes.
NO_TRIM = 2**31 - 1


def pin_malloc_thresholds(
    mmap_threshold_bytes: int = MMAP_THRESHOLD_MAX, trim_threshold_bytes: int = NO_TRIM
) -> bool:
    """Fix glibc's ``mmap`` and trim thresholds for this process (which also turns glibc's
    dynamic adjustment off); the defaults keep blocks up to 32 MiB on a heap that is never
    trimmed (module docstring).

    Returns ``True`` when set, ``False`` on other platforms or C libraries (nothing done).
    The same as starting the process with ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` in the environment.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok_mmap = mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes) == 1
    ok_trim = mallopt(M_TRIM_THRESHOLD, trim_threshold_bytes) == 1
    return bool(ok_mmap and ok_trim)
