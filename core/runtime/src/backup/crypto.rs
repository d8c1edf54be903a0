//! Encryption at rest: AES-256-GCM in segments of 1 MiB per file (the STREAM construction:
//! a random prefix per file, a segment counter and a last-segment flag in the nonce, the
//! file's name as associated data), so a segment cut off, reordered, moved to another file
//! or changed fails to decrypt.

use super::error::{io, BackupError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"MYRMEXE1";
const SEGMENT: usize = 1 << 20;
const KEY_CHECK: &[u8] = b"myrmex backup key check";

/// Where the key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable holding 64 hex digits.
    Env(String),
    /// A file holding 32 raw bytes or 64 hex digits.
    File(std::path::PathBuf),
}

/// A 256-bit key. Never printed.
pub struct BackupKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupKey(***)")
    }
}

impl KeySource {
    fn origin(&self) -> String {
        match self {
            KeySource::Env(v) => format!("environment variable {v}"),
            KeySource::File(p) => format!("file {}", p.display()),
        }
    }

    /// Reads the key.
    pub fn load(&self) -> Result<BackupKey, BackupError> {
        let invalid = |reason: &str| BackupError::KeyInvalid {
            origin: self.origin(),
            reason: reason.to_string(),
        };
        let raw: Zeroizing<Vec<u8>> = match self {
            KeySource::Env(v) => Zeroizing::new(
                std::env::var(v)
                    .map_err(|_| invalid("it is not set"))?
                    .into_bytes(),
            ),
            KeySource::File(p) => Zeroizing::new(
                std::fs::read(p).map_err(|e| invalid(&format!("cannot read it ({})", e.kind())))?,
            ),
        };
        let mut key = Zeroizing::new([0u8; 32]);
        if raw.len() == 32 && matches!(self, KeySource::File(_)) {
            key.copy_from_slice(&raw);
            return Ok(BackupKey(key));
        }
        let text = std::str::from_utf8(&raw)
            .map_err(|_| invalid(SHAPE))?
            .trim();
        if text.len() != 64 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid(SHAPE));
        }
        for (i, b) in key.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| invalid(SHAPE))?;
        }
        Ok(BackupKey(key))
    }
}

const SHAPE: &str = "a key is 64 hex digits (256 bits), or a file of 32 raw bytes";

impl BackupKey {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0[..]))
    }

    /// A value the manifest keeps to tell a wrong key from a damaged file: the key check
    /// text encrypted under a random nonce, as hex `nonce:ciphertext`.
    pub fn check_value(&self) -> Result<String, BackupError> {
        let mut nonce = [0u8; 12];
        random(&mut nonce)?;
        let ct = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), KEY_CHECK)
            .map_err(|_| BackupError::Invalid("encryption failed".into()))?;
        Ok(format!(
            "{}:{}",
            crate::hex::encode(&nonce),
            crate::hex::encode(&ct)
        ))
    }

    /// True when this key made `check`.
    pub fn opens(&self, check: &str) -> bool {
        let Some((n, c)) = check.split_once(':') else {
            return false;
        };
        let (Some(n), Some(c)) = (crate::hex::decode(n), crate::hex::decode(c)) else {
            return false;
        };
        n.len() == 12
            && self
                .cipher()
                .decrypt(Nonce::from_slice(&n), c.as_slice())
                .is_ok_and(|p| p == KEY_CHECK)
    }
}

fn random(buf: &mut [u8]) -> Result<(), BackupError> {
    getrandom::fill(buf).map_err(|e| BackupError::Invalid(format!("no randomness: {e}")))
}

