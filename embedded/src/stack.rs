//! Stack high-water marks by painting (the `qemu` feature).
//!
//! [`measure`] reads its own stack pointer, fills every word from the bottom
//! of the stack region (`_stack_end`, cortex-m-rt's end of `.bss`/`.uninit`)
//! up to that pointer with a pattern, calls the step through an opaque
//! `&mut dyn FnMut` (so it cannot be inlined into the measuring frame), then
//! finds the lowest word that no longer holds the pattern. The distance from
//! the stack pointer to that word is the step's high-water mark: everything
//! the step and its callees wrote on the stack, return addresses and saved
//! registers included. No interrupt is enabled, so nothing else writes there.

use core::arch::asm;
use core::hint::black_box;
use core::ptr::{addr_of, read_volatile, write_volatile};

use cortex_m_semihosting::{debug, hprintln};

const PAINT: u32 = 0xcccc_cccc;

unsafe extern "C" {
    /// Lowest address the stack may grow to (cortex-m-rt's `link.x`).
    static _stack_end: u32;
}

/// Stack bytes `f` used, measured from the caller's stack pointer.
#[inline(never)]
fn high_water(f: &mut dyn FnMut()) -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer, nothing else.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    let bottom = addr_of!(_stack_end) as usize;
    let top = sp & !3;
    let mut p = bottom;
    while p < top {
        // SAFETY: [bottom, sp) is the unused part of the stack region, below
        // every live frame; no interrupt is enabled.
        unsafe { write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
    black_box(&mut *f)();
    let mut low = bottom;
    // SAFETY: the same region, read back.
    while low < top && unsafe { read_volatile(low as *const u32) } == PAINT {
        low += 4;
    }
    assert!(low > bottom, "stack overflowed the painted region");
    top - low
}

/// Runs `f`, prints `stack <name> <bytes>` over semihosting, returns what
/// `f` returned.
pub fn measure<R>(name: &str, f: impl FnOnce() -> R) -> R {
    let mut f = Some(f);
    let mut out = None;
    let used = high_water(&mut || out = f.take().map(|f| f()));
    hprintln!("stack {} {}", name, used);
    match out {
        Some(r) => r,
        None => unreachable!(),
    }
}

/// Prints `size <name> <bytes>` over semihosting.
pub fn size(name: &str, bytes: usize) {
    hprintln!("size {} {}", name, bytes);
}

/// Prints the verdict and ends the QEMU run with its exit code.
pub fn finish(ok: bool) -> ! {
    hprintln!("result {}", if ok { "ok" } else { "FAIL" });
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        core::hint::spin_loop();
    }
}
