#define FASTAUG_ISA_NS neon
#define FASTAUG_ISA_NEON 1  // see core/simd.hpp
#include "pipeline/torchvision_color_simd.inl"
