//! The source documents' own cost comparisons, set against this crate's
//! model.
//!
//! The papers the crate was built from (`shared/reference/`, Chinese, text
//! extracted from PDFs) compare schemes in a few sentences; none of their
//! comparison tables survived the extraction. Every such sentence is a
//! [`RefRow`]: which document and line it comes from, what it claims in
//! English, the crate [`Scheme`] it is about, the [`Party`] and [`Metric`], and
//! their figure ([`Theirs`]): a formula evaluated on a [`Workload`], a claim
//! relative to another scheme, or a qualitative claim. [`markdown`] sets each
//! against [`model`] on the [`STANDARD`] workload and says, per row, why the
//! two differ.
//!
//! The Chinese text of every row, its translation and the sentences left
//! out (too garbled, or not about cost) are in the lab's notes,
//! `reference_comparisons.md`.

use core::cmp::Ordering;

use payword::cost::model::{Costs, ModelError, PartyCost, Scheme, Workload, model};

/// The workload [`markdown`] evaluates every row on: 3 vendors, chains of
/// 10,000, 1,000 one-unit payments to each vendor, one device.
pub const STANDARD: Workload = Workload {
    vendors: 3,
    chain_len: 10_000,
    payments: 1_000,
    units: 1,
    devices: 1,
};

/// Whose cost a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// The customer (for [`Scheme::Domain`], the account holder and its
    /// devices).
    Customer,
    /// All vendors together (the model sums vendor figures over vendors).
    Vendor,
    /// The broker.
    Broker,
}

impl Party {
    /// A lower-case name for tables.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Vendor => "vendor",
            Self::Broker => "broker",
        }
    }

    /// This party's figures in `costs`.
    #[must_use]
    pub const fn of(self, costs: &Costs) -> &PartyCost {
        match self {
            Self::Customer => &costs.customer,
            Self::Vendor => &costs.vendor,
            Self::Broker => &costs.broker,
        }
    }
}

/// What a row counts: one field of [`PartyCost`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Hash calls ([`PartyCost::hashes`]).
    Hashes,
    /// Signatures made ([`PartyCost::signatures_made`]).
    SignaturesMade,
    /// Signatures verified ([`PartyCost::signatures_verified`]).
    SignaturesVerified,
    /// MACs and AEAD operations ([`PartyCost::macs`]).
    Macs,
    /// Messages sent ([`PartyCost::messages_sent`]).
    MessagesSent,
    /// Bytes sent ([`PartyCost::bytes_sent`]).
    BytesSent,
    /// Round trips started ([`PartyCost::round_trips`]).
    RoundTrips,
    /// 32-byte words kept at the end ([`PartyCost::words_stored`]).
    WordsStored,
}

impl Metric {
    /// A lower-case name for tables.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hashes => "hashes",
            Self::SignaturesMade => "signatures made",
            Self::SignaturesVerified => "signatures verified",
            Self::Macs => "MACs",
            Self::MessagesSent => "messages sent",
            Self::BytesSent => "bytes sent",
            Self::RoundTrips => "round trips",
            Self::WordsStored => "words stored",
        }
    }

    /// This metric's value in `cost`.
    #[must_use]
    pub const fn of(self, cost: &PartyCost) -> u64 {
        match self {
            Self::Hashes => cost.hashes,
            Self::SignaturesMade => cost.signatures_made,
            Self::SignaturesVerified => cost.signatures_verified,
            Self::Macs => cost.macs,
            Self::MessagesSent => cost.messages_sent,
            Self::BytesSent => cost.bytes_sent,
            Self::RoundTrips => cost.round_trips,
            Self::WordsStored => cost.words_stored,
        }
    }
}

