//! Ed25519 keys for checkpoints: reading a signing key or a public key from a file,
//! signing and checking a checkpoint, and making a new key pair.
//!
//! A key file holds 32 bytes: raw, or as 64 hex characters (surrounding whitespace
//! allowed). For a signing key these are the seed (the secret key); for a public key, the
//! encoded point. A checkpoint's signature covers the entry's sequence number as 8 bytes,
//! big-endian, followed by the 32 bytes of its hash.

use super::entry::Checkpoint;
use crate::error::{Error, Result};
use crate::hex;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// The key a log signs its checkpoints with.
pub(crate) struct Signer {
    key: SigningKey,
    key_id: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads the signing key in `path`. On Unix the file must not be readable by group or
    /// others. Errors never quote the file's bytes.
    pub(crate) fn load(path: &Path) -> Result<Signer> {
        refuse_shared(path)?;
        let seed = read_key(path, "signing key")?;
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(&key.verifying_key());
        Ok(Signer { key, key_id })
    }

    /// The key's id (see [`Checkpoint::key_id`]).
    pub(crate) fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The hex signature for the checkpoint of entry `seq` with hash `hash` (hex), or `None`
    /// when `hash` is not a digest.
    pub(crate) fn sign(&self, seq: u64, hash: &str) -> Option<String> {
        let message = message(seq, hash)?;
        Some(hex::encode(&self.key.sign(&message).to_bytes()))
    }
}

/// The public key checkpoints are checked against.
#[derive(Debug)]
pub(crate) struct Checker {
    key: VerifyingKey,
    key_id: String,
}

impl Checker {
    /// Reads the public key in `path`.
    pub(crate) fn load(path: &Path) -> Result<Checker> {
        let bytes = read_key(path, "public key")?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| Error::AuditKey {
            path: path.to_path_buf(),
            reason: "not an Ed25519 public key (32 bytes that are no curve point)".into(),
        })?;
        Ok(Checker {
            key_id: key_id(&key),
            key,
        })
    }

    /// Checks a checkpoint's signature; the error says what is wrong.
    pub(crate) fn check(&self, c: &Checkpoint) -> std::result::Result<(), String> {
        let Some(sig) = &c.signature else {
            return Err(format!(
                "checkpoint for entry {} is not signed, but a public key was given",
                c.checkpoint
            ));
        };
        if let Some(id) = c.key_id.as_deref().filter(|id| *id != self.key_id) {
            return Err(format!(
                "checkpoint for entry {} is signed by key {id}, not by the given key {}",
                c.checkpoint, self.key_id
            ));
        }
        let signature = hex::decode(sig)
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b));
        let verified = match (signature, message(c.checkpoint, &c.hash)) {
            (Some(s), Some(m)) => self.key.verify(&m, &s).is_ok(),
            _ => false,
        };
        if verified {
            Ok(())
        } else {
            Err(format!(
                "the signature of the checkpoint for entry {} does not verify with key {}: \
                 the checkpoint was forged or changed",
                c.checkpoint, self.key_id
            ))
        }
    }
}

/// What a checkpoint's signature covers: `seq` big-endian, then the hash's 32 bytes.
fn message(seq: u64, hash: &str) -> Option<[u8; 40]> {
    let digest = hex::decode(hash).filter(|d| d.len() == 32)?;
    let mut m = [0u8; 40];
    m[..8].copy_from_slice(&seq.to_be_bytes());
    m[8..].copy_from_slice(&digest);
    Some(m)
}

/// The first 16 hex characters of the SHA-256 of the public key.
fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..8])
}

/// The 32 bytes of a key file: raw, or 64 hex characters.
fn read_key(path: &Path, what: &str) -> Result<Zeroizing<[u8; 32]>> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?);
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() == 32 {
        key.copy_from_slice(&bytes);
        return Ok(key);
    }
    let text = std::str::from_utf8(&bytes).ok().map(str::trim);
    let decoded = text
        .filter(|t| t.len() == 64)
        .and_then(hex::decode)
        .map(Zeroizing::new);
    match decoded {
        Some(d) => {
            key.copy_from_slice(&d);
            Ok(key)
        }
        None => Err(Error::AuditKey {
            path: path.to_path_buf(),
            reason: format!(
                "not an Ed25519 {what}: expected 32 raw bytes or 64 hex characters, the file \
                 holds {} bytes",
                bytes.len()
            ),
        }),
    }
}

