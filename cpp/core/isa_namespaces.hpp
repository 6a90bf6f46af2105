// Declares one kernel signature in every ISA namespace (scalar, sse4, avx2, avx512).
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
#else
#define FASTAUG_DECLARE_PER_ISA(decl) \
  namespace scalar { decl; }
#endif

// Entry points that also have a NEON version (a family's *_neon.cpp, namespace `neon`,
// aarch64 builds only); dispatch them with FASTAUG_DISPATCH_NEON.
#if defined(FASTAUG_NEON)
#define FASTAUG_DECLARE_PER_ISA_NEON(decl) \
  namespace scalar { decl; }               \
  namespace neon { decl; }
#else
#define FASTAUG_DECLARE_PER_ISA_NEON(decl) FASTAUG_DECLARE_PER_ISA(decl)
#endif