/// The document's figure for a row.
#[derive(Clone, Copy, Debug)]
pub enum Theirs {
    /// Their count as a formula of the workload (vendor figures summed over
    /// the vendors, like the model's).
    Exact(fn(&Workload) -> u64),
    /// Their claim that this scheme's figure stands in `order` to the
    /// `baseline` scheme's figure (same party, same metric, same workload):
    /// `Less` for "lower than the baseline", and so on.
    Relative {
        /// The scheme they compare with.
        baseline: Scheme,
        /// This scheme's figure against the baseline's.
        order: Ordering,
    },
    /// A claim with no number, in English.
    Qualitative(&'static str),
}

/// One comparison the source documents make, mapped onto the crate.
#[derive(Clone, Copy, Debug)]
pub struct RefRow {
    /// Short name of the document.
    pub source: &'static str,
    /// Line of the claim in `000_48b2c11c6b2ce736.txt` (1-based).
    pub line: u32,
    /// What the document says, in English (their words, translated).
    pub claim: &'static str,
    /// The crate's scheme the claim is about.
    pub scheme: Scheme,
    /// Whose cost.
    pub party: Party,
    /// Which cost.
    pub metric: Metric,
    /// Their figure.
    pub theirs: Theirs,
    /// Why the crate's figure differs from theirs, or what it is (written from
    /// the crate's docs: `docs/COSTS.md`, `docs/SYMMETRIC.md`, the rustdoc of
    /// the sessions and the broker).
    pub why: &'static str,
}

/// Whether the model agrees with a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// The model gives their figure (or their order against the baseline).
    Yes,
    /// It does not.
    No,
    /// The model returned an error for this scheme or the baseline.
    Unknown,
    /// Their claim has no number to compare.
    Qualitative,
}

impl Agreement {
    /// The table cell.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Unknown => "unknown",
            Self::Qualitative => "qualitative",
        }
    }
}

impl RefRow {
    /// The model's figure for this row's scheme, party and metric.
    ///
    /// # Errors
    ///
    /// The [`ModelError`] of [`model`].
    pub fn ours(&self, workload: &Workload) -> Result<u64, ModelError> {
        figure(self.scheme, self.party, self.metric, workload)
    }

    /// The model's figure for the baseline of a [`Theirs::Relative`] row
    /// (`None` for the other kinds).
    #[must_use]
    pub fn baseline(&self, workload: &Workload) -> Option<Result<u64, ModelError>> {
        match self.theirs {
            Theirs::Relative { baseline, .. } => {
                Some(figure(baseline, self.party, self.metric, workload))
            }
            Theirs::Exact(_) | Theirs::Qualitative(_) => None,
        }
    }

    /// Whether the model agrees with this row on `workload`.
    #[must_use]
    pub fn agreement(&self, workload: &Workload) -> Agreement {
        agree(
            &self.theirs,
            workload,
            &self.ours(workload),
            self.baseline(workload).as_ref(),
        )
    }
}

/// One figure of the model.
fn figure(
    scheme: Scheme,
    party: Party,
    metric: Metric,
    workload: &Workload,
) -> Result<u64, ModelError> {
    model(scheme, workload).map(|costs| metric.of(party.of(&costs)))
}

/// The verdict for their figure against ours (and the baseline's, for a
/// relative claim).
fn agree(
    theirs: &Theirs,
    workload: &Workload,
    ours: &Result<u64, ModelError>,
    baseline: Option<&Result<u64, ModelError>>,
) -> Agreement {
    match (theirs, ours) {
        (Theirs::Qualitative(_), _) => Agreement::Qualitative,
        (_, Err(_)) => Agreement::Unknown,
        (Theirs::Exact(f), Ok(v)) => {
            if f(workload) == *v {
                Agreement::Yes
            } else {
                Agreement::No
            }
        }
        (Theirs::Relative { order, .. }, Ok(v)) => match baseline {
            Some(Ok(b)) => {
                if v.cmp(b) == *order {
                    Agreement::Yes
                } else {
                    Agreement::No
                }
            }
            Some(Err(_)) | None => Agreement::Unknown,
        },
    }
}

// Their formulas. Counts are u64 and saturate (a workload's fields are u32).

