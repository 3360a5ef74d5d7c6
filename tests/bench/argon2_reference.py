"""Reference argon2id throughput for the sign_in benchmark: argon2-cffi (the
C reference implementation) with Latchkey's parameters (19 MiB, two passes,
one lane), one process per core, for the given number of seconds. Prints
hashes per second."""

import multiprocessing
import os
import sys
import time

from argon2.low_level import Type, hash_secret_raw


def hashes_until(deadline: float) -> int:
    count = 0
    while time.monotonic() < deadline:
        hash_secret_raw(b"correct horse battery", b"latchkey-bench-salt", time_cost=2,
                        memory_cost=19456, parallelism=1, hash_len=32, type=Type.ID)
        count += 1
    return count


if __name__ == "__main__":
    seconds = float(sys.argv[1])
    started = time.monotonic()
    with multiprocessing.Pool(os.cpu_count()) as pool:
        counts = pool.map(hashes_until, [started + seconds] * os.cpu_count())
    print(sum(counts) / (time.monotonic() - started))
