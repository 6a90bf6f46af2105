// Flip kernels compiled once per ISA (see core/isa_namespaces.hpp). The including file
// defines FASTAUG_ISA_NS and is compiled with that ISA's flags.
//
// A horizontal flip of a row with dense pixels reverses the order of p-byte pixels. For
// p in {1, 2, 4, 8, 16} a vector holds whole pixels: one byte shuffle reverses them inside
// each 16-byte lane, and a lane permute reverses the lanes. For p in {3, 6, 12} pixels
// straddle lanes, so rows go in 48-byte blocks (16, 8 or 4 pixels): each output 16 bytes is
// the OR of byte shuffles of the 2-3 source chunks it draws from. Other pixel sizes, and
// rows whose pixels are not packed, take the pixel-by-pixel loop.
#include <cstring>

#include "core/simd.hpp"  // B16: 16-byte shuffles on every architecture
#include "core/simd_level.hpp"
#include "geometry/flip.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

constexpr uint8_t kZero = 0x80;  // pshufb: a set high bit writes 0

struct Shuffle16 {
  uint8_t b[16];
};
// Reverses the order of p-byte pixels within 16 bytes (p divides 16).
constexpr Shuffle16 reverse_pixels_mask(int p) {
  Shuffle16 m{};
  for (int i = 0; i < 16; ++i) m.b[i] = static_cast<uint8_t>((16 / p - 1 - i / p) * p + i % p);
  return m;
}

// Output chunk k (bytes 16k..16k+15) of a mirrored 48-byte block is the OR over source chunks
// j of pshufb(chunk j, mask[k][j]).
struct Mirror48 {
  Shuffle16 mask[3][3];
};
constexpr Mirror48 mirror48_masks(int p) {
  Mirror48 m{};
  for (int o = 0; o < 48; ++o) {
    const int src = (48 / p - 1 - o / p) * p + o % p;
    for (int j = 0; j < 3; ++j)
      m.mask[o / 16][j].b[o % 16] = src / 16 == j ? static_cast<uint8_t>(src % 16) : kZero;
  }
  return m;
}
// The block code skips the (out 0, src 0) and (out 2, src 2) shuffles: they must be empty.
constexpr bool mirror48_skips_are_empty(int p) {
  const Mirror48 m = mirror48_masks(p);
  for (int i = 0; i < 16; ++i)
    if (m.mask[0][0].b[i] != kZero || m.mask[2][2].b[i] != kZero) return false;
  return true;
}
static_assert(mirror48_skips_are_empty(3) && mirror48_skips_are_empty(6) &&
                  mirror48_skips_are_empty(12),
              "48-byte mirror needs only 7 shuffles");

inline B16 load16(const uint8_t* p) { return b16_load(p); }
inline void store16(uint8_t* p, B16 v) { b16_store(p, v); }
inline B16 mask16(const Shuffle16& m) { return load16(m.b); }

