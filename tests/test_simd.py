import os
import platform
import subprocess
import sys

import pytest

import fastaug
from fastaug import _core


def test_simd_info_reports_cpu_and_active_levels():
    info = fastaug.simd_info()
    assert info["cpu"] in ("scalar", "sse4", "avx2", "avx512", "neon")
    assert info["active"] in info["available"]
    assert info["available"][0] == "scalar" and info["available"][-1] == info["cpu"]
    # x86 levels include the ones below them; aarch64 has scalar and neon only.
    if info["cpu"] == "neon":
        assert info["available"] == ["scalar", "neon"]
    else:
        order = ["scalar", "sse4", "avx2", "avx512"]
        assert info["available"] == order[: order.index(info["cpu"]) + 1]


def test_set_level_rejects_levels_this_cpu_lacks():
    lacking = [lv for lv in ("sse4", "avx2", "avx512", "neon")
               if lv not in fastaug.simd_info()["available"]]
    assert lacking  # no CPU has both x86 levels and neon
    before = _core.active_simd_level()
    for level in lacking:
        with pytest.raises(ValueError, match="not supported by this CPU"):
            _core._testing.set_simd_level(level)
        assert _core.active_simd_level() == before


def _import_with_env(value):
    env = dict(os.environ, FASTAUG_SIMD=value)
    code = "import fastaug; print(fastaug.simd_info()['active'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


@pytest.mark.spawns_python
@pytest.mark.parametrize("level", fastaug.simd_info()["available"])
def test_env_var_forces_each_available_level(level):
    proc = _import_with_env(level)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == level


@pytest.mark.spawns_python
def test_env_var_rejects_unknown_level():
    proc = _import_with_env("avx9000")
    assert proc.returncode != 0
    assert "FASTAUG_SIMD" in proc.stderr and "avx9000" in proc.stderr


def test_set_level_rejects_unknown_name():
    with pytest.raises(ValueError, match="level must be one of"):
        _core._testing.set_simd_level("neon9")


# x86 detection decides from CPUID/XGETBV words alone; these feed it synthetic answers.
def _bits(*positions):
    return sum(1 << p for p in positions)


SSE4_ECX = _bits(9, 19)                      # SSSE3, SSE4.1
AVX2_ECX = SSE4_ECX | _bits(12, 27, 28, 29)  # + FMA, OSXSAVE, AVX, F16C
AVX2_EBX = _bits(5, 8)                       # AVX2, BMI2
AVX512_EBX = AVX2_EBX | _bits(16, 17, 30, 31)  # + F, DQ, BW, VL
VBMI_ECX7 = _bits(1)
XCR0_YMM = 0b111                             # x87, SSE, AVX state
XCR0_ZMM = XCR0_YMM | 0b11100000             # + opmask, ZMM_Hi256, Hi16_ZMM


def _detect(max_leaf=7, ecx=AVX2_ECX, ebx7=AVX512_EBX, ecx7=VBMI_ECX7, xcr0=XCR0_ZMM):
    return _core._testing.x86_level_from_cpuid(max_leaf, ecx, ebx7, ecx7, xcr0)


def test_cpuid_full_avx512_with_vbmi():
    assert _detect() == ("avx512", True)
    assert _detect(ecx7=0) == ("avx512", False)


@pytest.mark.parametrize("bit", [16, 17, 30, 31])
def test_cpuid_avx512_needs_each_subset_the_kernels_are_built_for(bit):
    assert _detect(ebx7=AVX512_EBX & ~(1 << bit)) == ("avx2", False)


@pytest.mark.parametrize("cleared", [0b00100000, 0b01000000, 0b10000000])
def test_cpuid_avx512_needs_the_os_to_save_zmm_state(cleared):
    assert _detect(xcr0=XCR0_ZMM & ~cleared) == ("avx2", False)


def test_cpuid_avx_needs_the_os_to_save_ymm_state():
    # CPU has everything, but the OS (XCR0) saves no AVX registers, or does not enable XSAVE.
    assert _detect(xcr0=0b011) == ("sse4", False)
    assert _detect(ecx=AVX2_ECX & ~(1 << 27)) == ("sse4", False)


@pytest.mark.parametrize("ecx_bit", [12, 28, 29])
def test_cpuid_avx2_needs_fma_avx_and_f16c(ecx_bit):
    assert _detect(ecx=AVX2_ECX & ~(1 << ecx_bit), ebx7=AVX2_EBX) == ("sse4", False)


@pytest.mark.parametrize("ebx_bit", [5, 8])
def test_cpuid_avx2_needs_avx2_and_bmi2(ebx_bit):
    assert _detect(ebx7=AVX512_EBX & ~(1 << ebx_bit)) == ("sse4", False)


def test_cpuid_leaf7_ignored_when_max_leaf_is_below_7():
    assert _detect(max_leaf=6) == ("sse4", False)


@pytest.mark.parametrize("ecx_bit", [9, 19])
def test_cpuid_sse4_needs_ssse3_and_sse41(ecx_bit):
    assert _detect(ecx=AVX2_ECX & ~(1 << ecx_bit)) == ("scalar", False)
    assert _detect(max_leaf=0) == ("scalar", False)


def test_cpuid_plain_avx2_machine():
    assert _detect(ebx7=AVX2_EBX, ecx7=0, xcr0=XCR0_YMM) == ("avx2", False)


def _proc_cpuinfo_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


_MACHINE = platform.machine().lower()
_X86 = _MACHINE in ("x86_64", "amd64", "i386", "i686")


# Linux on x86 only (elsewhere there is no /proc/cpuinfo "flags" line to compare with; under
# qemu-user an aarch64 process reads the x86 host's).
if _X86 and _proc_cpuinfo_flags() is not None:
    def test_detected_level_matches_proc_cpuinfo():
        # Linux lists a flag only if the kernel enables the state it needs (XSAVE for AVX).
        flags = _proc_cpuinfo_flags()
        want = "scalar"
        if {"ssse3", "sse4_1"} <= flags:
            want = "sse4"
            if {"avx", "avx2", "fma", "bmi2", "f16c"} <= flags:
                want = "avx2"
                if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
                    want = "avx512"
        assert _core.cpu_simd_level() == want
        assert _core._testing.avx512vbmi() == (want == "avx512" and "avx512vbmi" in flags)


# Advanced SIMD is part of the AArch64 baseline: every aarch64 CPU runs the neon level.
if _MACHINE in ("aarch64", "arm64"):
    def test_aarch64_detects_neon():
        assert _core.cpu_simd_level() == "neon"
        assert fastaug.simd_info()["available"] == ["scalar", "neon"]
        assert not _core._testing.avx512vbmi()
