#define FASTAUG_ISA_NS avx2
#include "resample/resample_simd.inl"
