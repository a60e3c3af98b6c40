//! End to end over loopback: a paywalled axum server, the paying client,
//! the broker redeeming the vendor's claims.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use payword::sessions::FileSessions;
use payword::{PaymentBody, RedemptionClaim, Wallet};
use payword_http::header::{Challenge, ErrorCode};
use payword_http::x402::PaymentRequired;
use payword_http::{ClientError, FileWallet, Paywall};
use support::{ARTICLE, Flaky, QUOTE, Server, UNIT_VALUE, agent, no_store, now, temp_dir, world};

fn index(claim: &RedemptionClaim) -> u64 {
    match claim.payment.body() {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(_) => panic!("a purse"),
    }
}

/// 1,000 paid requests (two prices), the vendor stopped halfway and
/// started again on its session files, one request sent while it is down;
/// then the vendor's claim redeemed: the broker owes exactly what the
/// requests paid, and the customer committed once.
#[test]
fn thousand_paid_requests_with_a_vendor_restart() {
    let w = world();
    let dir = temp_dir("e2e");
    let open = || {
        let sessions = FileSessions::new(dir.join("sessions")).unwrap();
        let (paywall, failed) =
            Paywall::with_persistence(w.vendor_key.clone(), w.terms(), sessions).unwrap();
        assert!(failed.is_empty());
        Arc::new(paywall)
    };
    let mut paywall = open();
    let mut server = Server::start(Arc::clone(&paywall));
    let mut client = w.client(FileWallet::new(dir.join("wallet.state")));
    let mut units = 0u64;
    for i in 0..1000u32 {
        if i == 500 {
            let old = server.url("/article");
            server.stop();
            drop(paywall);
            // The vendor is down: the payment's fate is unknown to the
            // client, which sends it again with the next request.
            let down = client.get(&old).unwrap_err();
            assert!(matches!(down, ClientError::Transport(_)), "{down}");
            paywall = open();
            let resumed = paywall.sessions().claims();
            assert_eq!(resumed.len(), 1);
            assert_eq!(
                index(&resumed[0]),
                units,
                "resumed at every acknowledged unit"
            );
            server = Server::start(Arc::clone(&paywall));
        }
        let (path, price, body) = if i % 10 == 9 {
            ("/quote", QUOTE, "quote")
        } else {
            ("/article", ARTICLE, "article")
        };
        let mut response = client.get(&server.url(path)).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["payword-paid"], price.to_string());
        assert_eq!(response.body_mut().read_to_string().unwrap(), body);
        units += u64::from(price);
    }
    let s = client.stats();
    assert_eq!((s.paid, s.units, s.commitments), (1000, units, 1));
    // 1,000 paid exchanges, the first request's 402, the request while
    // down, and a `wrong_price` for the first quote of each server (its
    // URL's price unknown, paid 1 unit; the restarted vendor listens on
    // another port).
    assert_eq!((s.exchanges, s.challenges, s.resyncs), (1004, 1, 2));
    // Save-ahead 16: a save moves the horizon 16 past the last payword
    // released, which is at most 2 (the largest price less one) short of
    // the old horizon: between units/16 and units/14 saves.
    let saves = client.store().saves();
    assert!(
        saves >= units / 16 && saves <= units / 14 + 1,
        "{saves} saves"
    );
    // The saved wallet resumes past every payword released.
    let state = client.store().load().unwrap().unwrap();
    let wallet = client.wallet().unwrap();
    let resumed = Wallet::resume(&state, 0).unwrap();
    assert!(resumed.emitted() >= wallet.emitted());
    assert!(resumed.emitted() <= wallet.emitted() + 16);

    let claims = paywall.sessions().claims();
    assert_eq!(claims.len(), 1);
    assert_eq!(index(&claims[0]), units);
    let mut broker = w.broker();
    let redeemed = broker.redeem(&claims[0], &w.vendor, now()).unwrap();
    assert_eq!(redeemed.owed, units * UNIT_VALUE);
    assert_eq!(broker.owed(&w.vendor).unwrap(), units * UNIT_VALUE);
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A response lost after the vendor accepted the payment: the client
/// sends the payment again, gets a 409 with the last index, and pays the
/// next step. The lost request's unit is the only loss.
#[test]
fn lost_response_is_resynchronised() {
    let w = world();
    let paywall = Arc::new(w.paywall());
    let server = Server::start(Arc::clone(&paywall));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_millis(500)))
        .build()
        .into();
    let mut client = w.client(no_store()).with_agent(agent);
    for _ in 0..3 {
        assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    }
    // `/slow` costs 1; the vendor accepts, then answers after 1.5 s: the
    // client gives up at 0.5 s.
    let lost = client.get(&server.url("/slow")).unwrap_err();
    assert!(matches!(lost, ClientError::Transport(_)), "{lost}");
    assert_eq!(index(&paywall.sessions().claims()[0]), 7);
    let mut response = client.get(&server.url("/article")).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body_mut().read_to_string().unwrap(), "article");
    let s = client.stats();
    assert_eq!((s.paid, s.units, s.resyncs, s.commitments), (4, 8, 1, 1));
    // The vendor holds 6 + 1 (lost) + 2.
    assert_eq!(index(&paywall.sessions().claims()[0]), 9);
    server.stop();
}