// Widest vector: V bytes of whole pixels, reversed.
#if defined(__AVX512BW__)
constexpr int kVector = 64;
template <int P>
inline void reverse_vector(const uint8_t* s, uint8_t* d) {
  static constexpr Shuffle16 m = reverse_pixels_mask(P);
  const __m512i v = _mm512_loadu_si512(s);
  const __m512i in_lanes = P == 16 ? v : _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(mask16(m)));
  _mm512_storeu_si512(d, _mm512_shuffle_i64x2(in_lanes, in_lanes, 0x1B));
}
#elif defined(__AVX2__)
constexpr int kVector = 32;
template <int P>
inline void reverse_vector(const uint8_t* s, uint8_t* d) {
  static constexpr Shuffle16 m = reverse_pixels_mask(P);
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
  const __m256i in_lanes =
      P == 16 ? v : _mm256_shuffle_epi8(v, _mm256_broadcastsi128_si256(mask16(m)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm256_permute4x64_epi64(in_lanes, 0x4E));
}
#else  // SSE4.1, NEON
constexpr int kVector = 16;
template <int P>
inline void reverse_vector(const uint8_t* s, uint8_t* d) {
  static constexpr Shuffle16 m = reverse_pixels_mask(P);
  store16(d, b16_shuffle(load16(s), mask16(m)));
}
#endif

template <int P>
inline void reverse16(const uint8_t* s, uint8_t* d) {
  static constexpr Shuffle16 m = reverse_pixels_mask(P);
  store16(d, b16_shuffle(load16(s), mask16(m)));
}

// Rows shorter than a block, pixel by pixel (a constant-size copy each).
template <int P>
void flip_row_pixels(const uint8_t* s, uint8_t* d, int64_t n) {
  for (int64_t o = 0, i = n - P; o < n; o += P, i -= P) std::memcpy(d + o, s + i, P);
}

// Mirrors a row of n >= B bytes with block(src, dst), which mirrors B bytes. Blocks go in
// ascending source (descending destination) order, which the hardware prefetcher follows
// better than descending loads (docs/performance.md, "Flips"). When B does not
// divide n, the block at the source's start overlaps its neighbour's output and rewrites the
// same values, which is fine since src and dst do not overlap.
template <int64_t B, typename Block>
inline void mirror_row_blocks(const uint8_t* s, uint8_t* d, int64_t n, Block block) {
  if (n % B) block(s, d + n - B);
  for (int64_t k = n / B - 1; k >= 0; --k) block(s + n - (k + 1) * B, d + k * B);
}

// Row of n bytes, pixels of P bytes, P dividing 16.
template <int P>
void flip_row_pow2(const uint8_t* s, uint8_t* d, int64_t n) {
  if (n >= kVector)
    mirror_row_blocks<kVector>(s, d, n, reverse_vector<P>);
  else if (n >= 16)
    mirror_row_blocks<16>(s, d, n, reverse16<P>);
  else
    flip_row_pixels<P>(s, d, n);
}

template <int P>
inline void mirror48(const uint8_t* s, uint8_t* d) {
  static constexpr Mirror48 m = mirror48_masks(P);
  const B16 c0 = load16(s), c1 = load16(s + 16), c2 = load16(s + 32);
  auto shuf = [](B16 v, const Shuffle16& mk) { return b16_shuffle(v, mask16(mk)); };
  store16(d, b16_or(shuf(c1, m.mask[0][1]), shuf(c2, m.mask[0][2])));
  store16(d + 16, b16_or(b16_or(shuf(c0, m.mask[1][0]), shuf(c1, m.mask[1][1])),
                         shuf(c2, m.mask[1][2])));
  store16(d + 32, b16_or(shuf(c0, m.mask[2][0]), shuf(c1, m.mask[2][1])));
}

#if defined(__AVX2__) && !defined(__AVX512BW__)
// Two 48-byte blocks at once: ymm lanes hold the same chunk of both blocks, so the 128-bit
// shuffle masks apply unchanged. Source bytes [s, s + 96) mirror into d[0, 96): the first
// output block draws from the second source block.
template <int P>
inline void mirror96(const uint8_t* s, uint8_t* d) {
  static constexpr Mirror48 m = mirror48_masks(P);
  __m256i c[3];
  for (int j = 0; j < 3; ++j)
    c[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(load16(s + 48 + 16 * j)), load16(s + 16 * j), 1);
  auto shuf = [](__m256i v, const Shuffle16& mk) { return _mm256_shuffle_epi8(v, _mm256_broadcastsi128_si256(mask16(mk))); };
  const __m256i o0 = _mm256_or_si256(shuf(c[1], m.mask[0][1]), shuf(c[2], m.mask[0][2]));
  const __m256i o1 = _mm256_or_si256(_mm256_or_si256(shuf(c[0], m.mask[1][0]), shuf(c[1], m.mask[1][1])),
                                     shuf(c[2], m.mask[1][2]));
  const __m256i o2 = _mm256_or_si256(shuf(c[0], m.mask[2][0]), shuf(c[1], m.mask[2][1]));
  // Lane 0 of each is the first block's chunk. Each lane is stored by itself: the lane
  // permutes that would pair them for 32-byte stores cost more than the extra stores (AMD
  // Zen 1 runs vperm2i128 as 8 micro-ops).
  auto store_lanes = [&](uint8_t* out, __m256i v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(v));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 48), _mm256_extracti128_si256(v, 1));
  };
  store_lanes(d, o0);
  store_lanes(d + 16, o1);
  store_lanes(d + 32, o2);
}
#endif

// Row of n bytes, pixels of P in {3, 6, 12} bytes (each divides 48).
template <int P>
void flip_row_48(const uint8_t* s, uint8_t* d, int64_t n) {
  if (n < 48) {
    flip_row_pixels<P>(s, d, n);
    return;
  }
#if defined(__AVX2__) && !defined(__AVX512BW__)
  // Output [0, n - r) in 96-byte blocks; the rest, sourced from s[0, r), in 48-byte ones.
  const int64_t r = n % 96;
  if (r >= 48)
    mirror_row_blocks<48>(s, d + n - r, r, mirror48<P>);
  else if (r > 0)
    mirror48<P>(s, d + n - 48);
  for (int64_t k = n / 96 - 1; k >= 0; --k) mirror96<P>(s + n - (k + 1) * 96, d + k * 96);
#else
  mirror_row_blocks<48>(s, d, n, mirror48<P>);
#endif
}

