// The baseline build of torchvision_color_simd.inl (namespace scalar): its loops are the
// reference the per-ISA builds are tested against.
#define FASTAUG_ISA_NS scalar
#include "pipeline/torchvision_color_simd.inl"