fn nonce(prefix: &[u8; 7], counter: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Encrypts `src` into `dst`; `name` (the file's name in the backup) is bound to it.
pub fn encrypt_file(
    key: &BackupKey,
    src: &Path,
    dst: &Path,
    name: &str,
) -> Result<(), BackupError> {
    let cipher = key.cipher();
    let mut input = BufReader::new(File::open(src).map_err(io(src))?);
    let mut out = BufWriter::new(File::create(dst).map_err(io(dst))?);
    let mut prefix = [0u8; 7];
    random(&mut prefix)?;
    out.write_all(MAGIC).map_err(io(dst))?;
    out.write_all(&prefix).map_err(io(dst))?;
    let mut cur = vec![0u8; SEGMENT];
    let mut next = vec![0u8; SEGMENT];
    let mut n = read_full(&mut input, &mut cur).map_err(io(src))?;
    let mut counter = 0u32;
    loop {
        let m = if n == SEGMENT {
            read_full(&mut input, &mut next).map_err(io(src))?
        } else {
            0
        };
        let last = m == 0;
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce(&prefix, counter, last)),
                Payload {
                    msg: &cur[..n],
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| BackupError::Invalid("encryption failed".into()))?;
        out.write_all(&(ct.len() as u32).to_le_bytes())
            .and_then(|_| out.write_all(&ct))
            .map_err(io(dst))?;
        if last {
            break;
        }
        std::mem::swap(&mut cur, &mut next);
        n = m;
        counter = counter
            .checked_add(1)
            .ok_or_else(|| BackupError::Invalid(format!("{name}: file too large to encrypt")))?;
    }
    let f = out.into_inner().map_err(|e| io(dst)(e.into_error()))?;
    f.sync_all().map_err(io(dst))
}

/// Decrypts `src` (the file `name` of backup `backup`) into `dst`.
pub fn decrypt_file(
    key: &BackupKey,
    src: &Path,
    dst: &Path,
    name: &str,
    backup: &Path,
) -> Result<(), BackupError> {
    let bad = || BackupError::Decrypt {
        path: backup.to_path_buf(),
        file: name.to_string(),
    };
    let cipher = key.cipher();
    let mut input = BufReader::new(File::open(src).map_err(io(src))?);
    let mut out = BufWriter::new(File::create(dst).map_err(io(dst))?);
    let mut head = [0u8; 15];
    if read_full(&mut input, &mut head).map_err(io(src))? != 15 || &head[..8] != MAGIC {
        return Err(bad());
    }
    let mut prefix = [0u8; 7];
    prefix.copy_from_slice(&head[8..]);
    let mut counter = 0u32;
    let mut buf = Vec::new();
    let mut len = [0u8; 4];
    if read_full(&mut input, &mut len).map_err(io(src))? != 4 {
        return Err(bad());
    }
    loop {
        let n = u32::from_le_bytes(len) as usize;
        if n > SEGMENT + 16 {
            return Err(bad());
        }
        buf.resize(n, 0);
        if read_full(&mut input, &mut buf).map_err(io(src))? != n {
            return Err(bad());
        }
        let more = read_full(&mut input, &mut len).map_err(io(src))?;
        let last = more == 0;
        if more != 0 && more != 4 {
            return Err(bad());
        }
        let pt = cipher
            .decrypt(
                Nonce::from_slice(&nonce(&prefix, counter, last)),
                Payload {
                    msg: &buf,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        out.write_all(&pt).map_err(io(dst))?;
        if last {
            break;
        }
        counter = counter.checked_add(1).ok_or_else(bad)?;
    }
    out.flush().map_err(io(dst))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> BackupKey {
        BackupKey(Zeroizing::new([b; 32]))
    }

    #[test]
    fn round_trip_and_tamper_and_wrong_key() {
        let dir = std::env::temp_dir().join(format!("myrmex-crypto-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (p, e, d) = (dir.join("p"), dir.join("e"), dir.join("d"));
        let data: Vec<u8> = (0..(SEGMENT * 2 + 5)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        encrypt_file(&key(1), &p, &e, "data/x").unwrap();
        decrypt_file(&key(1), &e, &d, "data/x", &dir).unwrap();
        assert_eq!(std::fs::read(&d).unwrap(), data);
        assert!(decrypt_file(&key(2), &e, &d, "data/x", &dir).is_err());
        assert!(decrypt_file(&key(1), &e, &d, "data/y", &dir).is_err());
        let mut bytes = std::fs::read(&e).unwrap();
        let cut = bytes.len() - (5 + 16 + 4);
        bytes.truncate(cut);
        std::fs::write(&e, &bytes).unwrap();
        assert!(decrypt_file(&key(1), &e, &d, "data/x", &dir).is_err());
        let check = key(1).check_value().unwrap();
        assert!(key(1).opens(&check) && !key(2).opens(&check));
        assert!(!format!("{:?}", key(1)).contains('1'));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
