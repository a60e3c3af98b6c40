//! The baseline: the same runtime (cortex-m-rt's vector table and reset
//! handler, panic-halt) and nothing else, so that `vendor` minus `empty` is
//! what the vendor code and payword add.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let mut n = 0u32;
    loop {
        n = black_box(n).wrapping_add(1);
    }
}