/// Refuses a secret key file that group or others may read.
#[cfg(unix)]
fn refuse_shared(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::AuditKey {
            path: path.to_path_buf(),
            reason: format!(
                "the signing key may be read by others (mode {mode:o}); run `chmod 600` on it"
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_shared(_path: &Path) -> Result<()> {
    Ok(())
}

/// Makes a new Ed25519 key pair for signing checkpoints: the secret seed goes to
/// `secret_path` (created with mode 0600 on Unix) and the public key to `public_path`,
/// each as 64 hex characters and a newline. Neither file may exist already. Returns the
/// key id the checkpoints will carry.
pub fn generate_keypair(secret_path: &Path, public_path: &Path) -> Result<String> {
    for path in [secret_path, public_path] {
        if path.exists() {
            return Err(Error::AuditKey {
                path: path.to_path_buf(),
                reason: "exists already; a new key pair does not overwrite a key".into(),
            });
        }
    }
    if secret_path == public_path {
        return Err(Error::AuditKey {
            path: secret_path.to_path_buf(),
            reason: "the secret and the public key need two different files".into(),
        });
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).map_err(|e| Error::AuditKey {
        path: secret_path.to_path_buf(),
        reason: format!("the operating system gave no random bytes: {e}"),
    })?;
    let key = SigningKey::from_bytes(&seed);
    let secret_text = Zeroizing::new(format!("{}\n", hex::encode(&seed[..])));
    write_new(secret_path, secret_text.as_bytes(), 0o600)?;
    let public = key.verifying_key();
    if let Err(e) = write_new(
        public_path,
        format!("{}\n", hex::encode(public.as_bytes())).as_bytes(),
        0o644,
    ) {
        let _ = std::fs::remove_file(secret_path);
        return Err(e);
    }
    Ok(key_id(&public))
}

/// Creates `path` (which must not exist) with `mode` on Unix and writes `bytes`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::super::testing::Dir;
    use super::*;

    fn dir() -> Dir {
        Dir::new("sign")
    }

    #[test]
    fn a_generated_pair_signs_and_checks() {
        let d = dir();
        let (s, p) = (d.path().join("k"), d.path().join("k.pub"));
        let id = generate_keypair(&s, &p).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&s).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let signer = Signer::load(&s).unwrap();
        let checker = Checker::load(&p).unwrap();
        assert_eq!(
            (signer.key_id(), checker.key_id.as_str()),
            (id.as_str(), id.as_str())
        );
        let hash = "ab".repeat(32);
        let mut c = Checkpoint {
            checkpoint: 7,
            hash: hash.clone(),
            time: "t".into(),
            signature: signer.sign(7, &hash),
            key_id: Some(id.clone()),
        };
        assert_eq!(checker.check(&c), Ok(()));
        c.checkpoint = 8;
        assert!(checker.check(&c).unwrap_err().contains("does not verify"));
        // Neither file is overwritten.
        assert!(generate_keypair(&s, &d.path().join("other")).is_err());
    }

    #[test]
    fn raw_seed_files_are_read_too() {
        let d = dir();
        let path = d.path().join("raw");
        write_new(&path, &[7u8; 32], 0o600).unwrap();
        let signer = Signer::load(&path).unwrap();
        assert_eq!(signer.key_id().len(), 16);
        assert!(!format!("{signer:?}").contains("07"));
    }

    #[test]
    fn a_bad_key_file_is_an_error_that_does_not_show_the_key() {
        let d = dir();
        let path = d.path().join("bad");
        // 63 hex characters: one short.
        let secret = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec";
        write_new(&path, secret.as_bytes(), 0o600).unwrap();
        let err = Signer::load(&path).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::AuditKey { .. }), "{err:?}");
        assert!(
            text.contains("expected 32 raw bytes or 64 hex characters"),
            "{text}"
        );
        assert!(text.contains("63 bytes"), "{text}");
        assert!(!text.contains("5ec7e7"), "{text}");
        assert!(!format!("{err:?}").contains("5ec7e7"));
        let err = Checker::load(&path).unwrap_err();
        assert!(!err.to_string().contains("5ec7e7"));
    }

    #[cfg(unix)]
    #[test]
    fn a_signing_key_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir();
        let path = d.path().join("open");
        write_new(&path, &[1u8; 32], 0o644).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Signer::load(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
