//! [`LogSessions`]: session persistence that appends.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use payword::Digest;
use payword::sessions::SessionPersistence;
use sha2::Digest as _;

const DOMAIN: &[u8] = b"payword session log v1\0";
/// Bytes before a record's contents: length and checksum.
const HEAD: usize = 4 + 32;
/// The largest record (as the core's `FileSessions` reads back).
const MAX_RECORD: usize = 1 << 20;
/// The default size past which a log is rewritten as one record.
const DEFAULT_COMPACT_AT: u64 = 256 * 1024;

fn checksum(len: [u8; 4], bytes: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(DOMAIN);
    h.update(len);
    h.update(bytes);
    h.finalize().into()
}

/// A record's bytes as written.
fn record(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    if bytes.len() > MAX_RECORD {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "session record over 1 MiB",
        ));
    }
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes();
    let mut out = Vec::with_capacity(HEAD + bytes.len());
    out.extend_from_slice(&len);
    out.extend_from_slice(&checksum(len, bytes));
    out.extend_from_slice(bytes);
    Ok(out)
}

/// The last valid record of a log, and whether the log is exactly that
/// record (nothing before it, nothing torn after it).
fn last_record(log: &[u8]) -> (Option<&[u8]>, bool) {
    let mut at = 0;
    let mut last = None;
    let mut records = 0usize;
    while let Some(head) = log.get(at..at + HEAD) {
        let len = [head[0], head[1], head[2], head[3]];
        let n = u32::from_be_bytes(len) as usize;
        if n > MAX_RECORD {
            break;
        }
        let Some(bytes) = log.get(at + HEAD..at + HEAD + n) else {
            break;
        };
        if checksum(len, bytes)[..] != head[4..] {
            break;
        }
        last = Some(bytes);
        records += 1;
        at += HEAD + n;
    }
    (last, records <= 1 && at == log.len())
}

/// Session persistence in append-only logs, one per session, for vendors
/// on file systems where creating and renaming a file per payment is slow.
///
/// The core's [`FileSessions`](payword::sessions::FileSessions) replaces a
/// session's file at every save (write beside, rename over): simple, but a
/// create, a rename and the release of the old inode per payment. On an
/// ext4 volume mounted with `discard` that measured about 380 µs per save,
/// against about 2 µs to append the same bytes to an open-and-close file
/// (see the load script, `benches/paid_vs_unpaid.rs`). `LogSessions` keeps
/// one append-only file per session instead:
///
/// - **save**: one record appended with one `write` call: `len` (u32 BE) ‖
///   SHA-256(`"payword session log v1\0"` ‖ `len` ‖ bytes) ‖ bytes; with
///   [`durable`](LogSessions::durable), `fdatasync` before it returns. When
///   the file would pass the compaction size (256 KiB by default), the
///   record is written alone to a new file renamed over the log instead.
/// - **the last valid record wins**: a crash during an append leaves a torn
///   record after the last complete one, whose checksum fails; it is
///   ignored, so the session is the old record or the new one, as
///   [`SessionPersistence::save`] requires.
/// - **repair at open**: [`LogSessions::new`] rewrites every log whose tail
///   is torn (or that holds more than one record) as its last valid record
///   alone, so that later appends start on a record boundary.
///
/// # Examples
///
/// ```
/// use payword::Digest;
/// use payword::sessions::SessionPersistence;
/// use payword_http::LogSessions;
///
/// let dir = std::env::temp_dir().join(format!("log-sessions-doc-{}", std::process::id()));
/// let mut logs = LogSessions::new(&dir)?;
/// let key = Digest::from_bytes([1; 32]);
/// logs.save(&key, b"first")?;
/// logs.save(&key, b"second")?;
/// assert_eq!(logs.load_all()?, vec![b"second".to_vec()]);
/// logs.remove(&key)?;
/// assert!(logs.load_all()?.is_empty());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LogSessions {
    dir: PathBuf,
    sync: bool,
    compact_at: u64,
    /// Known sizes of the logs this value writes.
    sizes: HashMap<Digest, u64>,
}

impl LogSessions {
    /// Logs in `dir` (created if absent), every torn or grown log repaired
    /// first (rewritten as its last valid record).
    ///
    /// # Errors
    ///
    /// The directory cannot be created or read, or a log cannot be
    /// repaired.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn new(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.as_ref())?;
        let mut logs = Self {
            dir: dir.as_ref().to_path_buf(),
            sync: false,
            compact_at: DEFAULT_COMPACT_AT,
            sizes: HashMap::new(),
        };
        logs.each(|logs, path, log| {
            match last_record(log) {
                (_, true) => Ok(()),
                (Some(last), false) => logs.replace(path, &record(last)?),
                // Nothing valid: the session was never saved whole.
                (None, false) => std::fs::remove_file(path),
            }
        })?;
        Ok(logs)
    }

    /// Syncs every save to disk (`fdatasync`) before it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("log-sessions-durable-{}", std::process::id()));
    /// let logs = payword_http::LogSessions::new(&dir)?.durable();
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub const fn durable(mut self) -> Self {
        self.sync = true;
        self
    }

    /// Rewrites a log as one record once it would pass `bytes` (at least
    /// one record always fits).
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("log-sessions-compact-{}", std::process::id()));
    /// let logs = payword_http::LogSessions::new(&dir)?.compact_at(1 << 20);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub const fn compact_at(mut self, bytes: u64) -> Self {
        self.compact_at = bytes;
        self
    }

    fn path(&self, key: &Digest) -> PathBuf {
        self.dir.join(format!("{key}.log"))
    }

    /// Calls `f` with every log's path and bytes (at most the compaction
    /// size and one record are read).
    fn each(
        &mut self,
        mut f: impl FnMut(&mut Self, &Path, &[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let limit = self.compact_at.saturating_add((HEAD + MAX_RECORD) as u64);
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "log") {
                paths.push(path);
            }
        }
        for path in paths {
            let mut log = Vec::new();
            File::open(&path)?.take(limit).read_to_end(&mut log)?;
            f(self, &path, &log)?;
        }
        Ok(())
    }

    /// Writes `bytes` beside `path` and renames it over.
    fn replace(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        if self.sync {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)?;
        if self.sync {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }
}

