//! An embedded vendor on payword, for a Cortex-M4F.
//!
//! Feature set (a), payword without default features: the vendor keeps a
//! receiver state (63 bytes) in RAM. For each payment it decodes the state,
//! decodes the payment, checks that it names the expected commitment,
//! verifies the payword with a SHA-256 [`Receiver`] and encodes the state
//! back ([`vendor_step`]). A forged payword must be refused.
//!
//! Feature set (b), the `signed` feature (payword's `ed25519`): the vendor
//! also decodes a broker certificate and a customer commitment, opens a
//! [`Session`](payword::Session) on them (two Ed25519 signature
//! verifications, vendor id, validity windows) and pays every payment
//! through the session (`pay_exact`, the price-bounded check), besides the
//! receiver path of (a).
//!
//! Every input is a static byte array made by `build.rs` with the real crate
//! and read through [`black_box`], so nothing is computed at compile time;
//! every result goes through [`black_box`] too. The vendor code calls the
//! library as an application would; only the two rounds and the per-payment
//! step are kept out of line (`#[inline(never)]`), so that they can be
//! measured.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use panic_halt as _;
use payword::{Encode, Payment, PaymentBody, Receiver, Sha256, VerifyError};
use payword_embedded::measure;
use payword_embedded::vectors as v;

/// A receiver state as the vendor stores it.
type State = [u8; Receiver::<Sha256>::ENCODED_LEN];

/// Why the vendor refused a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// The stored state did not decode.
    State,
    /// The payment did not decode.
    Malformed,
    /// The payment names another commitment, or is a purse payment.
    NotOurs,
    /// The receiver refused the payword.
    Verify(VerifyError),
}

/// One payment, the unsigned vendor's whole path: state in, payment
/// checked, state out. Returns the units paid.
#[inline(never)]
fn vendor_step(state: &mut State, bytes: &[u8]) -> Result<u32, Refusal> {
    let mut receiver = Receiver::<Sha256>::decode(state).map_err(|_| Refusal::State)?;
    let payment = Payment::decode(black_box(bytes)).map_err(|_| Refusal::Malformed)?;
    if payment.commitment().as_bytes() != black_box(&v::PAYWORD_VEC_COMMITMENT_DIGEST) {
        return Err(Refusal::NotOurs);
    }
    let PaymentBody::Single(p) = payment.body() else {
        return Err(Refusal::NotOurs);
    };
    let units = receiver.accept(p).map_err(Refusal::Verify)?;
    receiver.encode(state);
    Ok(units)
}

/// The unsigned vendor over every test payment, then the forged one.
#[inline(never)]
fn unsigned_round() -> bool {
    let mut state: State = *black_box(&v::PAYWORD_VEC_STATE_INITIAL);
    let mut ok = true;
    for (bytes, price) in v::PAYWORD_VEC_PAYMENTS.iter().zip(v::PRICES) {
        ok &= black_box(vendor_step(&mut state, bytes)) == Ok(price);
    }
    ok &= black_box(state) == v::PAYWORD_VEC_STATE_FINAL;
    ok &= black_box(vendor_step(&mut state, &v::PAYWORD_VEC_FORGED))
        == Err(Refusal::Verify(VerifyError::Forged));
    ok
}

#[cfg(feature = "signed")]
mod signed {
    use core::hint::black_box;

    use payword::{
        Certificate, Commitment, Encode, Payment, PublicKey, Session, SessionError, VendorId,
        VerifyError,
    };

    use super::v;

    /// Certificate and commitment decoded, a session opened on them, every
    /// test payment and then the forged one paid through it.
    #[inline(never)]
    pub fn signed_round() -> bool {
        let Ok(certificate) = Certificate::decode(black_box(&v::PAYWORD_VEC_CERTIFICATE)) else {
            return false;
        };
        let Ok(commitment) = Commitment::decode(black_box(&v::PAYWORD_VEC_COMMITMENT)) else {
            return false;
        };
        let Ok(mut session) = Session::open(
            VendorId::from_bytes(*black_box(&v::PAYWORD_VEC_VENDOR_ID)),
            &PublicKey::ed25519(*black_box(&v::PAYWORD_VEC_BROKER_KEY)),
            certificate,
            commitment,
            black_box(v::NOW),
            v::SKEW,
        ) else {
            return false;
        };
        let mut ok = session.commitment_digest().as_bytes() == &v::PAYWORD_VEC_COMMITMENT_DIGEST;
        for (bytes, price) in v::PAYWORD_VEC_PAYMENTS.iter().zip(v::PRICES) {
            let Ok(payment) = Payment::decode(black_box(bytes)) else {
                return false;
            };
            ok &= black_box(session.pay_exact(&payment, price, black_box(v::NOW)))
                == Ok(u64::from(price) * v::UNIT_VALUE);
        }
        let Ok(forged) = Payment::decode(black_box(&v::PAYWORD_VEC_FORGED)) else {
            return false;
        };
        ok &= black_box(session.pay_exact(&forged, 1, black_box(v::NOW)))
            == Err(SessionError::Payment(VerifyError::Forged));
        ok &= session.units_paid() == u64::from(v::PAID);
        ok
    }
}

/// The signed vendor's whole path, feature set (b).
#[cfg(feature = "signed")]
fn signed_vendor() -> bool {
    measure("signed_vendor", signed::signed_round)
}

#[cfg(not(feature = "signed"))]
fn signed_vendor() -> bool {
    true
}

/// The headline figures: the whole vendor path of each feature set.
fn vendor() -> bool {
    measure("unsigned_vendor", unsigned_round) & signed_vendor()
}

/// Flash builds: the vendor, forever.
#[cfg(not(feature = "qemu"))]
#[entry]
fn main() -> ! {
    loop {
        black_box(vendor());
    }
}

