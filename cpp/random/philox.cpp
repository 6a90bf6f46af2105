#include "random/philox.hpp"

namespace fastaug {

void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key increments per round
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round) {
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

void keyed_uniforms(uint64_t seed, uint32_t epoch, const uint64_t* indices, int64_t n,
                    const uint32_t* streams, int64_t stream_count, double* out) {
  const uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  for (int64_t s = 0; s < stream_count; ++s) {
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t counter[4] = {static_cast<uint32_t>(indices[i]), epoch, streams[s],
                                   static_cast<uint32_t>(indices[i] >> 32)};
      uint32_t words[4];
      philox4x32_10(counter, key, words);
      for (int k = 0; k < 4; ++k)
        out[(s * 4 + k) * n + i] = (static_cast<double>(words[k]) + 0.5) * (1.0 / 4294967296.0);
    }
  }
}

}  // namespace fastaug
