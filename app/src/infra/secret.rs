//! Secrets drawn from the operating system's random source (getrandom), never from a seeded
//! generator: API keys, the embedded database's password and the demo accounts' passwords
//! must not be predictable from one another or from the time they were made.

use argon2::password_hash::rand_core::{OsRng, RngCore};

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters from `A–Z a–z 0–9`, each uniform (bytes of 248 and above are drawn again,
/// so no character is likelier than another): 5.95 bits each, 40 characters ≈ 238 bits.
pub fn random_token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut bytes = [0u8; 64];
    while out.len() < len {
        OsRng.fill_bytes(&mut bytes);
        for b in bytes {
            // 248 = 4 × 62: the largest multiple of the alphabet's size that fits in a byte.
            if b < 248 && out.len() < len {
                out.push(ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::random_token;

    #[test]
    fn tokens_are_the_length_asked_for_and_never_repeat() {
        let a = random_token(40);
        let b = random_token(40);
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b, "two tokens drawn one after the other");
    }
}
