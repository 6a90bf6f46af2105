#define FASTAUG_ISA_NS sse4
#include "resample/resample_simd.inl"
