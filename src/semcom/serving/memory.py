"""A flat resident set for a long-running service under glibc (``semcom serve``'s default;
``--no-flat-memory`` keeps glibc's own settings).

glibc raises its ``mmap`` threshold each time a large block is freed (up to 32 MB), so the
activations of batched forwards, whose sizes change with the batch, soon live on the heap,
where freed blocks of one size leave holes that blocks of another do not fill: the resident
set creeps up request after request. Pinning the threshold (and the trim threshold) at
1 MiB sends every block over 1 MiB to ``mmap`` and back to the kernel on free.

Measured with ``zoo:gsc-cifar10-awgn`` on a 2-core CPU, 64 users, 4,000 requests after
warm-up (``benchmarks/bench_serving.py`` has the 10,000-request soak): glibc's defaults
grew 556 -> 645 MB (+16 %), pinned 434 -> 461 MB (+6 %, mostly the answer cache filling),
with p99 0.8-0.95 s instead of 3.4-3.9 s; but the page faults of fresh ``mmap`` blocks cut
the peak CPU throughput at 32 users from about 159 to 100 requests/s. Settings tried and
dropped: ``malloc_trim`` after every batch (+13 %), a 4 MiB threshold (+15 %), one arena
(+22 %), thresholds at 32 MiB with no trimming (+34 %), batches padded to power-of-two
sizes (flat, but 97 requests/s).

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
#: Where ``semcom serve`` pins both thresholds (unless ``--no-flat-memory``), bytes.
FLAT_THRESHOLD_BYTES = 1024 * 1024


def pin_malloc_thresholds(threshold_bytes: int = FLAT_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap and trim thresholds at ``threshold_bytes`` for this process (which
    also turns glibc's dynamic adjustment off).

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
    ok_mmap = mallopt(M_MMAP_THRESHOLD, threshold_bytes) == 1
    ok_trim = mallopt(M_TRIM_THRESHOLD, threshold_bytes) == 1
    return bool(ok_mmap and ok_trim)
