//! HMAC-SHA256 (RFC 2104) for signing webhook bodies, from the `hmac` crate.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail; the fallback keeps the
    // signature deterministic (and wrong) rather than panicking if that ever changed.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The `X-Warmline-Signature` value for `body`: `sha256=<lowercase hex>`.
pub fn signature_header(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_mac(key: &[u8], msg: &[u8]) -> String {
        hex::encode(hmac_sha256(key, msg))
    }

    #[test]
    fn rfc4231_test_vectors() {
        // Test case 1
        assert_eq!(
            hex_mac(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2: key shorter than the output
        assert_eq!(
            hex_mac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 3: 50 bytes of 0xdd under a 20-byte 0xaa key
        assert_eq!(
            hex_mac(&[0xaa; 20], &[0xdd; 50]),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        );
        // Test case 6: key larger than the block size is hashed first
        assert_eq!(
            hex_mac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn header_format() {
        let h = signature_header(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            h,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
