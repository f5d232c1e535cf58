//! base64url without padding (RFC 4648 §5, §3.2) for share links: a few lines in place of
//! the `base64` crate, whose engine was 2.2 KB of the gzipped module (docs/benchmarks.md,
//! "Small dependencies replaced"). Decoding is as strict as that crate's `URL_SAFE_NO_PAD`
//! was: only the URL-safe alphabet, no padding, no length of the form 4k+1, and the unused
//! low bits of the last character zero (RFC 4648 §3.5's canonical encoding).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        // The chunk's bytes as the top of 24 bits; n bytes need n + 1 characters.
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]));
        }
    }
    out
}

/// The bytes of `s`, or `None` if it is not a canonical unpadded base64url encoding.
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        // 2, 3 or 4 characters carry 1, 2 or 3 bytes; the bits below those must be zero.
        let bytes = chunk.len() - 1;
        if n & (0xFF_FFFF >> (8 * bytes)) != 0 {
            return None;
        }
        for k in 0..bytes {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    Some(out)
}

fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_test_vectors() {
        // §10, without the padding.
        let vectors = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, enc) in vectors {
            assert_eq!(encode(plain.as_bytes()), enc);
            assert_eq!(decode(enc).as_deref(), Some(plain.as_bytes()));
        }
        // The URL-safe alphabet's last two characters (§5), where §4's has `+` and `/`.
        assert_eq!(encode(&[0xFB, 0xFF, 0xBF]), "-_-_");
        assert_eq!(encode(&[0xFB, 0xFF]), "-_8");
        assert_eq!(decode("-_8").as_deref(), Some(&[0xFB, 0xFF][..]));
    }

    #[test]
    fn every_length_round_trips() {
        let mut x = 0x2545_F491_u32;
        let bytes: Vec<u8> = (0..300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        for n in 0..bytes.len() {
            let enc = encode(&bytes[..n]);
            assert_eq!(enc.len(), (4 * n).div_ceil(3));
            assert_eq!(decode(&enc).as_deref(), Some(&bytes[..n]), "{n} bytes");
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
    }

    #[test]
    fn bad_encodings_are_rejected() {
        for bad in [
            "Z",     // 4k+1 characters: no byte count encodes to that
            "Zm9vY", // the same after a whole group
            "Zh",    // low bits of the last character set (not canonical)
            "Zm9",   // the same with two bytes
            "Zm+v",  // the standard alphabet's `+` and `/`
            "Zm/v", "Zm9v!", "Zm8=", // padding
            "Zm 9", "Zm9vé",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
