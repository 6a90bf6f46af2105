#define FASTAUG_ISA_NS neon
#define FASTAUG_ISA_NEON 1  // see core/simd.hpp
#include "resample/resample_simd.inl"
