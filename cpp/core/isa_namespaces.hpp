// Declares one kernel signature in every ISA namespace (scalar, sse4, avx2, avx512; on
// aarch64 scalar and neon).
// Per-ISA translation units define FASTAUG_ISA_NS before including a family's *_simd.inl,
// so each compiles the same generic source into its own namespace: no function compiled
// with AVX flags can be picked by the linker for a caller in another namespace.
#pragma once

#if defined(FASTAUG_X86)
#define FASTAUG_DECLARE_PER_ISA(decl)   \
  namespace scalar { decl; }            \
  namespace sse4 { decl; }              \
  namespace avx2 { decl; }              \
  namespace avx512 { decl; }
#elif defined(FASTAUG_NEON)
#define FASTAUG_DECLARE_PER_ISA(decl) \
  namespace scalar { decl; }          \
  namespace neon { decl; }
#else
#define FASTAUG_DECLARE_PER_ISA(decl) \
  namespace scalar { decl; }
#endif

// Whether this translation unit is a vector one (sse4/avx2/avx512 or neon), for the code a
// family's *_simd.inl shares with its scalar build: x86 units are told apart by their ISA
// flags; NEON is baseline on aarch64, so its units say so (FASTAUG_ISA_NEON).
#if defined(__SSE4_1__) || defined(FASTAUG_ISA_NEON)
#define FASTAUG_VECTOR_UNIT 1
#endif
