"""timescale.py: how much longer a hang guard waits when fedscan is a sanitizer build (shared by the .test files).

A time limit in these tests only guards against a hang. A fedscan built with ./configure --enable-sanitizers
(AddressSanitizer and UBSan) runs several times slower, and more so on a busy machine, so every such limit is
multiplied by SANITIZER_SCALE for it. `make check` says which build it runs (FS_SANITIZERS, set from configure's
SAN_CFLAGS in Makefile.am's AM_TESTS_ENVIRONMENT: empty for a plain build); a binary run by hand, or named by
FEDSCAN, is also judged by AddressSanitizer's __asan_init symbol in it.
"""

import functools
import os

SANITIZER_SCALE = 10


@functools.lru_cache(maxsize=None)
def _has_asan(path):
    try:
        with open(path, 'rb') as f:
            return b'__asan_init' in f.read()
    except OSError:
        return False


def sanitized(fedscan):
    """Whether fedscan (the binary's path) is a sanitizer build."""
    return os.environ.get('FS_SANITIZERS', '').strip() != '' or _has_asan(fedscan)


def scale(fedscan):
    """The factor for every hang guard: SANITIZER_SCALE for a sanitizer build, else 1."""
    return SANITIZER_SCALE if sanitized(fedscan) else 1
