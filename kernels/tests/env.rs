//! `PAYWORD_KERNEL` (feature `std`). One test, alone in its binary: it sets
//! the variable, and the backend is decided once per process.

use payword_kernels::{Backend, backend, backend_from_env, env_error};

fn set(value: &str) {
    // SAFETY: this binary runs a single test function, on one thread: no
    // other thread reads or writes the environment meanwhile.
    unsafe { std::env::set_var("PAYWORD_KERNEL", value) };
}

#[test]
fn env_pins_or_reports() {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var("PAYWORD_KERNEL") };
    assert_eq!(backend_from_env(), Ok(Backend::detect()));
    set("");
    assert_eq!(backend_from_env(), Ok(Backend::detect()));

    for b in Backend::ALL {
        set(b.name());
        match backend_from_env() {
            Ok(got) => {
                assert!(b.available());
                assert_eq!(got, b);
            }
            Err(message) => {
                assert!(!b.available(), "{b}: {message}");
                assert!(message.contains("not available"), "{message}");
            }
        }
    }
    set("SHA-NI");
    assert_eq!(backend_from_env().is_ok(), Backend::ShaNi.available());

    set("neon");
    let message = backend_from_env().unwrap_err();
    assert!(
        message.contains("PAYWORD_KERNEL") && message.contains("neon"),
        "{message}"
    );

    // First use with a bad value: detection, and the message is kept.
    assert_eq!(env_error(), None);
    assert_eq!(backend(), Backend::detect());
    assert_eq!(env_error(), Some(message.as_str()));
}
