//! Bearer secrets (manage tokens, dispatcher tokens): random, shown once, stored as a hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a high-entropy secret; a slow password hash adds nothing for 256 random bits.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two secrets are equal, in a time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A 32-byte pad that only the holder of `key` can compute (HMAC-SHA256 of `context`).
fn pad(key: &str, context: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(context.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Seals a secret made by `new_secret` so that only the holder of `key` (a client's
/// idempotency key, which the database keeps only as a hash) can open it again: XOR with a pad
/// drawn from the key, used for this one secret only.
pub fn seal(secret: &str, key: &str, context: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(secret).ok()?;
    let pad = pad(key, context);
    (bytes.len() == pad.len()).then(|| {
        let sealed: Vec<u8> = bytes.iter().zip(pad).map(|(b, p)| b ^ p).collect();
        URL_SAFE_NO_PAD.encode(sealed)
    })
}

/// Opens what `seal` sealed with the same key and context.
pub fn unseal(sealed: &str, key: &str, context: &str) -> Option<String> {
    // XOR with the same pad is its own inverse.
    seal(sealed, key, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b) && !same_secret("a", "ab"));
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let secret = new_secret();
        let sealed = seal(&secret, "key-1", "request-a").unwrap();
        assert_ne!(sealed, secret);
        assert_eq!(sealed.len(), secret.len());
        assert_eq!(unseal(&sealed, "key-1", "request-a").unwrap(), secret);
        assert_ne!(unseal(&sealed, "key-2", "request-a").unwrap(), secret);
        assert_ne!(unseal(&sealed, "key-1", "request-b").unwrap(), secret);
        assert_eq!(seal("not base64!", "key-1", "request-a"), None);
        assert_eq!(
            seal("c2hvcnQ", "key-1", "request-a"),
            None,
            "only 32-byte secrets"
        );
    }
}