/// QEMU builds: the vendor once (each call on its own too with `steps`),
/// then the report and the exit code.
#[cfg(feature = "qemu")]
#[entry]
fn main() -> ! {
    let ok = vendor();
    #[cfg(feature = "steps")]
    let ok = ok & steps::all();
    sizes();
    payword_embedded::finish(ok)
}

/// Sizes of the values the vendor holds (QEMU build only).
#[cfg(feature = "qemu")]
fn sizes() {
    use core::mem::size_of;
    use payword_embedded::size;
    size("Receiver<Sha256>", size_of::<Receiver<Sha256>>());
    size("Payment", size_of::<Payment>());
    #[cfg(feature = "signed")]
    {
        size("Certificate", size_of::<payword::Certificate>());
        size("Commitment", size_of::<payword::Commitment>());
        size("Session", size_of::<payword::Session>());
    }
}

/// The `steps` feature: each library call measured on its own.
///
/// Each call sits in an `#[inline(never)]` function that writes its result
/// through a reference, so that the measuring closure holds only references
/// (its own frame is a few words: `overhead` in the report). This code is in
/// the `steps` build only; the headline figures come from builds without it.
#[cfg(feature = "steps")]
mod steps {
    use core::hint::black_box;

    use payword::{Encode, Payment, PaymentBody, Receiver, Sha256, VerifyError};
    use payword_embedded::{measure, vectors as v};

    use super::State;

    #[inline(never)]
    fn decode_state(state: &State, out: &mut Option<Receiver<Sha256>>) {
        *out = Receiver::<Sha256>::decode(black_box(state)).ok();
    }

    #[inline(never)]
    pub(super) fn decode_payment(bytes: &[u8], out: &mut Option<Payment>) {
        *out = Payment::decode(black_box(bytes)).ok();
    }

    #[inline(never)]
    fn accept(receiver: &mut Receiver<Sha256>, payment: &Payment) -> Result<u32, VerifyError> {
        match payment.body() {
            PaymentBody::Single(p) => receiver.accept(p),
            PaymentBody::Purse(_) => Err(VerifyError::Empty),
        }
    }

    #[inline(never)]
    fn encode_state(receiver: &Receiver<Sha256>, state: &mut State) -> usize {
        receiver.encode(state)
    }

    pub fn all() -> bool {
        let mut ok = true;
        measure("overhead", || black_box(0u32));
        let mut state: State = v::PAYWORD_VEC_STATE_INITIAL;
        let (mut receiver, mut payment) = (None, None);
        for (bytes, price) in v::PAYWORD_VEC_PAYMENTS.iter().zip(v::PRICES) {
            measure("receiver_state_decode", || {
                decode_state(&state, &mut receiver)
            });
            measure("payment_decode", || decode_payment(bytes, &mut payment));
            let (Some(r), Some(p)) = (receiver.as_mut(), payment.as_ref()) else {
                return false;
            };
            ok &= measure("receiver_accept", || accept(r, p)) == Ok(price);
            measure("receiver_state_encode", || encode_state(r, &mut state));
        }
        ok &= state == v::PAYWORD_VEC_STATE_FINAL;
        #[cfg(feature = "signed")]
        {
            ok &= signed::all();
        }
        ok
    }

    #[cfg(feature = "signed")]
    mod signed {
        use core::hint::black_box;

        use payword::{Certificate, Commitment, Encode, Payment, PublicKey, Session, VendorId};
        use payword_embedded::{measure, vectors as v};

        use super::decode_payment;

        #[inline(never)]
        fn decode_certificate(bytes: &[u8], out: &mut Option<Certificate>) {
            *out = Certificate::decode(black_box(bytes)).ok();
        }

        #[inline(never)]
        fn decode_commitment(bytes: &[u8], out: &mut Option<Commitment>) {
            *out = Commitment::decode(black_box(bytes)).ok();
        }

        /// Opens a session; the messages are copied here, as `Session::open`
        /// takes them by value.
        #[inline(never)]
        fn open(certificate: &Certificate, commitment: &Commitment, out: &mut Option<Session>) {
            *out = Session::open(
                VendorId::from_bytes(*black_box(&v::PAYWORD_VEC_VENDOR_ID)),
                &PublicKey::ed25519(*black_box(&v::PAYWORD_VEC_BROKER_KEY)),
                *certificate,
                *commitment,
                black_box(v::NOW),
                v::SKEW,
            )
            .ok();
        }

        #[inline(never)]
        fn pay(session: &mut Session, payment: &Payment, price: u32) -> bool {
            session.pay_exact(payment, price, black_box(v::NOW)).is_ok()
        }

        pub fn all() -> bool {
            let mut ok = true;
            let (mut certificate, mut commitment, mut session) = (None, None, None);
            measure("certificate_decode", || {
                decode_certificate(&v::PAYWORD_VEC_CERTIFICATE, &mut certificate)
            });
            measure("commitment_decode", || {
                decode_commitment(&v::PAYWORD_VEC_COMMITMENT, &mut commitment)
            });
            let (Some(certificate), Some(commitment)) = (certificate.as_ref(), commitment.as_ref())
            else {
                return false;
            };
            measure("session_open", || {
                open(certificate, commitment, &mut session)
            });
            let Some(session) = session.as_mut() else {
                return false;
            };
            let mut payment = None;
            for (bytes, price) in v::PAYWORD_VEC_PAYMENTS.iter().zip(v::PRICES) {
                decode_payment(bytes, &mut payment);
                let Some(p) = payment.as_ref() else {
                    return false;
                };
                ok &= measure("session_pay_exact", || pay(session, p, price));
            }
            ok
        }
    }
}
