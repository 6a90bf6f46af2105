#define FASTAUG_ISA_NS avx512
#include "resample/resample_simd.inl"
