#define FASTAUG_ISA_NS avx2
#include "pipeline/torchvision_color_simd.inl"