/// `k`: one per vendor.
fn per_vendor(w: &Workload) -> u64 {
    u64::from(w.vendors)
}

/// 1: one for all vendors.
fn one(_: &Workload) -> u64 {
    1
}

/// `k · payments`: one per payment to every vendor.
fn per_payment(w: &Workload) -> u64 {
    u64::from(w.vendors).saturating_mul(u64::from(w.payments))
}

/// `2 n k`: two chains of `n` per vendor (this one and the next).
fn two_chains_per_vendor(w: &Workload) -> u64 {
    2_u64
        .saturating_mul(u64::from(w.chain_len))
        .saturating_mul(u64::from(w.vendors))
}

/// Short names of the documents.
const MULTI: &str = "multi-vendor analysis";
const MOBILE: &str = "mobile protocol";
const NPAY: &str = "NPAY";
const MPTP: &str = "MPTP slides";
const DOMAIN: &str = "domainPay";
const GOODS: &str = "digital goods";
const ANTI_FRAUD: &str = "anti-fraud";
const STATUS: &str = "micropayment status";

/// Lower than the plain scheme.
const BELOW_PLAIN: Theirs = Theirs::Relative {
    baseline: Scheme::Plain,
    order: Ordering::Less,
};

/// R7; R8 is the same sentence about storage.
const MULTI_VALUED: RefRow = RefRow {
    source: MOBILE,
    line: 205,
    claim: "Multi-valued hash chains applied to transactions with different vendors lower the \
            computation overhead on the user side.",
    scheme: Scheme::Grants,
    party: Party::Customer,
    metric: Metric::Hashes,
    theirs: BELOW_PLAIN,
    why: "One shared chain (n + 1 hashes and one pebbling schedule) instead of one per vendor; \
          it must then be long enough for every vendor's units. Mapping uncertain: \
          'multi-valued' chains may rather be purses of denominations (Purse).",
};

