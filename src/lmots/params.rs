//! LM-OTS parameter sets (RFC 8554, section 4.1, Table 1).

use super::*;

/// An LM-OTS parameter set (RFC 8554, section 4.1, Table 1).
///
/// All four use SHA-256 with `n = 32`; they differ in the Winternitz
/// parameter `w`, which trades signature size for hashing work.
///
/// # Examples
///
/// ```
/// use payword::lmots::LmotsParams;
///
/// let w4 = LmotsParams::from_typecode(3).unwrap();
/// assert_eq!(w4, LmotsParams::Sha256N32W4);
/// assert_eq!((w4.w(), w4.p(), w4.ls()), (4, 67, 4));
/// assert_eq!(w4.signature_len(), 2180);
/// assert_eq!(LmotsParams::from_typecode(5), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LmotsParams {
    /// `LMOTS_SHA256_N32_W1` (typecode 1): `w = 1`, `p = 265`.
    Sha256N32W1,
    /// `LMOTS_SHA256_N32_W2` (typecode 2): `w = 2`, `p = 133`.
    Sha256N32W2,
    /// `LMOTS_SHA256_N32_W4` (typecode 3): `w = 4`, `p = 67`.
    Sha256N32W4,
    /// `LMOTS_SHA256_N32_W8` (typecode 4): `w = 8`, `p = 34`.
    Sha256N32W8,
}

impl LmotsParams {
    /// The four parameter sets, in typecode order.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// let codes: Vec<u32> = LmotsParams::ALL.iter().map(|p| p.typecode()).collect();
    /// assert_eq!(codes, [1, 2, 3, 4]);
    /// ```
    pub const ALL: [Self; 4] = [
        Self::Sha256N32W1,
        Self::Sha256N32W2,
        Self::Sha256N32W4,
        Self::Sha256N32W8,
    ];

    /// The parameter set for an RFC 8554 typecode, or `None` for any other
    /// value.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::from_typecode(1), Some(LmotsParams::Sha256N32W1));
    /// assert_eq!(LmotsParams::from_typecode(0), None);
    /// ```
    #[must_use]
    pub const fn from_typecode(typecode: u32) -> Option<Self> {
        match typecode {
            1 => Some(Self::Sha256N32W1),
            2 => Some(Self::Sha256N32W2),
            3 => Some(Self::Sha256N32W4),
            4 => Some(Self::Sha256N32W8),
            _ => None,
        }
    }

    /// The RFC 8554 typecode (1 to 4).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W8.typecode(), 4);
    /// ```
    #[must_use]
    pub const fn typecode(self) -> u32 {
        match self {
            Self::Sha256N32W1 => 1,
            Self::Sha256N32W2 => 2,
            Self::Sha256N32W4 => 3,
            Self::Sha256N32W8 => 4,
        }
    }

    /// The RFC 8554 name, for example `"LMOTS_SHA256_N32_W4"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W2.name(), "LMOTS_SHA256_N32_W2");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256N32W1 => "LMOTS_SHA256_N32_W1",
            Self::Sha256N32W2 => "LMOTS_SHA256_N32_W2",
            Self::Sha256N32W4 => "LMOTS_SHA256_N32_W4",
            Self::Sha256N32W8 => "LMOTS_SHA256_N32_W8",
        }
    }

    /// The hash output length `n` in bytes: always 32.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W1.n(), 32);
    /// ```
    #[must_use]
    pub const fn n(self) -> usize {
        N
    }

    /// The Winternitz parameter `w`: bits per digit (1, 2, 4 or 8).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W8.w(), 8);
    /// ```
    #[must_use]
    pub const fn w(self) -> u8 {
        match self {
            Self::Sha256N32W1 => 1,
            Self::Sha256N32W2 => 2,
            Self::Sha256N32W4 => 4,
            Self::Sha256N32W8 => 8,
        }
    }

    /// The number of chains `p` (digits of the message hash and checksum):
    /// 265, 133, 67 or 34.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W1.p(), 265);
    /// ```
    #[must_use]
    pub const fn p(self) -> usize {
        match self {
            Self::Sha256N32W1 => 265,
            Self::Sha256N32W2 => 133,
            Self::Sha256N32W4 => 67,
            Self::Sha256N32W8 => 34,
        }
    }

    /// The left shift `ls` of the checksum (RFC 8554, Algorithm 2): 7, 6, 4
    /// or 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W2.ls(), 6);
    /// ```
    #[must_use]
    pub const fn ls(self) -> u32 {
        match self {
            Self::Sha256N32W1 => 7,
            Self::Sha256N32W2 => 6,
            Self::Sha256N32W4 => 4,
            Self::Sha256N32W8 => 0,
        }
    }

    /// The largest digit `2^w − 1`, which is also the length of every chain.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W4.max_digit(), 15);
    /// assert_eq!(LmotsParams::Sha256N32W8.max_digit(), 255);
    /// ```
    #[must_use]
    pub const fn max_digit(self) -> u8 {
        match self {
            Self::Sha256N32W1 => 1,
            Self::Sha256N32W2 => 3,
            Self::Sha256N32W4 => 15,
            Self::Sha256N32W8 => 255,
        }
    }

    /// The length of an encoded signature: `4 + n·(p + 1)` bytes (RFC 8554,
    /// section 4.5).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W8.signature_len(), 1124);
    /// ```
    #[must_use]
    pub const fn signature_len(self) -> usize {
        4 + N * (self.p() + 1)
    }

    /// The number of chain steps (one SHA-256 compression each) that
    /// computing a public key takes, and the most that a verification can
    /// take: `p·(2^w − 1)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W4.chain_steps(), 67 * 15);
    /// ```
    #[must_use]
    pub const fn chain_steps(self) -> usize {
        self.p() * self.max_digit() as usize
    }
}

impl fmt::Display for LmotsParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