#if defined(__AVX512BW__) && (defined(__GNUC__) || defined(__clang__))
#define FASTAUG_FLIP_VBMI 1
// With VBMI one vpermb mirrors a whole block of B = 64 - 64 % P bytes (21 RGB pixels):
// masked loads and stores move exactly B bytes, so nothing outside the row is touched.
template <int P>
struct VbmiMirror {
  static constexpr int kBlock = 64 - 64 % P;
  uint8_t index[64];
  constexpr VbmiMirror() : index() {
    for (int i = 0; i < 64; ++i)
      index[i] = static_cast<uint8_t>(i < kBlock ? (kBlock / P - 1 - i / P) * P + i % P : i);
  }
};

template <int P>
__attribute__((target("avx512vbmi"))) void flip_row_vbmi(const uint8_t* s, uint8_t* d, int64_t n) {
  static constexpr VbmiMirror<P> m;
  constexpr int64_t B = VbmiMirror<P>::kBlock;
  const __m512i index = _mm512_loadu_si512(m.index);
  if (n < B) {
    // n / P pixels: the block's index less the B - n bytes of the pixels it does not hold.
    const __mmask64 bytes = (__mmask64{1} << n) - 1;
    const __m512i short_index = _mm512_sub_epi8(index, _mm512_set1_epi8(static_cast<char>(B - n)));
    _mm512_mask_storeu_epi8(d, bytes, _mm512_permutexvar_epi8(short_index, _mm512_maskz_loadu_epi8(bytes, s)));
    return;
  }
  const __mmask64 block = (__mmask64{1} << B) - 1;
  // Ascending source order, as mirror_row_blocks (a lambda would not inherit the target
  // attribute). The block at the source's start rewrites part of its neighbour's output.
  if (n % B)
    _mm512_mask_storeu_epi8(d + n - B, block, _mm512_permutexvar_epi8(index, _mm512_maskz_loadu_epi8(block, s)));
  for (int64_t k = n / B - 1; k >= 0; --k) {
    const __m512i v = _mm512_maskz_loadu_epi8(block, s + n - (k + 1) * B);
    _mm512_mask_storeu_epi8(d + k * B, block, _mm512_permutexvar_epi8(index, v));
  }
}
#endif

using RowFlip = void (*)(const uint8_t*, uint8_t*, int64_t);

RowFlip dense_row_flip(int64_t pixel_bytes) {
#if defined(FASTAUG_FLIP_VBMI)
  if (avx512vbmi_enabled()) {
    switch (pixel_bytes) {
      case 3: return flip_row_vbmi<3>;
      case 6: return flip_row_vbmi<6>;
      case 12: return flip_row_vbmi<12>;
      default: break;
    }
  }
#endif
  switch (pixel_bytes) {
    case 1: return flip_row_pow2<1>;
    case 2: return flip_row_pow2<2>;
    case 4: return flip_row_pow2<4>;
    case 8: return flip_row_pow2<8>;
    case 16: return flip_row_pow2<16>;
    case 3: return flip_row_48<3>;
    case 6: return flip_row_48<6>;
    case 12: return flip_row_48<12>;
    default: return nullptr;
  }
}

}  // namespace

RowMirror row_mirror_for(int64_t pixel_bytes) { return dense_row_flip(pixel_bytes); }

void flip_horizontal_bytes(const ConstImageU8& src, const ImageU8& dst) {
  const int64_t w = src.width;
  const int64_t p = src.channels;
  const RowFlip row_flip = dense_row_flip(p);
  if (row_flip && src.dense_rows() && dst.dense_rows()) {
    for (int64_t r = 0; r < src.height; ++r) row_flip(src.row(r), dst.row(r), w * p);
    return;
  }
  for (int64_t r = 0; r < src.height; ++r) {
    const uint8_t* s = src.row(r);
    uint8_t* d = dst.row(r);
    for (int64_t c = 0; c < w; ++c) {
      const uint8_t* sp = s + (w - 1 - c) * src.col_stride;
      uint8_t* dp = d + c * dst.col_stride;
      for (int64_t k = 0; k < p; ++k) dp[k] = sp[k];
    }
  }
}

void flip_vertical_bytes(const ConstImageU8& src, const ImageU8& dst) {
  const int64_t h = src.height;
  if (src.dense_rows() && dst.dense_rows()) {
    const size_t row_bytes = static_cast<size_t>(src.width * src.channels);
    for (int64_t r = 0; r < h; ++r) std::memcpy(dst.row(r), src.row(h - 1 - r), row_bytes);
    return;
  }
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < src.width; ++c)
      std::memcpy(dst.pixel(r, c), src.pixel(h - 1 - r, c), static_cast<size_t>(src.channels));
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
