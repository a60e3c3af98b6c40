//! LM-OTS one-time signatures (RFC 8554, section 4), and LMS / HSS
//! verification (sections 5 and 6) in [`lms`].
//!
//! LM-OTS is the Winternitz one-time signature of Leighton and Micali as
//! standardised in RFC 8554. A private key is `p` secret words `x[i]`; the
//! public key is the hash of the ends of `p` hash chains of length `2^w − 1`
//! started at them. To sign, the signer hashes the message to `Q`, appends
//! the checksum of `Q`, cuts the result into `p` base-`2^w` digits `a[i]`
//! and reveals the word `a[i]` steps down chain `i`. The verifier finishes each
//! chain and compares the hash of the ends with the public key. Every hash
//! is tweaked with the key identifier `I`, the leaf number `q`, the chain
//! index `i` and the step `j` (`I‖q‖i‖j‖tmp`, exactly 55 bytes, one SHA-256
//! compression), which is what gives LM-OTS its multi-target security.
//!
//! | Parameter set | typecode | `w` | `p` | `ls` | signature bytes | max verify hashes |
//! |---|---|---|---|---|---|---|
//! | `LMOTS_SHA256_N32_W1` | 1 | 1 | 265 | 7 | 8516 | 265 |
//! | `LMOTS_SHA256_N32_W2` | 2 | 2 | 133 | 6 | 4292 | 399 |
//! | `LMOTS_SHA256_N32_W4` | 3 | 4 | 67 | 4 | 2180 | 1005 |
//! | `LMOTS_SHA256_N32_W8` | 4 | 8 | 34 | 0 | 1124 | 8670 |
//!
//! (RFC 8554, Table 1; the hash counts are chain steps, plus two
//! variable-length hashes for `Q` and `K`.)
//!
//! # One-time use
//!
//! A private key signs **once**: two signatures under one key let anyone
//! forge. [`LmotsPrivateKey::sign`] takes the key by value (like
//! `x25519_dalek::EphemeralSecret`), so the type system forbids a second
//! signature with the same value, and the key's seed is zeroized when it is
//! consumed. The key is neither `Clone` nor `Copy`. What the type system cannot
//! see is the caller making the same key twice: never call
//! [`LmotsPrivateKey::from_seed`] with one `(seed, I, q)` for two signatures.
//!
//! # Example
//!
//! ```
//! use payword::lmots::{LmotsParams, LmotsPrivateKey};
//! use rand_chacha::ChaCha20Rng;
//! use rand_chacha::rand_core::SeedableRng;
//!
//! let mut rng = ChaCha20Rng::from_seed([0; 32]);
//! let key = LmotsPrivateKey::generate(LmotsParams::Sha256N32W4, [1; 16], 0, &mut rng);
//! let public = key.public_key();
//! let sig = key.sign(&mut rng, b"next chain: 4f2a...");
//! // `key` is gone: it cannot sign again.
//! assert!(public.verify(b"next chain: 4f2a...", &sig).is_ok());
//! assert!(public.verify(b"another message", &sig).is_err());
//! ```

use core::fmt;

use rand_core::CryptoRng;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::hash::sha256_one_block;

pub mod lms;
mod ots;
mod params;
mod private;
mod public;
mod signature;
#[cfg(feature = "alloc")]
pub mod signer;

use ots::*;
pub use params::LmotsParams;
pub use private::LmotsPrivateKey;
pub use public::{LmotsPublicKey, candidate_public_key};
pub use signature::LmotsSignature;

/// The hash output length `n` in bytes (32 for every SHA-256/256 set).
pub const N: usize = 32;

/// The length of the key identifier `I` in bytes.
pub const ID_LEN: usize = 16;

/// The largest number of chains `p` of any parameter set (265, for W1).
pub const MAX_P: usize = 265;

/// The domain separator of the public-key hash (RFC 8554, section 3.1.4).
const D_PBLC: [u8; 2] = [0x80, 0x80];
/// The domain separator of the message hash (RFC 8554, section 3.1.4).
const D_MESG: [u8; 2] = [0x81, 0x81];
/// The `j` byte of the seed derivation of RFC 8554, Appendix A.
const SEED_DERIVE_J: u8 = 0xff;

