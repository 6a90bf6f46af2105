// Philox-4x32-10 (Salmon et al., SC 2011), the counter-based generator fastaug's keyed
// randomness is built on: four 32-bit output words per (counter, key), no state.
#pragma once
#include <cstdint>

namespace fastaug {

void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

// For each stream s of `streams` and each index i of `indices`, the four words of counter
// (i's low word, epoch, s, i's high word) under key (seed's low word, seed's high word),
// mapped to (w + 0.5) / 2**32 in (0, 1); written to out[((s * 4) + k) * n + i].
void keyed_uniforms(uint64_t seed, uint32_t epoch, const uint64_t* indices, int64_t n,
                    const uint32_t* streams, int64_t stream_count, double* out);

}  // namespace fastaug
