#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payword_fuzz::targets::symmetric_claim(data));