/// Why an LM-OTS, LMS or HSS value did not decode or verify.
///
/// Decoding errors say what was wrong with the bytes. A signature that is
/// well formed but does not verify gives only [`LmotsError::Invalid`]: a
/// verifier is no oracle about *why* a forgery failed.
///
/// # Examples
///
/// ```
/// use payword::lmots::{LmotsError, LmotsSignature};
///
/// let err = LmotsSignature::from_bytes(&[0, 0, 0, 9]).unwrap_err();
/// assert_eq!(err, LmotsError::UnknownTypecode { typecode: 9 });
/// assert_eq!(err.to_string(), "unknown typecode 9");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LmotsError {
    /// The signature does not verify.
    Invalid,
    /// The input ended inside a fixed-size field.
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// The input (or an output buffer) does not have the length its
    /// typecodes imply.
    WrongLength {
        /// The length required.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A typecode that names no supported parameter set.
    UnknownTypecode {
        /// The typecode read.
        typecode: u32,
    },
    /// The signature is for another parameter set than the key.
    TypeMismatch {
        /// The typecode of the key.
        expected: u32,
        /// The typecode of the signature.
        found: u32,
    },
    /// An HSS key with 0 or more than [`lms::MAX_HSS_LEVELS`] levels.
    LevelsOutOfRange {
        /// The number of levels read.
        levels: u32,
    },
    /// An HSS signature whose number of signed public keys is not the key's
    /// number of levels minus one.
    LevelMismatch {
        /// Levels of the key.
        expected: u32,
        /// Levels of the signature (`Nspk + 1`).
        found: u64,
    },
}

impl fmt::Display for LmotsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid => f.write_str("invalid signature"),
            Self::Truncated { needed, remaining } => {
                write!(f, "truncated: needs {needed} bytes, {remaining} left")
            }
            Self::WrongLength { expected, actual } => {
                write!(f, "wrong length: expected {expected} bytes, got {actual}")
            }
            Self::UnknownTypecode { typecode } => write!(f, "unknown typecode {typecode}"),
            Self::TypeMismatch { expected, found } => {
                write!(f, "typecode {found} where {expected} was expected")
            }
            Self::LevelsOutOfRange { levels } => write!(
                f,
                "hss level count {levels} is outside 1..={}",
                lms::MAX_HSS_LEVELS
            ),
            Self::LevelMismatch { expected, found } => {
                write!(f, "signature has {found} levels, key has {expected}")
            }
        }
    }
}

