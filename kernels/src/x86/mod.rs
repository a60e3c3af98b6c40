//! x86-64 kernels and their feature probes.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod shani;

cpufeatures::new!(cpu_shani, "sha", "sse4.1", "ssse3");
cpufeatures::new!(cpu_avx2, "avx2");
cpufeatures::new!(cpu_avx512, "avx512f");

/// The CPU has SHA-NI (with the SSE4.1 and SSSE3 the kernel also uses).
pub(crate) fn has_shani() -> bool {
    cpu_shani::get()
}

/// The CPU (and OS) support AVX2.
pub(crate) fn has_avx2() -> bool {
    cpu_avx2::get()
}

/// The CPU (and OS) support AVX-512F.
pub(crate) fn has_avx512() -> bool {
    cpu_avx512::get()
}
