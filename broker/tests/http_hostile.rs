#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A hostile-input corpus against the running broker service (embedded
//! database): truncated and oversized bodies, wrong message types, trailing
//! bytes, flipped bits, bad paths, routes and methods, malformed JSON, bad
//! operator tokens, malformed HTTP, every refusal the core can give as a
//! well-formed claim or reservation, and slow clients.
//!
//! Every hostile request must get a 4xx (never a 5xx) whose body is an
//! `ErrorBody` with a code and a message saying what was wrong, and must
//! leave the broker's state (vendor balances, certificate balances, the
//! debts of known keys) exactly as it was. Violations are collected and
//! reported together at the end of each test, so one defect does not hide
//! the others; after a change of state the snapshot is taken again.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use ed25519_dalek::SigningKey;
use payword::fraud::FraudProof;
use payword::grant::GrantClaim;
use payword::lmots::LmotsPrivateKey;
use payword::renew::{CascadeClaim, RENEWAL_LMOTS, RenewalLink};
use payword::{
    BrokerId, Certificate, CertificateFields, ChainId, Commitment, Digest, Encode, MessageSigner,
    Payment, PaymentBody, Payword, RedemptionClaim, Role, Sha256, Tweak, TweakableHash, VendorId,
    Word,
};
use payword_broker::api::{BrokerInfo, ErrorBody, Redeemed, Reserved};
use support::{Spec, TOKEN};

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/// An answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        let s = String::from_utf8_lossy(&self.body);
        s.chars().take(240).collect()
    }
}

/// A keep-alive client that never turns a status into an error.
struct Http {
    base: String,
    addr: String,
    agent: ureq::Agent,
}

impl Http {
    fn new(url: &str) -> Self {
        Self::with_pool(url, true)
    }

    /// `pool: false` opens a connection per request (for a service that
    /// closes idle connections within a second).
    fn with_pool(url: &str, pool: bool) -> Self {
        let idle = if pool { 10 } else { 0 };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .max_idle_connections(idle)
            .max_idle_connections_per_host(idle)
            .build()
            .into();
        Self {
            base: url.trim_end_matches('/').to_owned(),
            addr: url.trim_start_matches("http://").to_owned(),
            agent,
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, String> {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let sent = match body {
            Some(bytes) => self.agent.run(b.body(bytes.to_vec()).unwrap()),
            None => self.agent.run(b.body(()).unwrap()),
        };
        let mut r = sent.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        Ok(Answer { status, body })
    }

    fn get(&self, path: &str) -> Result<Answer, String> {
        self.request("GET", path, None, &[])
    }

    fn post(&self, path: &str, body: &[u8]) -> Result<Answer, String> {
        self.request(
            "POST",
            path,
            Some(body),
            &[("content-type", "application/octet-stream")],
        )
    }

    fn post_json(&self, path: &str, json: &[u8], token: Option<&str>) -> Result<Answer, String> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        self.request("POST", path, Some(json), &headers)
    }

    /// A successful JSON answer.
    fn ok<T: serde::de::DeserializeOwned>(&self, a: Result<Answer, String>) -> T {
        let a = a.unwrap();
        assert!((200..300).contains(&a.status), "{}: {}", a.status, a.text());
        serde_json::from_slice(&a.body).unwrap()
    }
}

/// What a raw connection got.
enum Raw {
    /// A whole response.
    Response(u16, Vec<u8>),
    /// The server closed the connection (with what it sent before).
    Closed(Vec<u8>),
    /// The connection failed (reset).
    Reset(String),
    /// Nothing within the time limit.
    Stalled,
}

impl Raw {
    fn describe(&self) -> String {
        match self {
            Self::Response(s, b) => format!("{s} {}", String::from_utf8_lossy(b)),
            Self::Closed(b) => format!("closed after {} bytes", b.len()),
            Self::Reset(e) => format!("reset: {e}"),
            Self::Stalled => "no answer and not closed".into(),
        }
    }
}

/// Parses one HTTP/1.1 response from the start of `buf`, if complete.
fn parse_response(buf: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut length = 0usize;
    let mut chunked = false;
    for l in lines {
        let (k, v) = l.split_once(':')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().ok()?,
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    let mut body = &buf[end + 4..];
    if !chunked {
        return (body.len() >= length).then(|| (status, body[..length].to_vec()));
    }
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..eol]).ok()?.trim(), 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some((status, out));
        }
        if body.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// Reads one response, for at most `limit`.
fn read_response(s: &mut TcpStream, limit: Duration) -> Raw {
    let start = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some((status, body)) = parse_response(&buf) {
            return Raw::Response(status, body);
        }
        let left = limit.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Raw::Stalled;
        }
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match s.read(&mut chunk) {
            Ok(0) => return Raw::Closed(buf),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Raw::Stalled;
            }
            Err(e) => return Raw::Reset(e.to_string()),
        }
    }
}

/// Sends `head` and `body` on a fresh connection (the body from another
/// thread, so a server that answers early cannot deadlock the test) and
/// reads one response for at most 10 s.
fn raw_exchange(addr: &str, head: &[u8], body: Vec<u8>) -> Raw {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut w = s.try_clone().unwrap();
    let head = head.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&head);
        let _ = w.write_all(&body);
    });
    let raw = read_response(&mut s, Duration::from_secs(10));
    let _ = s.shutdown(Shutdown::Both);
    writer.join().unwrap();
    raw
}

/// [`raw_exchange`] for a body the service refuses before reading it: it
/// answers 413 and closes, and the reset its close causes while the client
/// is still writing can, rarely, discard the answer before it is read. Up to
/// five tries; the first answer counts.
fn raw_exchange_early(addr: &str, head: &[u8], body: &[u8]) -> Raw {
    let mut last = Raw::Stalled;
    for _ in 0..5 {
        last = raw_exchange(addr, head, body.to_vec());
        if matches!(last, Raw::Response(..)) {
            break;
        }
    }
    last
}

fn raw_answer(raw: Raw) -> Result<Answer, String> {
    match raw {
        Raw::Response(status, body) => Ok(Answer { status, body }),
        other => Err(other.describe()),
    }
}

// ---------------------------------------------------------------------------
// The probe: checks every hostile answer and the state after it
// ---------------------------------------------------------------------------

/// What a hostile answer must be (beyond "a 4xx with an `ErrorBody`").
#[derive(Clone, Copy)]
struct Want {
    status: Option<u16>,
    code: Option<&'static str>,
    says: &'static [&'static str],
}

/// Any 4xx with an `ErrorBody`.
const ANY_4XX: Want = Want {
    status: None,
    code: None,
    says: &[],
};

const fn want(status: u16, code: &'static str) -> Want {
    Want {
        status: Some(status),
        code: Some(code),
        says: &[],
    }
}

impl Want {
    /// The message must contain each of `words` (case-insensitive).
    const fn says(self, words: &'static [&'static str]) -> Self {
        Self {
            says: words,
            ..self
        }
    }
}

const DECODE: Want = want(400, "decode");
const BAD: Want = want(400, "bad_request");
const REFUSED: Want = want(422, "refused");

/// Violations shown per category.
const FAILURES_SHOWN: usize = 200;

type Snapshot = Vec<(String, u16, String)>;

struct Probe<'a> {
    http: &'a Http,
    watched: Vec<String>,
    base: Snapshot,
    counts: BTreeMap<&'static str, usize>,
    failures: Vec<(&'static str, String)>,
}

impl<'a> Probe<'a> {
    /// Watches the answers of `watched` (GET paths) from now on.
    fn new(http: &'a Http, watched: Vec<String>) -> Self {
        let mut p = Self {
            http,
            watched,
            base: Vec::new(),
            counts: BTreeMap::new(),
            failures: Vec::new(),
        };
        p.base = p.snapshot();
        p
    }