/// A client that crashed resumes its wallet past its horizon; the vendor
/// is behind it, so the client commits again (no payword is ever sent
/// twice), and both sessions are claimed.
#[test]
fn crashed_client_resumes_past_its_horizon() {
    let w = world();
    let dir = temp_dir("crash");
    let paywall = Arc::new(w.paywall());
    let server = Server::start(Arc::clone(&paywall));
    let path = dir.join("wallet.state");
    {
        let mut client = w.client(FileWallet::new(&path));
        for _ in 0..5 {
            assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
        }
        // The client "crashes": dropped without a word.
    }
    let state = FileWallet::new(&path).load().unwrap().unwrap();
    let mut client = w
        .client(FileWallet::new(&path))
        .resume_wallet(&state, 0)
        .unwrap();
    // Horizon 16 (save-ahead 16) past the vendor's 10.
    assert_eq!(client.wallet().unwrap().emitted(), 16);
    for _ in 0..5 {
        assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    }
    let s = client.stats();
    assert_eq!((s.paid, s.commitments), (5, 1));
    let mut claims = paywall.sessions().claims();
    claims.sort_by_key(index);
    assert_eq!(claims.iter().map(index).collect::<Vec<_>>(), [10, 10]);
    let mut broker = w.broker();
    for c in &claims {
        broker.redeem(c, &w.vendor, now()).unwrap();
    }
    assert_eq!(broker.owed(&w.vendor).unwrap(), 20 * UNIT_VALUE);
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A vendor that lost its sessions (in memory, restarted) answers
/// `unknown_session`; the client opens a fresh session.
#[test]
fn vendor_that_lost_its_sessions() {
    let w = world();
    let server = Server::start(Arc::new(w.paywall()));
    let mut client = w.client(no_store());
    for _ in 0..3 {
        assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    }
    server.stop();
    let paywall = Arc::new(w.paywall());
    let server = Server::start(Arc::clone(&paywall));
    assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    let s = client.stats();
    assert_eq!((s.paid, s.commitments, s.challenges), (4, 2, 2));
    assert_eq!(index(&paywall.sessions().claims()[0]), 2);
    server.stop();
}

/// Free routes pass untouched; a payword attached to a free request is
/// not taken and pays the next priced one.
#[test]
fn free_routes_pass_untouched() {
    let w = world();
    let paywall = Arc::new(w.paywall());
    let server = Server::start(Arc::clone(&paywall));
    let response = agent().get(&server.url("/")).call().unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("payword-paid").is_none());
    let mut client = w.client(no_store());
    assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    // `/` is not known yet: guessed at 1 unit, sent, not taken.
    let mut free = client.get(&server.url("/")).unwrap();
    assert!(free.headers().get("payword-paid").is_none());
    assert_eq!(free.body_mut().read_to_string().unwrap(), "free");
    // `/article` (2) advances one more step from the payword not taken.
    assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    assert_eq!(index(&paywall.sessions().claims()[0]), 4);
    assert_eq!(client.stats().commitments, 1);
    server.stop();
}

/// A 402 carries the offer twice (`WWW-Authenticate`, x402's
/// `PAYMENT-REQUIRED`), for the request's price.
#[test]
fn payment_required_carries_the_offer_in_both_forms() {
    let w = world();
    let server = Server::start(Arc::new(w.paywall()));
    let mut response = agent().get(&server.url("/quote?x=1")).call().unwrap();
    assert_eq!(response.status(), 402);
    let h = response.headers().clone();
    assert_eq!(h["payword-error"], "payment_required");
    assert_eq!(h["cache-control"], "no-store");
    let challenge = Challenge::parse(h["www-authenticate"].as_bytes()).unwrap();
    let x402 = PaymentRequired::parse(h["payment-required"].as_bytes()).unwrap();
    assert_eq!(x402.offer, challenge.offer);
    assert_eq!(x402.resource, "/quote");
    assert_eq!(x402.error.as_deref(), Some("payment required: 3 units"));
    let f = challenge.offer.fields();
    assert_eq!(
        (f.price, f.unit_value, f.vendor),
        (QUOTE, UNIT_VALUE, w.vendor)
    );
    challenge.offer.check(now(), 0).unwrap();
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        "payment required: 3 units\n"
    );
    // An x402 payment header is no PayWord payment.
    let x402_paid = agent()
        .get(&server.url("/quote"))
        .header("payment-signature", "e30=")
        .call()
        .unwrap();
    assert_eq!(x402_paid.status(), 402);
    assert_eq!(x402_paid.headers()["payword-error"], "payment_required");
    server.stop();
}

