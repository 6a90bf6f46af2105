#define FASTAUG_ISA_NS avx2
#include "pipeline/run_plans_simd.inl"