impl core::error::Error for LmotsError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding, without needing the `alloc` feature.
    fn enc(sig: &crate::lmots::LmotsSignature) -> Vec<u8> {
        let mut out = vec![0u8; sig.encoded_len()];
        assert_eq!(sig.encode_into(&mut out), Ok(out.len()));
        out
    }

    const ID: [u8; ID_LEN] = [0x11; ID_LEN];
    const SEED: [u8; N] = [0x5e; N];

    fn key(params: LmotsParams, q: u32) -> LmotsPrivateKey {
        LmotsPrivateKey::from_seed(params, ID, q, &SEED)
    }

    /// The RFC's loops, chain by chain, as an oracle for the interleaved
    /// [`advance`].
    fn naive_candidate(
        params: LmotsParams,
        q: u32,
        message: &[u8],
        sig: &LmotsSignature,
    ) -> [u8; N] {
        let a = digits(params, &message_digest(&ID, q, sig.randomizer(), message));
        let mut h = sha2::Sha256::new();
        h.update(ID);
        h.update(q.to_be_bytes());
        h.update(D_PBLC);
        for (i, y) in sig.y().iter().enumerate() {
            let mut tmp = *y;
            for j in a[i]..params.max_digit() {
                let mut buf = Vec::new();
                buf.extend_from_slice(&ID);
                buf.extend_from_slice(&q.to_be_bytes());
                buf.extend_from_slice(&(i as u16).to_be_bytes());
                buf.push(j);
                buf.extend_from_slice(&tmp);
                tmp = sha2::Sha256::digest(&buf).into();
            }
            h.update(tmp);
        }
        h.finalize().into()
    }

    #[test]
    fn parameter_table_matches_rfc_8554_table_1() {
        // (typecode, w, p, ls, signature length) from RFC 8554, Table 1.
        let table = [
            (1, 1, 265, 7, 8516),
            (2, 2, 133, 6, 4292),
            (3, 4, 67, 4, 2180),
            (4, 8, 34, 0, 1124),
        ];
        for (params, (t, w, p, ls, sig)) in LmotsParams::ALL.into_iter().zip(table) {
            assert_eq!(params.typecode(), t);
            assert_eq!(LmotsParams::from_typecode(t), Some(params));
            assert_eq!((params.w(), params.p(), params.ls()), (w, p, ls));
            assert_eq!(params.signature_len(), sig);
            assert_eq!(u32::from(params.max_digit()), (1u32 << w) - 1);
            // p = u + v with u = ceil(8n/w), v = ceil((floor(lg((2^w-1)u))+1)/w),
            // ls = 16 - v·w (RFC 8554, Appendix B).
            let u = (8 * N).div_ceil(usize::from(w));
            let max_sum = u * usize::from(params.max_digit());
            let v = (max_sum.ilog2() as usize + 1).div_ceil(usize::from(w));
            assert_eq!(u + v, p);
            assert_eq!(16 - v * usize::from(w), ls as usize);
            assert_eq!(params.to_string(), params.name());
        }
        assert!(LmotsParams::ALL.iter().all(|p| p.p() <= MAX_P));
        for t in [0, 5, 0x8000_0001, u32::MAX] {
            assert_eq!(LmotsParams::from_typecode(t), None);
        }
    }

    #[test]
    fn coef_follows_algorithm_0() {
        // The examples of RFC 8554, section 3.1.3: S = 0x1234.
        let s = [0x12, 0x34];
        assert_eq!(coef(&s, 7, 1), 0);
        assert_eq!(coef(&s, 0, 4), 1);
        let nibbles: Vec<u8> = (0..4).map(|i| coef(&s, i, 4)).collect();
        assert_eq!(nibbles, [1, 2, 3, 4]);
        let pairs: Vec<u8> = (0..8).map(|i| coef(&s, i, 2)).collect();
        assert_eq!(pairs, [0, 1, 0, 2, 0, 3, 1, 0]);
        let bits: Vec<u8> = (0..8).map(|i| coef(&s, i, 1)).collect();
        assert_eq!(bits, [0, 0, 0, 1, 0, 0, 1, 0]);
        assert_eq!(coef(&s, 1, 8), 0x34);
        // Past the end reads as 0 instead of panicking.
        assert_eq!(coef(&s, 2, 8), 0);
    }

    #[test]
    fn checksum_follows_algorithm_2() {
        let zeros = [0u8; N];
        let ones = [0xffu8; N];
        // All-zero digits: every digit contributes 2^w - 1.
        assert_eq!(checksum(LmotsParams::Sha256N32W1, &zeros), 256 << 7);
        assert_eq!(checksum(LmotsParams::Sha256N32W2, &zeros), (128 * 3) << 6);
        assert_eq!(checksum(LmotsParams::Sha256N32W4, &zeros), (64 * 15) << 4);
        assert_eq!(checksum(LmotsParams::Sha256N32W8, &zeros), 32 * 255);
        // All-maximal digits: the checksum is 0.
        for params in LmotsParams::ALL {
            assert_eq!(checksum(params, &ones), 0);
        }
        // A hand-worked W4 example: Q = 0x01 0x00…: digits 0,1,0,0,…
        // sum = 15 + 14 + 62·15 = 959, shifted by 4.
        let mut q = [0u8; N];
        q[0] = 0x01;
        assert_eq!(checksum(LmotsParams::Sha256N32W4, &q), 959 << 4);
        // W8 with Q = 0x80 then 0xff…: sum = 127.
        let mut q = [0xffu8; N];
        q[0] = 0x80;
        assert_eq!(checksum(LmotsParams::Sha256N32W8, &q), 127);
        // The digits of Q ‖ Cksm(Q): the checksum digits follow Q's.
        let a = digits(LmotsParams::Sha256N32W4, &[0u8; N]);
        assert!(a[..64].iter().all(|&d| d == 0));
        // Cksm = 960 << 4 = 0x3c00: digits 3, 12, 0 (p = 67 takes three).
        assert_eq!(&a[64..67], &[3, 12, 0]);
        assert!(a[67..].iter().all(|&d| d == 0));
    }

    #[test]
    fn round_trip_for_every_parameter_set() {
        for params in LmotsParams::ALL {
            let sk = key(params, 7);
            let pk = sk.public_key();
            let sig = sk.sign_with_randomizer([0xc0; N], b"message");
            assert_eq!(pk.verify(b"message", &sig), Ok(()), "{params}");
            assert_eq!(sig.y().len(), params.p());
            // Encodings round-trip.
            let bytes = enc(&sig);
            assert_eq!(bytes.len(), params.signature_len());
            assert_eq!(LmotsSignature::from_bytes(&bytes).unwrap(), sig);
            assert_eq!(LmotsPublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
            // The interleaved walk computes what the RFC's loops compute.
            assert_eq!(naive_candidate(params, 7, b"message", &sig), *pk.k());
        }
    }

    #[test]
    fn random_signing_verifies() {
        use rand_chacha::ChaCha20Rng;
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        for params in LmotsParams::ALL {
            let sk = LmotsPrivateKey::generate(params, ID, 0, &mut rng);
            let pk = sk.public_key();
            let sig = sk.sign(&mut rng, b"m");
            assert_eq!(pk.verify(b"m", &sig), Ok(()));
        }
    }

    #[test]
    fn any_flipped_bit_rejects() {
        for params in LmotsParams::ALL {
            let sk = key(params, 1);
            let pk = sk.public_key();
            let msg = b"pay vendor 42 units".to_vec();
            let sig = sk.sign_with_randomizer([0x77; N], &msg);
            assert_eq!(pk.verify(&msg, &sig), Ok(()));

            // Message.
            for bit in [0, 7, 8 * msg.len() - 1] {
                let mut m = msg.clone();
                m[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    pk.verify(&m, &sig),
                    Err(LmotsError::Invalid),
                    "{params} msg bit {bit}"
                );
            }
            // C.
            for bit in [0, 100, 255] {
                let mut s = sig.clone();
                s.c[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    pk.verify(&msg, &s),
                    Err(LmotsError::Invalid),
                    "{params} C bit {bit}"
                );
            }
            // y, first, middle and last word.
            for i in [0, params.p() / 2, params.p() - 1] {
                let mut s = sig.clone();
                s.y[i][31] ^= 0x80;
                assert_eq!(
                    pk.verify(&msg, &s),
                    Err(LmotsError::Invalid),
                    "{params} y[{i}]"
                );
            }
            // Key: I, q and K.
            let mut k = pk;
            k.id[0] ^= 1;
            assert_eq!(k.verify(&msg, &sig), Err(LmotsError::Invalid));
            let mut k = pk;
            k.q ^= 1;
            assert_eq!(k.verify(&msg, &sig), Err(LmotsError::Invalid));
            let mut k = pk;
            k.k[5] ^= 4;
            assert_eq!(k.verify(&msg, &sig), Err(LmotsError::Invalid));
            // The same flips on the wire encoding.
            let bytes = enc(&sig);
            for at in [4, 4 + N, bytes.len() - 1] {
                let mut b = bytes.clone();
                b[at] ^= 2;
                let s = LmotsSignature::from_bytes(&b).unwrap();
                assert_eq!(pk.verify(&msg, &s), Err(LmotsError::Invalid));
            }
        }
    }

    #[test]
    fn wrong_typecode_rejects() {
        let sk = key(LmotsParams::Sha256N32W4, 0);
        let pk = sk.public_key();
        let sig = sk.sign_with_randomizer([1; N], b"m");
        // A signature of another set under this key.
        let other = key(LmotsParams::Sha256N32W8, 0).sign_with_randomizer([1; N], b"m");
        assert_eq!(
            pk.verify(b"m", &other),
            Err(LmotsError::TypeMismatch {
                expected: 3,
                found: 4
            })
        );
        // A key whose typecode is changed.
        let relabelled = LmotsPublicKey::new(LmotsParams::Sha256N32W2, pk.id, pk.q, pk.k);
        assert_eq!(
            relabelled.verify(b"m", &sig),
            Err(LmotsError::TypeMismatch {
                expected: 2,
                found: 3
            })
        );
        // Typecode bytes changed on the wire.
        let mut bytes = enc(&sig);
        bytes[3] = 4;
        assert_eq!(
            LmotsSignature::from_bytes(&bytes),
            Err(LmotsError::WrongLength {
                expected: 1124,
                actual: 2180
            })
        );
        for t in [0u32, 5, 0x0100_0003, u32::MAX] {
            bytes[..4].copy_from_slice(&t.to_be_bytes());
            assert_eq!(
                LmotsSignature::from_bytes(&bytes),
                Err(LmotsError::UnknownTypecode { typecode: t })
            );
            let mut k = pk.to_bytes();
            k[..4].copy_from_slice(&t.to_be_bytes());
            assert_eq!(
                LmotsPublicKey::from_bytes(&k),
                Err(LmotsError::UnknownTypecode { typecode: t })
            );
        }
    }

    #[test]
    fn decoding_is_total() {
        let sig = key(LmotsParams::Sha256N32W8, 0).sign_with_randomizer([1; N], b"m");
        let bytes = enc(&sig);
        for len in 0..bytes.len() {
            assert!(
                LmotsSignature::from_bytes(&bytes[..len]).is_err(),
                "len {len}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            LmotsSignature::from_bytes(&long),
            Err(LmotsError::WrongLength {
                expected: 1124,
                actual: 1125
            })
        );
        let pk = key(LmotsParams::Sha256N32W8, 0).public_key().to_bytes();
        for len in 0..pk.len() {
            assert!(LmotsPublicKey::from_bytes(&pk[..len]).is_err());
        }
        let mut short = [0u8; 100];
        assert_eq!(
            sig.encode_into(&mut short),
            Err(LmotsError::WrongLength {
                expected: 1124,
                actual: 100
            })
        );
    }

    #[test]
    fn debug_of_private_key_leaks_nothing() {
        let seed = [0xa7u8; N];
        let sk = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, ID, 3, &seed);
        for s in [format!("{sk:?}"), format!("{sk:#?}")] {
            assert!(!s.contains("a7"), "{s}");
            assert!(!s.contains("167"), "{s}");
            assert!(!s.to_lowercase().contains("seed"), "{s}");
        }
        assert_eq!(
            format!("{sk:?}"),
            "LmotsPrivateKey { params: Sha256N32W4, q: 3, .. }"
        );
    }

    #[test]
    fn private_key_zeroizes() {
        // Not `Clone` and not `Copy`: see the `compile_fail` doctests of
        // `LmotsPrivateKey`.
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<LmotsPrivateKey>();
        let mut sk = key(LmotsParams::Sha256N32W1, 0);
        assert_eq!(sk.seed, SEED);
        // What `drop` does.
        sk.wipe();
        assert_eq!(sk.seed, [0u8; N]);
    }

    #[test]
    fn errors_display_in_lower_case() {
        let errors = [
            LmotsError::Invalid,
            LmotsError::Truncated {
                needed: 4,
                remaining: 1,
            },
            LmotsError::WrongLength {
                expected: 56,
                actual: 3,
            },
            LmotsError::UnknownTypecode { typecode: 9 },
            LmotsError::TypeMismatch {
                expected: 1,
                found: 2,
            },
            LmotsError::LevelsOutOfRange { levels: 9 },
            LmotsError::LevelMismatch {
                expected: 2,
                found: 3,
            },
        ];
        for e in errors {
            let s = e.to_string();
            assert_eq!(s, s.to_lowercase());
            let _: &dyn core::error::Error = &e;
        }
        fn send_sync<T: Send + Sync>() {}
        send_sync::<LmotsError>();
        send_sync::<LmotsSignature>();
        send_sync::<LmotsPrivateKey>();
    }
}