/// A vendor that cannot save answers 503 and accepts nothing; the client
/// reports it, and its next request pays the same payword again.
#[test]
fn persistence_failure_is_a_503() {
    let w = world();
    let flaky = Flaky::default();
    let (paywall, _) =
        Paywall::with_persistence(w.vendor_key.clone(), w.terms(), flaky.clone()).unwrap();
    let paywall = Arc::new(paywall);
    let server = Server::start(Arc::clone(&paywall));
    let mut client = w.client(no_store());
    assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    flaky.failing.store(true, Ordering::SeqCst);
    let e = client.get(&server.url("/article")).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::Unavailable), "{e}");
    assert!(e.to_string().contains("503"), "{e}");
    // Nothing was accepted.
    assert_eq!(index(&paywall.sessions().claims()[0]), 2);
    flaky.failing.store(false, Ordering::SeqCst);
    assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    assert_eq!(index(&paywall.sessions().claims()[0]), 4);
    let s = client.stats();
    assert_eq!((s.paid, s.commitments, s.resyncs), (2, 1, 0));
    // Saves: the session's opening and two payments.
    assert_eq!(flaky.saves.load(Ordering::SeqCst), 3);
    server.stop();
}

/// The same with sessions in `LogSessions` (appended records), and its
/// logs cut short at the restart as by a crash in the middle of a save:
/// the vendor resumes every payment it acknowledged.
#[test]
fn log_sessions_resume_every_acknowledged_payment() {
    let w = world();
    let dir = temp_dir("log");
    let open = || {
        let logs = payword_http::LogSessions::new(dir.join("sessions")).unwrap();
        let (paywall, failed) =
            Paywall::with_persistence(w.vendor_key.clone(), w.terms(), logs).unwrap();
        assert!(failed.is_empty());
        Arc::new(paywall)
    };
    let mut paywall = open();
    let mut server = Server::start(Arc::clone(&paywall));
    let mut client = w.client(FileWallet::new(dir.join("wallet.state")));
    for i in 0..300u32 {
        if i == 150 {
            server.stop();
            drop(paywall);
            // A torn record after the last acknowledged one.
            let log = std::fs::read_dir(dir.join("sessions"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "log"))
                .unwrap();
            let mut bytes = std::fs::read(&log).unwrap();
            let torn = bytes[bytes.len() - 100..].to_vec();
            bytes.extend_from_slice(&torn);
            std::fs::write(&log, &bytes).unwrap();
            paywall = open();
            assert_eq!(index(&paywall.sessions().claims()[0]), 300);
            server = Server::start(Arc::clone(&paywall));
        }
        assert_eq!(client.get(&server.url("/article")).unwrap().status(), 200);
    }
    let s = client.stats();
    assert_eq!((s.paid, s.units, s.commitments), (300, 600, 1));
    assert_eq!(index(&paywall.sessions().claims()[0]), 600);
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A vendor that lies in its answers cannot make the client pay more than
/// the price: echoing every payword back as `wrong_price` gets the client
/// to stop after the price; claiming an index past every payword released
/// gets fresh chains (at most two per call), never a payment from there.
#[test]
fn a_lying_vendor_cannot_overcharge() {
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use axum::{Router, routing::get};
    use payword_http::header::{Authorization, Challenge};

    let w = world();
    let honest = w.paywall();
    let offer = Challenge {
        offer: honest.offer(ARTICLE).unwrap(),
    }
    .to_header_value();
    for far in [false, true] {
        let offer = offer.clone();
        let app = Router::new().route(
            "/article",
            get(move |headers: HeaderMap| async move {
                let mut h = HeaderMap::new();
                h.insert("www-authenticate", offer.clone());
                let Some(auth) = headers.get("authorization") else {
                    h.insert(
                        "payword-error",
                        HeaderValue::from_static("payment_required"),
                    );
                    return (StatusCode::PAYMENT_REQUIRED, h, "pay");
                };
                let auth = Authorization::parse(auth.as_bytes()).unwrap();
                let PaymentBody::Single(p) = auth.payment.body() else {
                    panic!()
                };
                let last = if far { 4_000 } else { p.index() };
                h.insert("payword-error", HeaderValue::from_static("wrong_price"));
                h.insert("payword-last-index", HeaderValue::from(last));
                (StatusCode::PAYMENT_REQUIRED, h, "lie")
            }),
        );
        let server = Server::serve(app);
        let mut client = w.client(no_store());
        let e = client.get(&server.url("/article")).unwrap_err();
        let wallet = client.wallet().unwrap();
        if far {
            assert_eq!(e.code(), Some(ErrorCode::WrongPrice), "{e}");
            assert_eq!(client.stats().commitments, 2);
        } else {
            assert!(
                matches!(e, ClientError::Overcharged { units: 4, price: 2 }),
                "{e}"
            );
            assert_eq!(client.stats().commitments, 1);
        }
        // The price, once, on each chain.
        assert_eq!(wallet.emitted(), ARTICLE);
        server.stop();
    }
}