/// Every row, in the order of the notes (R1 … R22).
static ROWS: [RefRow; 22] = [
    // R1
    RefRow {
        source: MULTI,
        line: 29,
        claim: "In PayWord the customer signs a payment commitment for every vendor within a \
                clearing period, so efficiency drops sharply with several vendors.",
        scheme: Scheme::Plain,
        party: Party::Customer,
        metric: Metric::SignaturesMade,
        theirs: Theirs::Exact(per_vendor),
        why: "Same count: a plain commitment names one vendor, so k commitments.",
    },
    // R2
    RefRow {
        source: MULTI,
        line: 31,
        claim: "Scheme [2] signs one commitment {w0, C_U, D, I_D} with no vendor identity: \
                one signature commits to all vendors.",
        scheme: Scheme::Grants,
        party: Party::Customer,
        metric: Metric::SignaturesMade,
        theirs: Theirs::Exact(one),
        why: "The crate's shared commitment is [2]'s vendor-less commitment, but the same \
              paper shows it lets the customer double-spend across vendors; the crate binds \
              each vendor with a signed range grant: 1 + k. One signature for all is Tree.",
    },
    // R3
    RefRow {
        source: MULTI,
        line: 31,
        claim: "Scheme [3] signs one commitment containing a separately committed component \
                per vendor.",
        scheme: Scheme::Tree,
        party: Party::Customer,
        metric: Metric::SignaturesMade,
        theirs: Theirs::Exact(one),
        why: "Same count (one signed Merkle root over per-vendor leaves); the crate also \
              charges each vendor 1 leaf + d node hashes for its path, which they do not \
              mention. The count 1 is implied by 'one commitment', not written.",
    },
    // R4
    RefRow {
        source: MOBILE,
        line: 198,
        claim: "The vendor accumulates paywords to a certain amount and then cashes them at \
                broker B, which lowers transaction costs.",
        scheme: Scheme::Plain,
        party: Party::Vendor,
        metric: Metric::RoundTrips,
        theirs: Theirs::Exact(per_vendor),
        why: "Same count: each vendor redeems once, at the end, with one claim (one round \
              trip); payments are one-way messages, not round trips.",
    },
    // R5
    RefRow {
        source: MOBILE,
        line: 200,
        claim: "In [4] the customer must ask broker B for pre-payment at every transaction \
                (the broker provides the payment root), so B becomes the bottleneck when \
                transactions are frequent.",
        scheme: Scheme::Reservation,
        party: Party::Broker,
        metric: Metric::MessagesSent,
        theirs: Theirs::Exact(per_payment),
        why: "Read as one broker answer per payment. The crate reserves once per commitment \
              (per vendor), asked by the vendor, so the broker sends its certificate and one \
              reservation per vendor (1 + k) and nothing per payment: the crate's answer to \
              their objection. Read per session, theirs would be k.",
    },
    // R6
    RefRow {
        source: MOBILE,
        line: 200,
        claim: "[4] uses symmetric encryption to improve running efficiency.",
        scheme: Scheme::Symmetric,
        party: Party::Vendor,
        metric: Metric::SignaturesVerified,
        theirs: BELOW_PLAIN,
        why: "Our operationalisation: the ticket replaces the vendor's 2 verifications per \
              session (certificate, commitment) by 5 MAC/AEAD operations. Per payment the \
              symmetric vendor does more (1 HMAC = 3 compressions besides the chain step), so \
              the gain is at session opening only.",
    },
    // R7
    MULTI_VALUED,
    // R8: the same sentence, about storage.
    RefRow {
        claim: "Multi-valued hash chains applied to transactions with different vendors lower \
                the storage overhead on the user side.",
        metric: Metric::WordsStored,
        why: "One pebbled chain keeps ceil(log2 n) words instead of k of them.",
        ..MULTI_VALUED
    },
    // R9
    RefRow {
        source: MOBILE,
        line: 205,
        claim: "The protocol uses symmetric encryption, lowering computation on the user side.",
        scheme: Scheme::Symmetric,
        party: Party::Customer,
        metric: Metric::SignaturesMade,
        theirs: BELOW_PLAIN,
        why: "No commitment signature (0 against k); the customer computes 8 MAC/AEAD \
              operations per ticket and 2 HMAC per payment instead, so it is lower in \
              public-key operations only.",
    },
    // R10
    RefRow {
        source: NPAY,
        line: 34,
        claim: "NPAY ('virtual payment') solves customer overspending, reduces the system's \
                communication overhead and keeps customers anonymous.",
        scheme: Scheme::Reservation,
        party: Party::Vendor,
        metric: Metric::MessagesSent,
        theirs: BELOW_PLAIN,
        why: "The crate's overspending control is online: each vendor sends one reservation \
              request more than in plain PayWord (and the broker one more answer). NPAY's \
              'virtual payment', which saves messages, is not in the sources (abstract only) \
              nor in the crate. Their claim is system-wide; the row compares the vendors.",
    },
    // R11
    RefRow {
        source: MPTP,
        line: 117,
        claim: "To cut the storage of money verification: with hash chains a series of \
                micropayment instructions is represented by one payment instruction.",
        scheme: Scheme::Plain,
        party: Party::Vendor,
        metric: Metric::WordsStored,
        theirs: Theirs::Exact(per_vendor),
        why: "Theirs counts the last payword only; the vendor also keeps the committed anchor \
              to verify the next payment: 2 words per vendor.",
    },
    // R12
    RefRow {
        source: MPTP,
        line: 117,
        claim: "Keep a short-term customer-vendor relationship so that successive payments \
                after opening an account cost the system little.",
        scheme: Scheme::Plain,
        party: Party::Vendor,
        metric: Metric::Hashes,
        theirs: Theirs::Qualitative("little per payment after setup"),
        why: "The vendor does one chain step per unit paid, no signature after the session \
              opens.",
    },
    // R13
    RefRow {
        source: MPTP,
        line: 128,
        claim: "Use less public-key technology and faster hash functions.",
        scheme: Scheme::Plain,
        party: Party::Vendor,
        metric: Metric::SignaturesVerified,
        theirs: Theirs::Qualitative("few public-key operations"),
        why: "2 verifications per vendor (certificate, commitment) when the session opens, \
              none per payment.",
    },
    // R14
    RefRow {
        source: MPTP,
        line: 128,
        claim: "Fewer online operations, hence less online computation time and storage at \
                the server.",
        scheme: Scheme::Plain,
        party: Party::Broker,
        metric: Metric::RoundTrips,
        theirs: Theirs::Qualitative("few online operations"),
        why: "The broker takes no part in payments and starts no round trip; it is contacted \
              once per vendor to redeem.",
    },
    // R15
    RefRow {
        source: MPTP,
        line: 128,
        claim: "Separate payment from clearing: many payments correspond to one clearing.",
        scheme: Scheme::Plain,
        party: Party::Vendor,
        metric: Metric::RoundTrips,
        theirs: Theirs::Exact(per_vendor),
        why: "One claim per vendor over the workload, as in R4.",
    },
    // R16
    RefRow {
        source: DOMAIN,
        line: 286,
        claim: "Micropayment protocols use only a few expensive public-key operations and many \
                cheap one-way hashes; domainPay, built on PayWord, adds payment limits and \
                multi-device account sharing.",
        scheme: Scheme::Domain,
        party: Party::Customer,
        metric: Metric::SignaturesMade,
        theirs: Theirs::Qualitative("few public-key operations"),
        why: "1 domain commitment for any number of devices, plus 1 device commitment per \
              vendor a device pays: 1 + k. Only the abstract is in the sources: no \
              per-device cost is stated.",
    },
    // R17
    RefRow {
        source: GOODS,
        line: 8,
        claim: "Setup: pick seed S, compute the chain with tail C = h^n(S), generate the first \
                OTS key pair, compute an integrity code, generate the next (renewal) chain, \
                publish anchor and code.",
        scheme: Scheme::Renewal,
        party: Party::Customer,
        metric: Metric::Hashes,
        theirs: Theirs::Exact(two_chains_per_vendor),
        why: "Theirs: 2n per chain (this chain and the next), OTS key and code uncounted, one \
              chain per vendor. The crate derives the next chain only when the current one \
              runs out (never here), so it counts n + 1 and the pebbling schedule per chain, \
              plus 1 for the one-time key's seed; the LM-OTS key itself is RFC 8554 hashing, \
              not a counted hash call. 'h^n(S)' is restored: the formula is lost in the text.",
    },
    // R18
    RefRow {
        source: GOODS,
        line: 8,
        claim: "One one-time-signature key pair per chain, and the next chain generated and \
                linked (renewal without a new public-key signature).",
        scheme: Scheme::Renewal,
        party: Party::Customer,
        metric: Metric::SignaturesMade,
        theirs: Theirs::Qualitative("one OTS per renewal, no new public-key signature"),
        why: "k Ed25519 commitments, then one LM-OTS link per renewal, none in a workload that \
              spends less than a chain per vendor.",
    },
    // R19
    RefRow {
        source: GOODS,
        line: 5,
        claim: "(garbled English abstract) In the payment phase the storage and communication \
                load of this scheme is 20 B larger than that of PayWord.",
        scheme: Scheme::Renewal,
        party: Party::Customer,
        metric: Metric::BytesSent,
        theirs: Theirs::Relative {
            baseline: Scheme::Plain,
            order: Ordering::Greater,
        },
        why: "More in the crate too, for another reason: each commitment carries a 56-byte \
              LM-OTS key; payments stay 71 B until a renewal (a link is 2,328 B). Their 20 B \
              is per payment or per session, unknown, so it is not a formula.",
    },
    // R20
    RefRow {
        source: GOODS,
        line: 5,
        claim: "(garbled English abstract) The computation efficiency of the former is 1.5 \
                times that of the latter (which scheme is which is lost).",
        scheme: Scheme::Renewal,
        party: Party::Vendor,
        metric: Metric::Hashes,
        theirs: Theirs::Qualitative("1.5x computation efficiency, direction lost"),
        why: "The vendor's payment hashes equal plain PayWord's (one per unit); a renewal adds \
              one LM-OTS verification (a signature verification in the model, at most 1,007 \
              SHA-256 compressions): no 1.5 factor either way.",
    },
    // R21
    RefRow {
        source: ANTI_FRAUD,
        line: 161,
        claim: "Compared with other schemes, the protocol's computational complexity and \
                running efficiency are analysed in detail; 'the analysis shows that the new' \
                (the text stops there).",
        scheme: Scheme::Symmetric,
        party: Party::Vendor,
        metric: Metric::Macs,
        theirs: Theirs::Qualitative("comparison announced, result lost"),
        why: "Unusable: schemes, figures and conclusion are cut off. The crate's vendor: 5 \
              MAC/AEAD operations per session, 1 HMAC per payment, no signature.",
    },
    // R22
    RefRow {
        source: STATUS,
        line: 27,
        claim: "Micropayments rarely or never use public-key encryption, generally symmetric \
                encryption and hashing, dropping cumbersome verification steps.",
        scheme: Scheme::Symmetric,
        party: Party::Vendor,
        metric: Metric::SignaturesVerified,
        theirs: Theirs::Qualitative("no public-key operations"),
        why: "Symmetric sessions: no signature verification at the vendor (plain PayWord \
              still verifies 2 per session).",
    },
];

