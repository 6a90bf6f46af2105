#define FASTAUG_ISA_NS neon
#define FASTAUG_ISA_NEON 1  // see core/simd.hpp
#include "pipeline/run_plans_simd.inl"