    fn snapshot(&self) -> Snapshot {
        self.watched
            .iter()
            .map(|path| {
                let a = self.http.get(path).unwrap();
                assert!(
                    a.status == 200 || a.status == 404,
                    "snapshot {path}: {} {}",
                    a.status,
                    a.text()
                );
                (
                    path.clone(),
                    a.status,
                    String::from_utf8_lossy(&a.body).into_owned(),
                )
            })
            .collect()
    }

    fn fail(&mut self, cat: &'static str, msg: String) {
        self.failures.push((cat, msg));
    }

    /// The state must be as it was; after a change, the new state is the
    /// reference (so each change is reported once).
    fn check_state(&mut self, cat: &'static str, label: &str) {
        let now = self.snapshot();
        if now != self.base {
            let changed: Vec<String> = self
                .base
                .iter()
                .zip(&now)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| format!("{}: {} {} -> {} {}", a.0, a.1, a.2, b.1, b.2))
                .collect();
            self.fail(
                cat,
                format!("{label}: STATE CHANGED: {}", changed.join("; ")),
            );
            self.base = now;
        }
    }

    /// Checks one hostile answer and the state after it; returns the error
    /// body if there was one.
    fn check(
        &mut self,
        cat: &'static str,
        label: &str,
        answer: Result<Answer, String>,
        want: Want,
    ) -> Option<ErrorBody> {
        *self.counts.entry(cat).or_default() += 1;
        let body = match answer {
            Err(e) => {
                self.fail(cat, format!("{label}: no answer: {e}"));
                None
            }
            Ok(a) => self.check_answer(cat, label, &a, want),
        };
        self.check_state(cat, label);
        body
    }

    fn check_answer(
        &mut self,
        cat: &'static str,
        label: &str,
        a: &Answer,
        want: Want,
    ) -> Option<ErrorBody> {
        if a.status < 400 {
            // Accepted: no error body to check.
            self.fail(
                cat,
                format!("{label}: status {} is not a 4xx ({})", a.status, a.text()),
            );
            return None;
        }
        if a.status >= 500 {
            self.fail(
                cat,
                format!("{label}: status {} is not a 4xx ({})", a.status, a.text()),
            );
        } else if want.status.is_some_and(|s| s != a.status) {
            self.fail(
                cat,
                format!(
                    "{label}: status {}, expected {} ({})",
                    a.status,
                    want.status.unwrap_or_default(),
                    a.text()
                ),
            );
        }
        let Ok(e) = serde_json::from_slice::<ErrorBody>(&a.body) else {
            self.fail(
                cat,
                format!(
                    "{label}: {} answer is not a JSON ErrorBody: {:?}",
                    a.status,
                    a.text()
                ),
            );
            return None;
        };
        if e.error.trim().is_empty() || e.message.trim().is_empty() {
            self.fail(cat, format!("{label}: empty error code or message: {e:?}"));
        }
        if let Some(code) = want.code
            && (400..500).contains(&a.status)
            && e.error != code
        {
            self.fail(
                cat,
                format!(
                    "{label}: error code {:?}, expected {code:?} ({})",
                    e.error, e.message
                ),
            );
        }
        let lower = e.message.to_lowercase();
        for w in want.says {
            if !lower.contains(&w.to_lowercase()) {
                self.fail(
                    cat,
                    format!("{label}: message {:?} does not say {w:?}", e.message),
                );
            }
        }
        Some(e)
    }

    /// A request the HTTP layer itself rejects (no route ran): a 4xx (no
    /// body required: the server cannot know the request) or a closed
    /// connection, never a 5xx or a stall; state unchanged.
    fn check_framing(&mut self, cat: &'static str, label: &str, raw: &Raw) {
        *self.counts.entry(cat).or_default() += 1;
        match raw {
            Raw::Response(s, _) if (400..500).contains(s) => {}
            Raw::Closed(_) | Raw::Reset(_) => {}
            other => self.fail(cat, format!("{label}: {}", other.describe())),
        }
        self.check_state(cat, label);
    }

    /// Prints the counts; panics with every violation.
    fn finish(self, test: &str) {
        let total: usize = self.counts.values().sum();
        eprintln!("{test}: {total} hostile requests");
        for (cat, n) in &self.counts {
            eprintln!("  {cat:<20} {n}");
        }
        if self.failures.is_empty() {
            return;
        }
        let mut by_cat: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for (cat, f) in &self.failures {
            by_cat.entry(cat).or_default().push(f);
        }
        let mut report = format!(
            "{test}: {} violations of \"4xx, clear message, state unchanged\":\n",
            self.failures.len()
        );
        for (cat, fs) in by_cat {
            report.push_str(&format!("[{cat}] {} violations\n", fs.len()));
            for f in fs.iter().take(FAILURES_SHOWN) {
                report.push_str(&format!("    {f}\n"));
            }
            if fs.len() > FAILURES_SHOWN {
                report.push_str(&format!("    ... and {} more\n", fs.len() - FAILURES_SHOWN));
            }
        }
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------
// Claims the fixtures do not make
// ---------------------------------------------------------------------------

/// `w` with another certificate and customer key.
fn world_with(w: &World, cert: Certificate, customer: SigningKey) -> World {
    World {
        broker: w.broker.clone(),
        customer,
        broker_id: w.broker_id,
        vendor: w.vendor,
        cert,
    }
}

fn cert_fields(w: &World, broker: BrokerId) -> CertificateFields {
    CertificateFields {
        broker,
        ..*w.cert.fields()
    }
}

/// The honest cascade `cascade(w, byte, …)` with its first renewal link
/// signed a second time by the same one-time key (another randomizer): a
/// fork of a link the broker already stored.
fn forked_cascade(honest: &CascadeClaim, byte: u8) -> CascadeClaim {
    let link = &honest.renewals[0].link;
    let bytes = link.to_bytes();
    let sig = link.signature().to_vec();
    let cut = bytes.len() - sig.len();
    assert_eq!(&bytes[cut..], &sig[..], "the link ends with its signature");
    // Chain 0's one-time key, from the renewal KDF's definition.
    let id = ChainId::from_bytes([byte; 16]);
    let seed = Sha256::hash_word(&Tweak::new(Role::RenewKdf, id, 0), &[byte; 32]);
    let key = || LmotsPrivateKey::from_seed(RENEWAL_LMOTS, [byte; 16], 0, &seed);
    let digest = link.digest();
    let again = key().sign_with_randomizer(*link.signature().randomizer(), digest.as_bytes());
    assert_eq!(again.to_vec(), sig, "the derived key is the wallet's");
    let mut evil = bytes[..cut].to_vec();
    evil.extend_from_slice(
        &key()
            .sign_with_randomizer([0x5a; 32], digest.as_bytes())
            .to_vec(),
    );
    let evil = RenewalLink::decode(&evil).unwrap();
    assert_ne!(&evil, link);
    let mut forked = honest.clone();
    forked.renewals.truncate(1);
    forked.renewals[0].link = evil;
    forked
}

fn forged(index: u32) -> Payword {
    Payword::new(index, Word::from_bytes([0xab; 32]))
}

fn hexs(b: &[u8]) -> String {
    hex::encode(b)
}

fn claims_path(v: &VendorId) -> String {
    format!("/v1/vendors/{}/claims", hexs(v.as_bytes()))
}

/// Proper prefix lengths of an encoding of `len` bytes: every one up to 64,
/// then every 7th, and `len - 1`.
fn prefix_lengths(len: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (1..len.min(65)).collect();
    let mut l = 71;
    while l < len {
        v.push(l);
        l += 7;
    }
    if len > 1 && !v.contains(&(len - 1)) {
        v.push(len - 1);
    }
    v
}

fn flipped(bytes: &[u8], pos: usize, bit: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[pos] ^= 1 << bit;
    b
}

// ---------------------------------------------------------------------------
// The corpus on one service with real state
// ---------------------------------------------------------------------------

#[test]
fn hostile_corpus_gets_4xx_and_changes_nothing() {
    let w = world(10_000);
    let mut spec = Spec::redb("hostile");
    // A short request timeout: a client that stalls costs the test less.
    spec.extra = vec!["--request-timeout".into(), "3".into()];
    let service = spec.start(NOW);
    let http = Http::new(&service.url);
    let info: BrokerInfo = http.ok(http.get("/v1/broker"));
    let path = claims_path(&w.vendor);
    let other_vendor = VendorId::from_bytes([6; 32]);

    // Real state first: one claim of each kind and a reservation.
    let p0 = plain(&w, 10, 2, 40);
    let c0 = cascade(&w, 11, 1, 25);
    let l0 = leaf(&w, 12, 1000, 30);
    let g0 = grant(&w, 13, 20);
    let d0 = device(&w, 14, 1000, 1000, 15);
    let kinds: Vec<(&str, Vec<u8>)> = vec![
        ("plain", p0.to_bytes()),
        ("cascade", c0.to_bytes()),
        ("leaf", l0.to_bytes()),
        ("grant", g0.to_bytes()),
        ("device", d0.to_bytes()),
    ];
    let mut keys = Vec::new();
    for (kind, bytes) in &kinds {
        let r: Redeemed = http.ok(http.post(&path, bytes));
        assert_eq!(r.kind, *kind);
        assert!(r.owed > 0, "{kind}: {r:?}");
        keys.push(r.key.0);
    }
    let held = plain(&w, 20, 1, 60);
    let reserve_json = |cert: &[u8], commitment: &[u8], amount: u64, expires: u64| {
        format!(
            r#"{{"certificate":"{}","target":{{"kind":"commitment","commitment":"{}"}},"amount":{amount},"expires":{expires}}}"#,
            hexs(cert),
            hexs(commitment)
        )
        .into_bytes()
    };
    let w_cert = w.cert.to_bytes();
    let reserved: Reserved = http.ok(http.post_json(
        "/v1/reservations",
        &reserve_json(&w_cert, &held.commitment.to_bytes(), 60, NOW + 5000),
        None,
    ));
    let reservation_bytes = reserved.reservation.0;

    // Certificates for the refusals.
    let other_broker = world_with(
        &w,
        Certificate::issue(cert_fields(&w, BrokerId::from_bytes([9; 32])), &w.broker).unwrap(),
        w.customer.clone(),
    );
    let bad_broker_sig = world_with(
        &w,
        Certificate::issue(
            cert_fields(&w, w.broker_id),
            &SigningKey::from_bytes(&[77; 32]),
        )
        .unwrap(),
        w.customer.clone(),
    );
    let bad_customer_sig = world_with(&w, w.cert, SigningKey::from_bytes(&[66; 32]));

    let mut watched = vec![
        format!("/v1/vendors/{}", hexs(w.vendor.as_bytes())),
        format!("/v1/vendors/{}", hexs(other_vendor.as_bytes())),
    ];
    for c in [&w.cert, &other_broker.cert, &bad_broker_sig.cert] {
        watched.push(format!("/v1/certificates/{}", hexs(c.digest().as_bytes())));
    }
    for k in &keys {
        watched.push(format!("/v1/debts/{}", hexs(k)));
    }
    for r in &c0.renewals {
        watched.push(format!("/v1/debts/{}", hexs(r.link.digest().as_bytes())));
    }
    let mut p = Probe::new(&http, watched);
    {
        let base = &p.base;
        let balance: serde_json::Value = serde_json::from_str(&base[2].2).unwrap();
        assert_eq!(balance["credited"], 170, "{balance}");
        assert_eq!(balance["reserved"], 60, "{balance}");
    }

    // --- Truncated: proper prefixes of every kind. ---
    for (kind, bytes) in &kinds {
        for n in prefix_lengths(bytes.len()) {
            let label = format!("{kind} prefix {n}/{}", bytes.len());
            p.check(
                "truncated",
                &label,
                http.post(&path, &bytes[..n]),
                DECODE.says(&["truncated"]),
            );
        }
    }

    // --- Empty body. ---
    p.check(
        "empty",
        "empty claim",
        http.post(&path, b""),
        BAD.says(&["empty"]),
    );
    p.check(
        "empty",
        "empty reservation",
        http.post_json("/v1/reservations", b"", None),
        BAD,
    );
    p.check(
        "empty",
        "empty fraud-proof request",
        http.post("/v1/fraud-proofs", b""),
        DECODE.says(&["truncated"]),
    );
    p.check(
        "empty",
        "empty issue request",
        http.post_json("/v1/certificates", b"", Some(TOKEN)),
        BAD,
    );

    // --- Too large. ---
    let max = info.max_body;
    let mut big = p0.to_bytes();
    big.resize(max + 1, 0);
    let head = |len: usize| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
        .into_bytes()
    };
    let ans = raw_answer(raw_exchange_early(&http.addr, &head(big.len()), &big));
    p.check(
        "too_large",
        "max_body + 1 bytes",
        ans,
        want(413, "too_large"),
    );
    // The same, chunked (no length up front).
    let mut chunked = Vec::new();
    for c in big.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        chunked.extend_from_slice(c);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let chead = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let ans = raw_answer(raw_exchange_early(&http.addr, chead.as_bytes(), &chunked));
    p.check(
        "too_large",
        "max_body + 1 bytes, chunked",
        ans,
        want(413, "too_large"),
    );
    // A length far over the limit, with no body behind it.
    let ans = raw_answer(raw_exchange(&http.addr, &head(1 << 40), Vec::new()));
    p.check(
        "too_large",
        "Content-Length 2^40",
        ans,
        want(413, "too_large"),
    );
    // A reservation over the limit.
    let mut big_json = b"{\"certificate\":\"".to_vec();
    big_json.resize(max + 1, b'a');
    // Sent raw, reading while writing: the service answers 413 before the
    // body is in and closes, which a client still writing sees as a broken
    // pipe.
    let json_head = format!(
        "POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        big_json.len()
    );
    let ans = raw_answer(raw_exchange_early(
        &http.addr,
        json_head.as_bytes(),
        &big_json,
    ));
    p.check(
        "too_large",
        "reservation max_body + 1",
        ans,
        want(413, "too_large"),
    );
    // Exactly at the limit is not too large: a claim with trailing zeros.
    big.truncate(max);
    p.check(
        "too_large",
        "exactly max_body bytes (a decode error, not 413)",
        http.post(&path, &big),
        DECODE,
    );

    // --- Wrong message types sent as claims. ---
    let not_claims: Vec<(&str, Vec<u8>)> = vec![
        ("certificate", w_cert.clone()),
        ("commitment", p0.commitment.to_bytes()),
        ("payment", p0.payment.to_bytes()),
        ("reservation", reservation_bytes.clone()),
        ("renewal link", c0.renewals[0].link.to_bytes()),
        ("leaf opening", l0.opening.to_bytes()),
        ("multi commitment", l0.opening.commitment.to_bytes()),
        ("shared commitment", g0.commitment.to_bytes()),
        ("range grant", g0.grant.to_bytes()),
        ("domain commitment", d0.domain.to_bytes()),
        ("device commitment", d0.commitment.to_bytes()),
        ("fraud proof tag", vec![0x40, 1, 0, 0]),
        ("unknown tag 0xff", {
            let mut b = p0.to_bytes();
            b[0] = 0xff;
            b
        }),
        ("tag 0x00", vec![0; 64]),
        ("JSON", br#"{"claim":"plain"}"#.to_vec()),
        ("text", b"hello broker".to_vec()),
    ];
    for (what, bytes) in &not_claims {
        p.check(
            "wrong_type",
            what,
            http.post(&path, bytes),
            BAD.says(&["not a claim"]),
        );
    }
    for (kind, bytes) in &kinds {
        for v in [0u8, 2, 0xff] {
            let mut b = bytes.clone();
            b[1] = v;
            p.check(
                "wrong_type",
                &format!("{kind} with version {v}"),
                http.post(&path, &b),
                DECODE.says(&["version"]),
            );
        }
        // Another claim kind's tag on this claim's body.
        for (other, ob) in &kinds {
            if other != kind {
                let mut b = bytes.clone();
                b[0] = ob[0];
                p.check(
                    "wrong_type",
                    &format!("{kind} body under the {other} tag"),
                    http.post(&path, &b),
                    DECODE,
                );
            }
        }
    }

    // --- Trailing bytes after a valid claim. ---
    for (kind, bytes) in &kinds {
        let tails: [(&str, Vec<u8>); 3] = [
            ("one zero byte", vec![0]),
            ("100 bytes", vec![0xff; 100]),
            ("the claim again", bytes.clone()),
        ];
        for (what, tail) in tails {
            let mut b = bytes.clone();
            b.extend_from_slice(&tail);
            p.check(
                "trailing",
                &format!("{kind} + {what}"),
                http.post(&path, &b),
                DECODE.says(&["trailing"]),
            );
        }
    }

    // --- Flipped bits in the (already redeemed) valid claims. ---
    let cert_len = w_cert.len();
    for (kind, bytes) in &kinds {
        let len = bytes.len();
        let step = (len / 48).max(1) | 1;
        let mut positions: Vec<usize> = (0..len).step_by(step).collect();
        // The certificate's signature (after its kind byte).
        positions.extend([2 + cert_len - 64, 2 + cert_len - 33, 2 + cert_len - 1]);
        for pos in positions {
            let bit = u8::try_from(pos % 8).unwrap();
            let in_cert_sig = (2 + cert_len - 64..2 + cert_len).contains(&pos);
            let expect = if in_cert_sig {
                REFUSED.says(&["verify"])
            } else if pos < 2 {
                want(400, if pos == 0 { "bad_request" } else { "decode" })
            } else {
                ANY_4XX
            };
            p.check(
                "bit_flip",
                &format!("{kind} byte {pos} bit {bit}"),
                http.post(&path, &flipped(bytes, pos, bit)),
                expect,
            );
        }
        // The payword at the end: its index (up and down) and its word. A
        // payword the broker cannot check against its chain is refused,
        // whether or not it is above the one recorded.
        for (pos, bit) in [
            (len - 33, 0u8),
            (len - 33, 1),
            (len - 33, 3),
            (len - 34, 0),
            (len - 32, 0),
            (len - 16, 5),
            (len - 1, 7),
        ] {
            p.check(
                "bit_flip",
                &format!("{kind} payword byte {pos} bit {bit}"),
                http.post(&path, &flipped(bytes, pos, bit)),
                REFUSED,
            );
        }
    }
    // The commitment's signature (plain and cascade: right after the
    // certificate).
    for (kind, claim_bytes, commitment_len) in [
        ("plain", &kinds[0].1, p0.commitment.to_bytes().len()),
        ("cascade", &kinds[1].1, c0.commitment.to_bytes().len()),
    ] {
        let end = 2 + cert_len + commitment_len;
        for pos in [end - 64, end - 40, end - 1] {
            p.check(
                "bit_flip",
                &format!("{kind} commitment signature byte {pos}"),
                http.post(&path, &flipped(claim_bytes, pos, 2)),
                REFUSED.says(&["verify"]),
            );
        }
    }
    // A length field: the cascade's count of renewals (u16 after the first
    // chain's payword): every bit gives a decode error.
    {
        let at = 2 + cert_len + c0.commitment.to_bytes().len() + 37;
        let bytes = &kinds[1].1;
        assert_eq!(&bytes[at..at + 2], &[0, 2], "renewal count");
        for i in 0..16usize {
            p.check(
                "bit_flip",
                &format!("cascade renewal count bit {i}"),
                http.post(
                    &path,
                    &flipped(bytes, at + i / 8, u8::try_from(i % 8).unwrap()),
                ),
                DECODE,
            );
        }
    }

    // --- Bad path parameters. ---
    let v_hex = hexs(w.vendor.as_bytes());
    let claim = p0.to_bytes();
    let bad_ids: Vec<(&str, String)> = vec![
        ("non-hex", "zz".repeat(32)),
        ("31 bytes", "05".repeat(31)),
        ("33 bytes", "05".repeat(33)),
        ("odd length", format!("{v_hex}0")),
        ("0x prefix", format!("0x{}", "05".repeat(31))),
        ("spaces", "%20".repeat(32)),
        ("long", "05".repeat(5000)),
    ];
    for (what, id) in &bad_ids {
        p.check(
            "bad_path",
            &format!("claim to vendor {what}"),
            http.post(&format!("/v1/vendors/{id}/claims"), &claim),
            BAD.says(&["vendor"]),
        );
        p.check(
            "bad_path",
            &format!("balance of vendor {what}"),
            http.get(&format!("/v1/vendors/{id}")),
            BAD.says(&["vendor"]),
        );
        p.check(
            "bad_path",
            &format!("certificate {what}"),
            http.get(&format!("/v1/certificates/{id}")),
            BAD.says(&["certificate"]),
        );
        p.check(
            "bad_path",
            &format!("debt {what}"),
            http.get(&format!("/v1/debts/{id}")),
            BAD.says(&["debt key"]),
        );
    }
    p.check(
        "bad_path",
        "claim to an empty vendor id",
        http.post("/v1/vendors//claims", &claim),
        BAD.says(&["vendor", "0 bytes"]),
    );
    p.check(
        "bad_path",
        "vendor not hex: message names the problem",
        http.post(&format!("/v1/vendors/{}/claims", "zz".repeat(32)), &claim),
        BAD.says(&["vendor", "not hex"]),
    );
    p.check(
        "bad_path",
        "vendor of 31 bytes: message names the length",
        http.get(&format!("/v1/vendors/{}", "05".repeat(31))),
        BAD.says(&["31 bytes", "32"]),
    );
    // Not UTF-8 once percent-decoded.
    p.check(
        "bad_path",
        "vendor %ff%fe (not UTF-8)",
        http.post("/v1/vendors/%ff%fe/claims", &claim),
        want(400, "bad_request"),
    );

    // --- Unknown routes. ---
    for (method, route) in [
        ("GET", "/".to_owned()),
        ("GET", "/v2/health".to_owned()),
        ("POST", "/v1/claims".to_owned()),
        ("GET", format!("/v1/vendors/{v_hex}/claims/extra")),
        ("GET", "/v1/debts".to_owned()),
        ("GET", "/../../etc/passwd".to_owned()),
        ("GET", format!("/v1/{}", "a".repeat(4000))),
    ] {
        let body = (method == "POST").then_some(&claim[..]);
        p.check(
            "unknown_route",
            &format!("{method} {}", &route[..route.len().min(60)]),
            http.request(method, &route, body, &[]),
            want(404, "not_found").says(&["no such route"]),
        );
    }

    // --- Wrong methods. ---
    let d_hex = hexs(w.cert.digest().as_bytes());
    for (method, route) in [
        ("GET", format!("/v1/vendors/{v_hex}/claims")),
        ("PUT", format!("/v1/vendors/{v_hex}/claims")),
        ("DELETE", format!("/v1/vendors/{v_hex}")),
        ("POST", format!("/v1/vendors/{v_hex}")),
        ("GET", "/v1/reservations".to_owned()),
        ("PATCH", "/v1/reservations".to_owned()),
        ("DELETE", format!("/v1/certificates/{d_hex}")),
        ("GET", "/v1/fraud-proofs".to_owned()),
        ("POST", "/v1/health".to_owned()),
        ("PUT", "/v1/certificates".to_owned()),
    ] {
        let body = matches!(method, "POST" | "PUT" | "PATCH").then_some(&claim[..]);
        p.check(
            "wrong_method",
            &format!("{method} {}", &route[..route.len().min(40)]),
            http.request(method, &route, body, &[]),
            ANY_4XX,
        );
    }

    // --- Reservation JSON. ---
    let fresh = plain(&w, 40, 1, 5).commitment.to_bytes();
    let c_hex = hexs(&fresh);
    let cert_hex = hexs(&w_cert);
    let good = String::from_utf8(reserve_json(&w_cert, &fresh, 10, NOW + 5000)).unwrap();
    let mut deep = "[".repeat(5000);
    deep.push_str(&"]".repeat(5000));
    let target = |kind: &str, fields: &str| {
        format!(
            r#"{{"certificate":"{cert_hex}","target":{{"kind":"{kind}",{fields}}},"amount":10,"expires":{}}}"#,
            NOW + 5000
        )
    };
    let bad_json: Vec<(&str, String, Want)> = vec![
        (
            "truncated JSON",
            good[..good.len() / 2].to_owned(),
            BAD.says(&["json"]),
        ),
        ("null", "null".into(), BAD),
        ("array", "[]".into(), BAD),
        ("number", "42".into(), BAD),
        ("string", "\"reserve\"".into(), BAD),
        ("trailing garbage", format!("{good}}}"), BAD),
        ("two objects", format!("{good}{good}"), BAD),
        ("deep nesting", deep, BAD),
        (
            "unknown top-level field",
            good.replacen('{', r#"{"extra":1,"#, 1),
            BAD.says(&["unknown field", "extra"]),
        ),
        (
            "unknown target field",
            good.replacen(r#""kind":"#, r#""note":"x","kind":"#, 1),
            BAD.says(&["unknown field"]),
        ),
        (
            "unknown target kind",
            good.replacen(r#""kind":"commitment""#, r#""kind":"bogus""#, 1),
            BAD.says(&["bogus"]),
        ),
        (
            "missing amount",
            good.replacen(r#""amount":10,"#, "", 1),
            BAD.says(&["missing field", "amount"]),
        ),
        (
            "amount as a string",
            good.replacen(r#""amount":10"#, r#""amount":"10""#, 1),
            BAD.says(&["invalid type"]),
        ),
        (
            "negative amount",
            good.replacen(r#""amount":10"#, r#""amount":-1"#, 1),
            BAD,
        ),
        (
            "amount 2^64",
            good.replacen(r#""amount":10"#, r#""amount":18446744073709551616"#, 1),
            BAD,
        ),
        (
            "amount float",
            good.replacen(r#""amount":10"#, r#""amount":1.5"#, 1),
            BAD,
        ),
        (
            "duplicate field",
            good.replacen(r#""amount":10"#, r#""amount":10,"amount":11"#, 1),
            BAD.says(&["duplicate field"]),
        ),
        (
            "certificate not hex",
            good.replacen(&cert_hex, &"zz".repeat(20), 1),
            BAD.says(&["invalid character"]),
        ),
        (
            "certificate odd-length hex",
            good.replacen(&cert_hex, "abc", 1),
            BAD.says(&["odd"]),
        ),
        (
            "certificate truncated",
            good.replacen(&cert_hex, &cert_hex[..100], 1),
            DECODE.says(&["certificate", "truncated"]),
        ),
        (
            "certificate with a trailing byte",
            good.replacen(&cert_hex, &format!("{cert_hex}00"), 1),
            DECODE.says(&["certificate", "trailing"]),
        ),
        (
            "certificate is a commitment",
            good.replacen(&cert_hex, &c_hex, 1),
            DECODE.says(&["certificate", "tag"]),
        ),
        (
            "certificate empty",
            good.replacen(&cert_hex, "", 1),
            DECODE.says(&["certificate"]),
        ),
        (
            "commitment is a certificate",
            good.replacen(&c_hex, &cert_hex, 1),
            DECODE.says(&["commitment", "tag"]),
        ),
        (
            "commitment truncated",
            good.replacen(&c_hex, &c_hex[..c_hex.len() - 2], 1),
            DECODE.says(&["commitment", "truncated"]),
        ),
        (
            "commitment wrong version",
            good.replacen(&c_hex, &format!("1102{}", &c_hex[4..]), 1),
            DECODE.says(&["version"]),
        ),
        (
            "leaf opening is a leaf claim",
            target("leaf", &format!(r#""opening":"{}""#, hexs(&kinds[2].1))),
            DECODE.says(&["leaf opening"]),
        ),
        (
            "grant without its grant",
            target(
                "grant",
                &format!(r#""commitment":"{}""#, hexs(&g0.commitment.to_bytes())),
            ),
            BAD.says(&["missing field", "grant"]),
        ),
        (
            "grant truncated",
            target(
                "grant",
                &format!(
                    r#""commitment":"{}","grant":"{}""#,
                    hexs(&g0.commitment.to_bytes()),
                    hexs(&g0.grant.to_bytes()[..40])
                ),
            ),
            DECODE.says(&["grant", "truncated"]),
        ),
        (
            "device domain is a device commitment",
            target(
                "device",
                &format!(
                    r#""domain":"{}","commitment":"{}""#,
                    hexs(&d0.commitment.to_bytes()),
                    hexs(&d0.commitment.to_bytes())
                ),
            ),
            DECODE.says(&["domain commitment"]),
        ),
    ];
    for (what, json, want) in bad_json {
        p.check(
            "reservation_json",
            what,
            http.post_json("/v1/reservations", json.as_bytes(), None),
            want,
        );
    }
    p.check(
        "reservation_json",
        "not UTF-8",
        http.post_json("/v1/reservations", &[0xff, 0xfe, b'{', b'}'], None),
        BAD,
    );

    // --- Certificate issuance: tokens, then JSON. ---
    let issue = format!(
        r#"{{"customer":"{}","customer_key":"{}","credit_limit":500,"valid_from":{},"expires":{}}}"#,
        "04".repeat(16),
        hexs(w.customer.public_key().as_bytes()),
        NOW - 10,
        NOW + 1000
    );
    let unauthorized = want(401, "unauthorized").says(&["token"]);
    p.check(
        "issue_token",
        "no token",
        http.post_json("/v1/certificates", issue.as_bytes(), None),
        unauthorized,
    );
    let wrong_tokens = [
        "wrong-token-wrong-token".to_owned(),
        format!("{TOKEN}x"),
        TOKEN[..TOKEN.len() - 1].to_owned(),
        String::new(),
    ];
    for t in &wrong_tokens {
        p.check(
            "issue_token",
            &format!("token {t:?}"),
            http.post_json("/v1/certificates", issue.as_bytes(), Some(t)),
            unauthorized,
        );
    }
    let basic = format!("Basic {TOKEN}");
    let lower = format!("bearer {TOKEN}");
    for auth in [basic.as_str(), lower.as_str(), TOKEN, "Bearer"] {
        p.check(
            "issue_token",
            &format!("Authorization: {}", &auth[..auth.len().min(12)]),
            http.request(
                "POST",
                "/v1/certificates",
                Some(issue.as_bytes()),
                &[
                    ("authorization", auth),
                    ("content-type", "application/json"),
                ],
            ),
            unauthorized,
        );
    }
    // The token is checked before the body: a bad body without it is 401.
    p.check(
        "issue_token",
        "no token, malformed body",
        http.post_json("/v1/certificates", b"{", None),
        unauthorized,
    );
    let key_hex = hexs(w.customer.public_key().as_bytes());
    let bad_issue: Vec<(&str, String, Want)> = vec![
        (
            "truncated JSON",
            issue[..30].to_owned(),
            BAD.says(&["json"]),
        ),
        (
            "unknown field",
            issue.replacen('{', r#"{"admin":true,"#, 1),
            BAD.says(&["unknown field", "admin"]),
        ),
        (
            "customer not hex",
            issue.replacen(&"04".repeat(16), &"g4".repeat(16), 1),
            BAD,
        ),
        (
            "customer of 15 bytes",
            issue.replacen(&"04".repeat(16), &"04".repeat(15), 1),
            BAD.says(&["customer", "16 bytes"]),
        ),
        (
            "customer_key of 31 bytes",
            issue.replacen(&key_hex, &key_hex[2..], 1),
            BAD.says(&["customer_key"]),
        ),
        (
            "customer_key of 33 bytes",
            issue.replacen(&key_hex, &format!("00{key_hex}"), 1),
            BAD.says(&["customer_key"]),
        ),
        (
            "valid_from after expires",
            issue.replacen(
                &format!(r#""expires":{}"#, NOW + 1000),
                &format!(r#""expires":{}"#, NOW - 20),
                1,
            ),
            BAD.says(&["valid_from"]),
        ),
        (
            "credit_limit 0",
            issue.replacen(r#""credit_limit":500"#, r#""credit_limit":0"#, 1),
            BAD.says(&["credit_limit"]),
        ),
        (
            "missing expires",
            issue.replacen(&format!(r#","expires":{}"#, NOW + 1000), "", 1),
            BAD.says(&["missing field", "expires"]),
        ),
    ];
    for (what, json, want) in bad_issue {
        p.check(
            "issue_json",
            what,
            http.post_json("/v1/certificates", json.as_bytes(), Some(TOKEN)),
            want,
        );
    }

    // --- Fraud-proof requests that are not certificates. ---
    let fp: Vec<(&str, Vec<u8>, Want)> = vec![
        (
            "a claim",
            p0.to_bytes(),
            DECODE.says(&["certificate", "tag"]),
        ),
        (
            "a truncated certificate",
            w_cert[..100].to_vec(),
            DECODE.says(&["truncated"]),
        ),
        (
            "a certificate with trailing bytes",
            [w_cert.clone(), vec![1, 2, 3]].concat(),
            DECODE.says(&["trailing"]),
        ),
        (
            "a certificate without overspend",
            w_cert.clone(),
            want(404, "not_found").says(&["overspend"]),
        ),
    ];
    for (what, body, want) in fp {
        p.check(
            "fraud_proof_req",
            what,
            http.post("/v1/fraud-proofs", &body),
            want,
        );
    }

    // --- Malformed HTTP (rejected before any route runs). ---
    let framing: Vec<(&str, Vec<u8>)> = vec![
        ("garbage request line", b"GARBAGE\r\n\r\n".to_vec()),
        ("binary", vec![0, 1, 2, 3, 0xff, b'\r', b'\n', b'\r', b'\n']),
        (
            "bad Content-Length",
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n").into_bytes(),
        ),
        (
            "two Content-Lengths",
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"
            )
            .into_bytes(),
        ),
        (
            "bad HTTP version",
            b"GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "header without colon",
            b"GET /v1/health HTTP/1.1\r\nHost x\r\n\r\n".to_vec(),
        ),
        (
            "1 MiB of headers",
            format!(
                "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(1 << 20)
            )
            .into_bytes(),
        ),
    ];
    for (what, bytes) in framing {
        let raw = raw_exchange(&http.addr, &bytes, Vec::new());
        p.check_framing("malformed_http", what, &raw);
    }
    // A request that parses but whose chunked body does not: it reaches the
    // route, whose answer must be an ErrorBody.
    let bad_chunks = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"
    );
    let ans = raw_answer(raw_exchange(&http.addr, bad_chunks.as_bytes(), Vec::new()));
    p.check(
        "malformed_http",
        "invalid chunked body",
        ans,
        Want {
            status: Some(400),
            ..ANY_4XX
        },
    );

    // --- Every refusal, as a well-formed claim. ---
    let refusals: Vec<(&str, String, Vec<u8>, Want)> = vec![
        (
            "plain: certificate from another broker",
            path.clone(),
            plain(&other_broker, 70, 1, 5).to_bytes(),
            REFUSED.says(&["another broker"]),
        ),
        (
            "cascade: certificate from another broker",
            path.clone(),
            cascade(&other_broker, 71, 1, 5).to_bytes(),
            REFUSED.says(&["another broker"]),
        ),
        (
            "leaf: certificate from another broker",
            path.clone(),
            leaf(&other_broker, 72, 100, 5).to_bytes(),
            REFUSED.says(&["another broker"]),
        ),
        (
            "grant: certificate from another broker",
            path.clone(),
            grant(&other_broker, 73, 5).to_bytes(),
            REFUSED.says(&["another broker"]),
        ),
        (
            "device: certificate from another broker",
            path.clone(),
            device(&other_broker, 74, 100, 100, 5).to_bytes(),
            REFUSED.says(&["another broker"]),
        ),
        (
            "plain: bad broker signature on the certificate",
            path.clone(),
            plain(&bad_broker_sig, 75, 1, 5).to_bytes(),
            REFUSED.says(&["certificate", "verify"]),
        ),
        (
            "cascade: bad broker signature on the certificate",
            path.clone(),
            // (The fixture's session would refuse the certificate: swap it
            // in; its digest is the good one's, only the signature differs.)
            CascadeClaim {
                certificate: bad_broker_sig.cert,
                ..cascade(&w, 76, 1, 5)
            }
            .to_bytes(),
            REFUSED.says(&["certificate", "verify"]),
        ),
        (
            "leaf: bad broker signature on the certificate",
            path.clone(),
            leaf(&bad_broker_sig, 77, 100, 5).to_bytes(),
            REFUSED.says(&["certificate", "verify"]),
        ),
        (
            "grant: bad broker signature on the certificate",
            path.clone(),
            grant(&bad_broker_sig, 78, 5).to_bytes(),
            REFUSED.says(&["certificate", "verify"]),
        ),
        (
            "device: bad broker signature on the certificate",
            path.clone(),
            device(&bad_broker_sig, 79, 100, 100, 5).to_bytes(),
            REFUSED.says(&["certificate", "verify"]),
        ),
        (
            "plain: bad customer signature",
            path.clone(),
            plain(&bad_customer_sig, 80, 1, 5).to_bytes(),
            REFUSED.says(&["signature", "verify"]),
        ),
        (
            "cascade: bad customer signature",
            path.clone(),
            {
                // Signed by another key over the same fields (same digest).
                let c = cascade(&w, 81, 1, 5);
                let commitment =
                    Commitment::sign(*c.commitment.fields(), &bad_customer_sig.customer).unwrap();
                CascadeClaim { commitment, ..c }.to_bytes()
            },
            REFUSED.says(&["signature", "verify"]),
        ),
        (
            "leaf: bad customer signature",
            path.clone(),
            leaf(&bad_customer_sig, 82, 100, 5).to_bytes(),
            REFUSED.says(&["verify"]),
        ),
        (
            "grant: bad customer signature",
            path.clone(),
            grant(&bad_customer_sig, 83, 5).to_bytes(),
            REFUSED.says(&["verify"]),
        ),
        (
            "device: bad customer signature",
            path.clone(),
            device(&bad_customer_sig, 84, 100, 100, 5).to_bytes(),
            REFUSED.says(&["verify"]),
        ),
        (
            "plain: wrong vendor in the path",
            claims_path(&other_vendor),
            kinds[0].1.clone(),
            REFUSED.says(&["another vendor"]),
        ),
        (
            "cascade: wrong vendor in the path",
            claims_path(&other_vendor),
            kinds[1].1.clone(),
            REFUSED.says(&["another vendor"]),
        ),
        (
            "leaf: wrong vendor in the path",
            claims_path(&other_vendor),
            kinds[2].1.clone(),
            REFUSED.says(&["another vendor"]),
        ),
        (
            "grant: wrong vendor in the path",
            claims_path(&other_vendor),
            kinds[3].1.clone(),
            REFUSED.says(&["another vendor"]),
        ),
        (
            "device: wrong vendor in the path",
            claims_path(&other_vendor),
            kinds[4].1.clone(),
            REFUSED.says(&["another vendor"]),
        ),
        (
            "plain: commitment expired (past the grace)",
            path.clone(),
            plain_at(&w, 85, 1, 3, NOW - 900, NOW - 100).to_bytes(),
            REFUSED.says(&["expired"]),
        ),
        (
            "plain: commitment not valid yet",
            path.clone(),
            plain_at(&w, 86, 1, 3, NOW + 1000, NOW + 5000).to_bytes(),
            REFUSED.says(&["not valid yet"]),
        ),
        (
            "plain: commitment outside the certificate's validity",
            path.clone(),
            plain_at(&w, 87, 1, 3, NOW - 2000, NOW + 5000).to_bytes(),
            REFUSED.says(&["outside the certificate"]),
        ),
        (
            "plain: forged payword above what was paid",
            path.clone(),
            RedemptionClaim {
                payment: Payment::new(p0.commitment.digest(), PaymentBody::Single(forged(50))),
                ..p0
            }
            .to_bytes(),
            REFUSED.says(&["payword does not verify"]),
        ),
        (
            "plain: forged payword at the index already paid",
            path.clone(),
            RedemptionClaim {
                payment: Payment::new(p0.commitment.digest(), PaymentBody::Single(forged(40))),
                ..p0
            }
            .to_bytes(),
            REFUSED.says(&["payword does not verify"]),
        ),
        (
            "plain: forged payword below what was paid",
            path.clone(),
            RedemptionClaim {
                payment: Payment::new(p0.commitment.digest(), PaymentBody::Single(forged(1))),
                ..p0
            }
            .to_bytes(),
            REFUSED.says(&["payword does not verify"]),
        ),
        (
            "cascade: forged payword above what was paid",
            path.clone(),
            {
                let mut c = c0.clone();
                c.renewals[1].last = Some(forged(8));
                c.to_bytes()
            },
            REFUSED.says(&["does not verify"]),
        ),
        (
            "leaf: forged payword above what was paid",
            path.clone(),
            payword::tree::LeafClaim {
                payment: Payment::new(l0.opening.leaf_id(), PaymentBody::Single(forged(50))),
                ..l0
            }
            .to_bytes(),
            REFUSED.says(&["does not verify"]),
        ),
        (
            "grant: forged payword above what was paid",
            path.clone(),
            GrantClaim {
                payword: forged(50),
                ..g0
            }
            .to_bytes(),
            REFUSED.says(&["does not verify"]),
        ),
        (
            "device: forged payword above what was paid",
            path.clone(),
            payword::domain::DeviceClaim {
                payment: Payment::new(d0.commitment.digest(), PaymentBody::Single(forged(40))),
                ..d0
            }
            .to_bytes(),
            REFUSED.says(&["does not verify"]),
        ),
        (
            "plain: payment names another commitment",
            path.clone(),
            RedemptionClaim {
                payment: Payment::new(Digest::from_bytes([7; 32]), *p0.payment.body()),
                ..p0
            }
            .to_bytes(),
            REFUSED.says(&["another commitment"]),
        ),
        (
            "leaf: payment names another leaf",
            path.clone(),
            payword::tree::LeafClaim {
                payment: Payment::new(Digest::from_bytes([7; 32]), *l0.payment.body()),
                ..l0
            }
            .to_bytes(),
            REFUSED.says(&["another"]),
        ),
        (
            "device: payment names another commitment",
            path.clone(),
            payword::domain::DeviceClaim {
                payment: Payment::new(Digest::from_bytes([7; 32]), *d0.payment.body()),
                ..d0
            }
            .to_bytes(),
            REFUSED.says(&["another"]),
        ),
        (
            "plain: claimed under another certificate",
            path.clone(),
            RedemptionClaim {
                certificate: other_broker.cert,
                ..p0
            }
            .to_bytes(),
            REFUSED,
        ),
        (
            "grant: (50, 100] overlaps the redeemed (0, 100]",
            path.clone(),
            grant_range(&w, 13, 50, 100, 10).to_bytes(),
            REFUSED.says(&["overlapping grant"]),
        ),
        (
            "grant: (0, 50] overlaps the redeemed (0, 100]",
            path.clone(),
            grant_range(&w, 13, 0, 50, 30).to_bytes(),
            REFUSED.says(&["overlapping grant"]),
        ),
    ];
    for (what, route, body, want) in refusals {
        p.check("refusal", what, http.post(&route, &body), want);
    }

    // The fork: a second link signed by a one-time key whose link is stored.
    let forked = forked_cascade(&c0, 11);
    let fork = p.check(
        "refusal",
        "cascade: renewal link forks a redeemed link",
        http.post(&path, &forked.to_bytes()),
        want(409, "fraud").says(&["one-time"]),
    );
    match fork.and_then(|e| e.fraud_proof) {
        Some(proof) => {
            let proof = FraudProof::decode(&proof.0).unwrap();
            assert_eq!(
                proof.verify(&w.broker.public_key(), 0),
                Ok(w.cert.fields().customer)
            );
        }
        None => p.fail("refusal", "fork: no fraud_proof in the answer".into()),
    }

    // --- Reservation refusals. ---
    let res_refusals: Vec<(&str, Vec<u8>, Want)> = vec![
        (
            "over the credit",
            reserve_json(&w_cert, &fresh, 10_000, NOW + 5000),
            REFUSED.says(&["exceeds the available credit"]),
        ),
        (
            "amount 2^64 - 1",
            reserve_json(&w_cert, &fresh, u64::MAX, NOW + 5000),
            REFUSED.says(&["credit"]),
        ),
        (
            "amount 0",
            reserve_json(&w_cert, &fresh, 0, NOW + 5000),
            ANY_4XX.says(&["amount"]),
        ),
        (
            "already lapsed",
            reserve_json(&w_cert, &fresh, 10, NOW - 100),
            REFUSED.says(&["expired"]),
        ),
        (
            "forged commitment",
            reserve_json(
                &w_cert,
                &plain(&bad_customer_sig, 41, 1, 5).commitment.to_bytes(),
                10,
                NOW + 5000,
            ),
            REFUSED.says(&["verify"]),
        ),
        (
            "commitment of another certificate",
            reserve_json(
                &w_cert,
                &plain(&other_broker, 42, 1, 5).commitment.to_bytes(),
                10,
                NOW + 5000,
            ),
            REFUSED.says(&["another certificate"]),
        ),
        (
            "already reserved, other amount",
            reserve_json(&w_cert, &held.commitment.to_bytes(), 61, NOW + 5000),
            REFUSED.says(&["already holds a reservation"]),
        ),
        (
            "already reserved, other expiry",
            reserve_json(&w_cert, &held.commitment.to_bytes(), 60, NOW + 6000),
            REFUSED.says(&["already holds a reservation"]),
        ),
        (
            "certificate from another broker",
            reserve_json(&other_broker.cert.to_bytes(), &fresh, 10, NOW + 5000),
            REFUSED.says(&["another broker"]),
        ),
        (
            "certificate with a bad signature",
            reserve_json(&bad_broker_sig.cert.to_bytes(), &fresh, 10, NOW + 5000),
            REFUSED.says(&["verify"]),
        ),
    ];
    for (what, json, want) in res_refusals {
        p.check(
            "reservation_refusal",
            what,
            http.post_json("/v1/reservations", &json, None),
            want,
        );
    }

    // The honest claims still work as before (duplicates owe nothing).
    for (kind, bytes) in &kinds {
        let r: Redeemed = http.ok(http.post(&path, bytes));
        assert_eq!(r.owed, 0, "{kind}");
    }
    assert_eq!(p.snapshot(), p.base);
    drop(service);
    support::cleanup(&spec.dir);
    p.finish("hostile corpus");
}

// ---------------------------------------------------------------------------
// The claim step budget
// ---------------------------------------------------------------------------

#[test]
fn claims_over_the_step_budget_are_refused() {
    let w = world(10_000);
    let mut spec = Spec::redb("hostile-budget");
    spec.extra = vec!["--claim-step-limit".into(), "8".into()];
    let service = spec.start(NOW);
    let http = Http::new(&service.url);
    let info: BrokerInfo = http.ok(http.get("/v1/broker"));
    assert_eq!(info.claim_step_limit, 8);
    let path = claims_path(&w.vendor);
    // State: 5 steps fit.
    let p0 = plain(&w, 30, 1, 5);
    let r: Redeemed = http.ok(http.post(&path, &p0.to_bytes()));
    assert_eq!(r.owed, 5);
    let watched = vec![
        format!("/v1/vendors/{}", hexs(w.vendor.as_bytes())),
        format!("/v1/certificates/{}", hexs(w.cert.digest().as_bytes())),
        format!("/v1/debts/{}", hexs(p0.commitment.digest().as_bytes())),
    ];
    let mut p = Probe::new(&http, watched);
    let over: Vec<(&str, Vec<u8>)> = vec![
        ("plain, 20 steps", plain(&w, 31, 1, 20).to_bytes()),
        ("plain, 5 -> 20 (15 steps)", plain(&w, 30, 1, 20).to_bytes()),
        ("plain, 100 steps", plain(&w, 36, 1, 100).to_bytes()),
        ("cascade, 25 steps", cascade(&w, 32, 1, 25).to_bytes()),
        ("cascade, 9 steps", cascade(&w, 37, 1, 9).to_bytes()),
        ("leaf, 20 steps", leaf(&w, 33, 1000, 20).to_bytes()),
        ("grant, 20 steps", grant(&w, 34, 20).to_bytes()),
        (
            "device, 20 steps",
            device(&w, 35, 1000, 1000, 20).to_bytes(),
        ),
    ];
    for (what, bytes) in over {
        p.check(
            "over_budget",
            what,
            http.post(&path, &bytes),
            REFUSED.says(&["steps", "8"]),
        );
    }
    drop(service);
    support::cleanup(&spec.dir);
    p.finish("step budget");
}

// ---------------------------------------------------------------------------
// Claims outside their validity (services whose clock is elsewhere)
// ---------------------------------------------------------------------------

#[test]
fn claims_outside_their_window_are_refused() {
    let w = world(10_000);
    let all = |w: &World| -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("plain", plain(w, 10, 2, 40).to_bytes()),
            ("cascade", cascade(w, 11, 1, 25).to_bytes()),
            ("leaf", leaf(w, 12, 1000, 30).to_bytes()),
            ("grant", grant(w, 13, 20).to_bytes()),
            ("device", device(w, 14, 1000, 1000, 15).to_bytes()),
        ]
    };
    let claims = all(&w);
    let path = claims_path(&w.vendor);
    // The fixtures' commitments run to NOW + 10 000 (+ 60 s of grace); from
    // NOW - 10. The certificate runs from NOW - 1000 to NOW + 100 000.
    for (now, own, words) in [
        (
            NOW + 20_000,
            plain_at(&w, 50, 1, 3, NOW + 15_000, NOW + 30_000),
            &["expired"][..],
        ),
        (
            NOW - 500,
            plain_at(&w, 51, 1, 3, NOW - 900, NOW + 10),
            &["not valid yet"][..],
        ),
    ] {
        let spec = Spec::redb("hostile-clock");
        let service = spec.start(now);
        let http = Http::new(&service.url);
        let r: Redeemed = http.ok(http.post(&path, &own.to_bytes()));
        assert_eq!(r.owed, 3);
        let watched = vec![
            format!("/v1/vendors/{}", hexs(w.vendor.as_bytes())),
            format!("/v1/certificates/{}", hexs(w.cert.digest().as_bytes())),
            format!("/v1/debts/{}", hexs(own.commitment.digest().as_bytes())),
        ];
        let mut p = Probe::new(&http, watched);
        let says = if words[0] == "expired" {
            REFUSED.says(&["expired"])
        } else {
            REFUSED.says(&["not valid yet"])
        };
        for (kind, bytes) in &claims {
            p.check(
                "outside_window",
                &format!("{kind} at {now}"),
                http.post(&path, bytes),
                says,
            );
        }
        drop(service);
        support::cleanup(&spec.dir);
        p.finish(&format!("clock at {now}"));
    }
}

// ---------------------------------------------------------------------------
// Slow clients
// ---------------------------------------------------------------------------

#[test]
fn slow_clients_are_cut_off_and_the_service_lives_on() {
    let w = world(10_000);
    let mut spec = Spec::redb("hostile-slow");
    spec.extra = vec![
        "--header-timeout".into(),
        "1".into(),
        "--request-timeout".into(),
        "2".into(),
    ];
    let service = spec.start(NOW);
    let http = Http::with_pool(&service.url, false);
    let path = claims_path(&w.vendor);
    let p0 = plain(&w, 60, 1, 7);
    let r: Redeemed = http.ok(http.post(&path, &p0.to_bytes()));
    assert_eq!(r.owed, 7);
    let watched = vec![
        format!("/v1/vendors/{}", hexs(w.vendor.as_bytes())),
        format!("/v1/certificates/{}", hexs(w.cert.digest().as_bytes())),
    ];
    let mut p = Probe::new(&http, watched);
    let limit = Duration::from_secs(5);

    // (a) Half the headers, then nothing: disconnected by the header timeout.
    {
        let mut s = TcpStream::connect(&http.addr).unwrap();
        s.write_all(format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Ty").as_bytes())
            .unwrap();
        let start = Instant::now();
        let raw = read_response(&mut s, limit);
        let took = start.elapsed();
        eprintln!("slow client, half headers: cut off after {took:?}");
        *p.counts.entry("slow_client").or_default() += 1;
        match &raw {
            Raw::Closed(_) | Raw::Reset(_) => {}
            Raw::Response(408, _) => {}
            other => p.fail(
                "slow_client",
                format!("half headers: {} after {took:?}", other.describe()),
            ),
        }
        if took > Duration::from_millis(4500) {
            p.fail("slow_client", format!("half headers: cut after {took:?}"));
        }
        p.check_state("slow_client", "half headers");
    }

    // (a') Headers trickled a byte every 200 ms: the header timeout is for
    // all of them, not per byte.
    {
        let mut s = TcpStream::connect(&http.addr).unwrap();
        let req = format!(
            "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: {}\r\n\r\n",
            "a".repeat(100)
        );
        let start = Instant::now();
        let mut cut = false;
        for b in req.as_bytes() {
            if start.elapsed() > limit {
                break;
            }
            if s.write_all(&[*b]).is_err() {
                cut = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
            // Closed by the server? A read that returns at once says so.
            s.set_nonblocking(true).unwrap();
            let mut one = [0u8; 256];
            let r = s.read(&mut one);
            s.set_nonblocking(false).unwrap();
            match r {
                Ok(_) => {
                    cut = true;
                    break;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => {
                    cut = true;
                    break;
                }
            }
        }
        let took = start.elapsed();
        eprintln!("slow client, trickled headers: cut off after {took:?}");
        *p.counts.entry("slow_client").or_default() += 1;
        if !cut || took > Duration::from_millis(4500) {
            p.fail(
                "slow_client",
                format!("trickled headers: still open after {took:?} (cut: {cut})"),
            );
        }
        p.check_state("slow_client", "trickled headers");
    }

    // (b) Headers promising 1000 bytes of body, then 10 and nothing: 408 (or
    // closed) by the request timeout.
    {
        let mut s = TcpStream::connect(&http.addr).unwrap();
        s.write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
        s.write_all(&p0.to_bytes()[..10]).unwrap();
        let start = Instant::now();
        let raw = read_response(&mut s, limit);
        let took = start.elapsed();
        eprintln!("slow client, stalled body: cut off after {took:?}");
        match raw {
            Raw::Response(status, body) => {
                p.check(
                    "slow_client",
                    "stalled body",
                    Ok(Answer { status, body }),
                    want(408, "timeout"),
                );
            }
            Raw::Closed(_) | Raw::Reset(_) => {
                *p.counts.entry("slow_client").or_default() += 1;
                p.check_state("slow_client", "stalled body");
            }
            Raw::Stalled => {
                *p.counts.entry("slow_client").or_default() += 1;
                p.fail(
                    "slow_client",
                    format!("stalled body: no answer in {took:?}"),
                );
            }
        }
        if took > Duration::from_millis(4500) {
            p.fail("slow_client", format!("stalled body: cut after {took:?}"));
        }
    }

    // (c) The service still answers, and still redeems.
    let h = http.get("/v1/health").unwrap();
    assert_eq!(h.status, 200, "{}", h.text());
    let r: Redeemed = http.ok(http.post(&path, &plain(&w, 61, 1, 4).to_bytes()));
    assert_eq!(r.owed, 4);
    drop(service);
    support::cleanup(&spec.dir);
    p.finish("slow clients");
}