impl SessionPersistence for LogSessions {
    type Error = std::io::Error;

    fn save(&mut self, key: &Digest, session: &[u8]) -> std::io::Result<()> {
        let record = record(session)?;
        let path = self.path(key);
        let size = match self.sizes.get(key) {
            Some(s) => *s,
            None => match std::fs::metadata(&path) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                Err(e) => return Err(e),
            },
        };
        let grown = size.saturating_add(record.len() as u64);
        if size == 0 || grown > self.compact_at {
            self.replace(&path, &record)?;
            self.sizes.insert(*key, record.len() as u64);
            return Ok(());
        }
        let mut f = OpenOptions::new().append(true).open(&path)?;
        // Forget the size first: a failed append may have written part of
        // the record (a torn tail the next open repairs).
        self.sizes.remove(key);
        f.write_all(&record)?;
        if self.sync {
            f.sync_data()?;
        }
        self.sizes.insert(*key, grown);
        Ok(())
    }

    fn remove(&mut self, key: &Digest) -> std::io::Result<()> {
        self.sizes.remove(key);
        match std::fs::remove_file(self.path(key)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn load_all(&mut self) -> std::io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        self.each(|_, _, log| {
            if let (Some(last), _) = last_record(log) {
                out.push(last.to_vec());
            }
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("log-sessions-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_crash_at_any_byte_of_an_append_leaves_the_old_or_the_new_record() {
        let d = dir("torn");
        let key = Digest::from_bytes([7; 32]);
        let mut logs = LogSessions::new(&d).unwrap();
        logs.save(&key, b"old session").unwrap();
        let path = logs.path(&key);
        let before = std::fs::read(&path).unwrap();
        logs.save(&key, b"the new session").unwrap();
        let after = std::fs::read(&path).unwrap();
        assert!(after.len() > before.len());
        for cut in before.len()..=after.len() {
            std::fs::write(&path, &after[..cut]).unwrap();
            // Reopened (repaired), then appended to: the next save is
            // found.
            let mut logs = LogSessions::new(&d).unwrap();
            let want: &[u8] = if cut == after.len() {
                b"the new session"
            } else {
                b"old session"
            };
            assert_eq!(logs.load_all().unwrap(), vec![want.to_vec()], "cut {cut}");
            logs.save(&key, b"later").unwrap();
            assert_eq!(
                logs.load_all().unwrap(),
                vec![b"later".to_vec()],
                "cut {cut}"
            );
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn corrupt_records_are_never_returned() {
        let d = dir("corrupt");
        let key = Digest::from_bytes([8; 32]);
        let mut logs = LogSessions::new(&d).unwrap();
        logs.save(&key, b"one").unwrap();
        logs.save(&key, b"two").unwrap();
        let path = logs.path(&key);
        let good = std::fs::read(&path).unwrap();
        // A flipped bit in the second record: the first stands.
        for at in (HEAD + 3)..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            assert_eq!(
                LogSessions::new(&d).unwrap().load_all().unwrap(),
                vec![b"one".to_vec()]
            );
        }
        // A log with nothing valid is removed.
        std::fs::write(&path, b"garbage").unwrap();
        assert!(LogSessions::new(&d).unwrap().load_all().unwrap().is_empty());
        assert!(!path.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn logs_are_compacted_and_keys_kept_apart() {
        let d = dir("compact");
        let mut logs = LogSessions::new(&d).unwrap().compact_at(400);
        let (a, b) = (Digest::from_bytes([1; 32]), Digest::from_bytes([2; 32]));
        for i in 0..100u32 {
            logs.save(&a, &[i as u8; 50]).unwrap();
            logs.save(&b, format!("b{i}").as_bytes()).unwrap();
            assert!(std::fs::metadata(logs.path(&a)).unwrap().len() <= 400);
        }
        let mut all = logs.load_all().unwrap();
        all.sort();
        assert_eq!(all, vec![b"b99".to_vec(), vec![99u8; 50]]);
        logs.remove(&a).unwrap();
        logs.remove(&a).unwrap();
        assert_eq!(logs.load_all().unwrap(), vec![b"b99".to_vec()]);
        // A fresh value (sizes unknown) appends where the last one left.
        let mut again = LogSessions::new(&d).unwrap();
        again.save(&b, b"b100").unwrap();
        assert_eq!(again.load_all().unwrap(), vec![b"b100".to_vec()]);
        assert!(again.save(&b, &vec![0; MAX_RECORD + 1]).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
