#define FASTAUG_ISA_NS avx512
#include "pipeline/torchvision_color_simd.inl"
