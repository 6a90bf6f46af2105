#define FASTAUG_ISA_NS sse4
#include "pipeline/torchvision_color_simd.inl"
