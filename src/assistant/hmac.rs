//! HMAC-SHA256 (RFC 2104) on top of `sha2`, for signing webhook bodies. Written out here because
//! the crate has no `hmac` dependency; checked against the RFC 4231 test vectors.

use sha2::{Digest, Sha256};

/// SHA-256 processes 64-byte blocks; RFC 2104 pads the key to this size.
const BLOCK: usize = 64;

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // Keys longer than a block are hashed first; shorter ones are zero-padded.
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);

    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
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
