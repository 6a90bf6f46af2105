#define FASTAUG_ISA_NS avx512
#include "pipeline/run_plans_simd.inl"
