#define FASTAUG_ISA_NS sse4
#include "pipeline/run_plans_simd.inl"
