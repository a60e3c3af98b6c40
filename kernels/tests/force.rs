//! `force` pins the backend of `walk` and `walk_many` for the process (one
//! test in its own binary, since the choice is global).

use payword_kernels::{Backend, Lane, Unavailable, backend, force, walk, walk_many, walk_with};

#[test]
fn force_pins_available_backends_and_refuses_others() {
    assert!(backend().available());
    let id = [3u8; 16];
    let word = [4u8; 32];
    // Under miri (portable only, interpreted) a few compressions suffice.
    let (from, count) = if cfg!(miri) { (4, 3) } else { (70, 33) };
    let want = walk_with(Backend::Portable, &id, from, &word, 2).unwrap();
    for b in Backend::ALL {
        if b.available() {
            force(b).unwrap();
            assert_eq!(backend(), b);
            assert_eq!(walk(&id, from, &word, 2), want, "{b}");
            let mut lanes = vec![
                Lane {
                    id,
                    from,
                    to: 2,
                    word,
                };
                count
            ];
            walk_many(&mut lanes);
            assert!(lanes.iter().all(|l| l.word == want && l.from == 2), "{b}");
        } else {
            eprintln!("skipped: backend {b} not available on this CPU");
            let before = backend();
            assert_eq!(force(b), Err(Unavailable(b)));
            assert_eq!(backend(), before);
        }
    }
}
