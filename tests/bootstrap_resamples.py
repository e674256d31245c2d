#!/usr/bin/env python3
"""The bootstrap resamples rwe draws, rebuilt from their description (docs/methods.md §8.6):

  bootstrap_resamples.py SEED B N > resamples.csv

writes B lines, line b the N patient numbers (1-based, as R indexes) of resample b.
Resample b comes from stream b of the generator: xoshiro256** (Blackman & Vigna 2021)
whose four state words are successive outputs of splitmix64 (Steele, Lea & Flood 2014)
started at splitmix64(seed) xor (b * 0xD1B54A32D192ED03) mod 2^64; each draw is the index
((x >> 32) * N) >> 32 of the next output x. Written here from that description alone, so
that tests can have R refit exactly the resamples rwe drew.
"""
import sys

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro:
    def __init__(self, seed, index):
        _, mixed = splitmix64(seed)
        key = mixed ^ ((index * 0xD1B54A32D192ED03) & MASK)
        self.s = []
        for _ in range(4):
            key, word = splitmix64(key)
            self.s.append(word)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def integer(self, lo, hi):
        return lo + (((self.next() >> 32) * (hi - lo + 1)) >> 32)


def resample(seed, b, n):
    """The 0-based patient indices of resample b (b = 1, 2, ...) of n patients."""
    g = Xoshiro(seed, b)
    return [g.integer(0, n - 1) for _ in range(n)]


def write(path, seed, replicates, n):
    with open(path, "w") as f:
        for b in range(1, replicates + 1):
            f.write(",".join(str(i + 1) for i in resample(seed, b, n)) + "\n")


if __name__ == "__main__":
    seed, replicates, n = (int(a) for a in sys.argv[1:4])
    write("/dev/stdout", seed, replicates, n)
