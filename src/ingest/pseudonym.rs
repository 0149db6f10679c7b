//! Keyed pseudonyms for identifiers: HMAC-SHA256 over a domain tag and the id,
//! so the same child gets the same key in every extract while the raw id
//! cannot be recovered without the key. The domain tag keeps a family id and
//! a child id that happen to be equal from colliding.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::PseudonymConfig;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(<key hidden>)")
    }
}

/// The kinds of identifier that are pseudonymised.
#[derive(Debug, Clone, Copy)]
pub enum Domain {
    Episode,
    Child,
    Family,
}

impl Domain {
    fn tag(self) -> &'static [u8] {
        match self {
            Domain::Episode => b"episode:",
            Domain::Child => b"child:",
            Domain::Family => b"family:",
        }
    }
}

impl Pseudonymiser {
    pub fn new(key: &[u8]) -> Result<Self> {
        if key.len() < 16 {
            return Err(Error::Input(
                "the pseudonym key is shorter than 16 bytes; use a long random value".into(),
            ));
        }
        let mac =
            Hmac::<Sha256>::new_from_slice(key).map_err(|e| Error::internal("pseudonym key", e))?;
        Ok(Self { mac })
    }

    /// Key from the configured environment variable, else from the file.
    pub fn from_config(config: &PseudonymConfig) -> Result<Self> {
        let from_env = std::env::var(&config.key_env)
            .ok()
            .filter(|k| !k.is_empty());
        match from_env.or_else(|| config.key.clone()) {
            Some(key) => Self::new(key.as_bytes()),
            None => Err(Error::Input(format!(
                "no pseudonym key: set the environment variable {} (or [pseudonym] key in the pipeline file); \
                 `make run` uses the documented demo key",
                config.key_env
            ))),
        }
    }

    /// 32 hex characters (128 bits of the HMAC).
    pub fn pseudonym(&self, domain: Domain, id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(domain.tag());
        mac.update(id.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_keyed_and_domain_separated() {
        let p = Pseudonymiser::new(b"0123456789abcdef-test").unwrap();
        let q = Pseudonymiser::new(b"another-key-0123456789").unwrap();
        let a = p.pseudonym(Domain::Child, "000123");
        assert_eq!(a, p.pseudonym(Domain::Child, "000123"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, p.pseudonym(Domain::Family, "000123"));
        assert_ne!(a, q.pseudonym(Domain::Child, "000123"));
        assert!(!a.contains("000123"));
    }

    #[test]
    fn short_key_refused() {
        assert!(Pseudonymiser::new(b"short").is_err());
    }
}