/// Every comparison the source documents make, mapped onto the crate.
#[must_use]
pub fn rows() -> &'static [RefRow] {
    &ROWS
}

/// A table cell: no `|`, no line break.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The "theirs" cell of a row.
fn theirs_cell(row: &RefRow, workload: &Workload) -> String {
    match row.theirs {
        Theirs::Exact(f) => f(workload).to_string(),
        Theirs::Relative { baseline, order } => {
            let sign = match order {
                Ordering::Less => "<",
                Ordering::Equal => "=",
                Ordering::Greater => ">",
            };
            format!("{sign} {baseline}")
        }
        Theirs::Qualitative(text) => text.to_owned(),
    }
}

/// A model figure, or its error.
fn figure_cell(figure: &Result<u64, ModelError>) -> String {
    match figure {
        Ok(v) => v.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

/// The "ours" cell of a row: our figure, and the baseline's for a relative
/// claim.
fn ours_cell(row: &RefRow, workload: &Workload) -> String {
    let ours = figure_cell(&row.ours(workload));
    match (row.theirs, row.baseline(workload)) {
        (Theirs::Relative { baseline, .. }, Some(b)) => {
            format!("{ours} ({baseline}: {})", figure_cell(&b))
        }
        _ => ours,
    }
}

/// Renders the comparison on `workload` (what [`markdown`] does on
/// [`STANDARD`]).
#[must_use]
pub fn markdown_for(workload: &Workload) -> String {
    let mut out: Vec<String> = Vec::with_capacity(rows().len() + 4);
    out.push(format!(
        "The source documents' cost claims against `payword::cost::model` on k = {} vendors, \
         n = {}, {} payments of {} unit(s) per vendor, m = {} device(s). \"Theirs\" is the \
         document's formula on that workload, its claim relative to another scheme \
         (`< plain`: lower than plain PayWord), or its words when it gives no number; \
         \"ours\" is the model's figure for the same party and metric (vendor figures \
         summed over the vendors). Lines are those of `000_48b2c11c6b2ce736.txt`. The \
         papers' comparison tables did not survive the PDF extraction: these are the \
         sentences that compare.\n\n",
        workload.vendors, workload.chain_len, workload.payments, workload.units, workload.devices,
    ));
    out.push(
        "| # | source | line | their claim | scheme | party | metric | theirs | ours | agree? | why they differ |\n"
            .to_owned(),
    );
    out.push("|---|---|---:|---|---|---|---|---:|---:|---|---|\n".to_owned());
    let (mut yes, mut no, mut unknown, mut qualitative) = (0_usize, 0_usize, 0_usize, 0_usize);
    for (i, row) in rows().iter().enumerate() {
        let agreement = row.agreement(workload);
        match agreement {
            Agreement::Yes => yes += 1,
            Agreement::No => no += 1,
            Agreement::Unknown => unknown += 1,
            Agreement::Qualitative => qualitative += 1,
        }
        out.push(format!(
            "| R{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            i + 1,
            cell(row.source),
            row.line,
            cell(row.claim),
            row.scheme,
            row.party.name(),
            row.metric.name(),
            cell(&theirs_cell(row, workload)),
            cell(&ours_cell(row, workload)),
            agreement.name(),
            cell(row.why),
        ));
    }
    out.push(format!(
        "\n{} rows: {yes} agree, {no} differ, {unknown} unknown (the model returned an \
         error), {qualitative} qualitative.\n",
        rows().len(),
    ));
    out.concat()
}

/// The comparison section on the [`STANDARD`] workload, as markdown (an
/// introduction, one table row per [`RefRow`], a count of agreements). A
/// model error is printed in the row; it never fails.
#[must_use]
pub fn markdown() -> String {
    markdown_for(&STANDARD)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAST_LINE: u32 = 458;

    #[test]
    fn rows_are_complete_and_in_range() {
        assert_eq!(rows().len(), 22);
        for row in rows() {
            assert!((1..=LAST_LINE).contains(&row.line), "{row:?}");
            assert!(!row.source.is_empty() && !row.claim.is_empty() && !row.why.is_empty());
            // Continuation lines in the string literals must not leave runs of
            // spaces or line breaks in the table.
            for text in [row.claim, row.why] {
                assert!(!text.contains('\n') && !text.contains("  "), "{text}");
            }
            if let Theirs::Relative { baseline, .. } = row.theirs {
                assert_ne!(baseline, row.scheme, "{row:?}");
            }
            if let Theirs::Qualitative(text) = row.theirs {
                assert!(!text.is_empty());
            }
        }
    }

    #[test]
    fn exact_formulas_on_the_standard_workload() {
        let values: Vec<u64> = rows()
            .iter()
            .filter_map(|row| match row.theirs {
                Theirs::Exact(f) => Some(f(&STANDARD)),
                _ => None,
            })
            .collect();
        assert_eq!(values.len(), 8);
        assert!(values.iter().all(|&v| v > 0));
        // R1: one commitment per vendor; R5: one broker answer per payment;
        // R17: two chains of n per vendor.
        let theirs = |i: usize| match rows()[i].theirs {
            Theirs::Exact(f) => f(&STANDARD),
            _ => u64::MAX,
        };
        assert_eq!(theirs(0), 3);
        assert_eq!(theirs(1), 1);
        assert_eq!(theirs(4), 3_000);
        assert_eq!(theirs(16), 60_000);
    }

    #[test]
    fn formulas_saturate_instead_of_overflowing() {
        let huge = Workload {
            vendors: u32::MAX,
            chain_len: u32::MAX,
            payments: u32::MAX,
            units: u32::MAX,
            devices: u32::MAX,
        };
        assert_eq!(two_chains_per_vendor(&huge), u64::MAX);
        assert_eq!(
            per_payment(&huge),
            u64::from(u32::MAX) * u64::from(u32::MAX)
        );
    }

    #[test]
    fn verdicts() {
        let w = STANDARD;
        let exact = Theirs::Exact(per_vendor);
        assert_eq!(agree(&exact, &w, &Ok(3), None), Agreement::Yes);
        assert_eq!(agree(&exact, &w, &Ok(6), None), Agreement::No);
        assert_eq!(
            agree(&exact, &w, &Err(ModelError::Overflow), None),
            Agreement::Unknown
        );

        let less = BELOW_PLAIN;
        assert_eq!(agree(&less, &w, &Ok(1), Some(&Ok(2))), Agreement::Yes);
        assert_eq!(agree(&less, &w, &Ok(2), Some(&Ok(2))), Agreement::No);
        assert_eq!(agree(&less, &w, &Ok(3), Some(&Ok(2))), Agreement::No);
        assert_eq!(
            agree(&less, &w, &Ok(1), Some(&Err(ModelError::Empty))),
            Agreement::Unknown
        );
        assert_eq!(agree(&less, &w, &Ok(1), None), Agreement::Unknown);

        let words = Theirs::Qualitative("few");
        assert_eq!(agree(&words, &w, &Ok(1), None), Agreement::Qualitative);
        assert_eq!(
            agree(&words, &w, &Err(ModelError::Empty), None),
            Agreement::Qualitative
        );
    }

    #[test]
    fn row_agreement_matches_the_model() {
        // Whatever the model returns now (it may still be an error), a row's
        // verdict is the one `agree` gives on the model's own figures.
        for row in rows() {
            let expected = agree(
                &row.theirs,
                &STANDARD,
                &row.ours(&STANDARD),
                row.baseline(&STANDARD).as_ref(),
            );
            assert_eq!(row.agreement(&STANDARD), expected);
            match (row.theirs, row.baseline(&STANDARD)) {
                (Theirs::Relative { .. }, Some(_))
                | (Theirs::Exact(_) | Theirs::Qualitative(_), None) => {}
                _ => panic!("baseline only for relative rows: {row:?}"),
            }
        }
    }

    #[test]
    fn verdicts_are_the_ones_the_notes_explain() {
        // The "why" notes are written for these verdicts; a model change that
        // flips one must come with a new note. Rows the model cannot evaluate
        // (an error) are skipped.
        use Agreement::{No, Qualitative as Q, Yes};
        let expected = [
            Yes, No, Yes, Yes, No, Yes, Yes, Yes, Yes, No, No, Q, Q, Q, Yes, Q, No, Q, Yes, Q, Q, Q,
        ];
        assert_eq!(expected.len(), rows().len());
        for (i, (row, want)) in rows().iter().zip(expected).enumerate() {
            let got = row.agreement(&STANDARD);
            if got != Agreement::Unknown {
                assert_eq!(got, want, "R{}: {row:?}", i + 1);
            }
        }
    }

    #[test]
    fn markdown_has_one_table_row_per_reference_row() {
        let md = markdown();
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with("| R")).collect();
        assert_eq!(table.len(), rows().len());
        for (i, (row, line)) in rows().iter().zip(&table).enumerate() {
            assert!(
                line.starts_with(&format!("| R{} | {} | {} | ", i + 1, row.source, row.line)),
                "{line}"
            );
            // 11 columns: 12 unescaped bars.
            assert_eq!(line.replace("\\|", "").matches('|').count(), 12, "{line}");
            assert!(line.contains(row.scheme.name()) && line.contains(row.metric.name()));
        }
        let counted = md.contains(&format!("\n{} rows: ", rows().len()));
        assert!(counted, "{md}");
    }

    #[test]
    fn markdown_shows_their_formula_and_model_errors() {
        let md = markdown();
        // R5's formula on the standard workload.
        assert!(md.contains("| 3000 |"), "{md}");
        // Relative claims name their baseline; model errors are printed, not
        // hidden.
        assert!(md.contains("< plain"));
        for row in rows() {
            if let Err(e) = row.ours(&STANDARD) {
                assert!(md.contains(&format!("error: {e}")));
            }
        }
    }

    #[test]
    fn cells_escape_bars_and_line_breaks() {
        assert_eq!(cell("a|b\nc\r"), "a\\|b c ");
    }
}
