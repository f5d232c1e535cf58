//! Share links: the scenario text deflated and base64url-encoded into the URL's query, with
//! the seed; and the query parser for `?scenario=NAME&seed=N&autorun=1`.

use cellsim_core::collections::OrdMap;

/// The largest scenario a link may expand to (a guard against hostile links).
pub const MAX_TEXT: usize = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("the link's scenario is not valid base64url")]
    Base64,
    #[error("the link's scenario does not inflate (damaged or too large)")]
    Inflate,
    #[error("the link's scenario is not UTF-8")]
    Utf8,
}

/// `text` deflated (`crate::deflate`, raw DEFLATE) and base64url-encoded without padding.
pub fn encode_text(text: &str) -> String {
    let z = crate::deflate::deflate(text.as_bytes());
    crate::base64url::encode(&z)
}

pub fn decode_text(s: &str) -> Result<String, ShareError> {
    let z = crate::base64url::decode(s.trim_end_matches('=')).ok_or(ShareError::Base64)?;
    let raw = cellsim_scenarios::inflate::inflate(&z, MAX_TEXT).map_err(|_| ShareError::Inflate)?;
    String::from_utf8(raw).map_err(|_| ShareError::Utf8)
}

/// What a page URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `scenario=NAME`: a built-in scenario.
    pub scenario: Option<String>,
    /// `s=...`: a shared scenario text (`encode_text`).
    pub text: Option<String>,
    /// `name=...`: the shared text's file name (where its relative `file:`s resolve).
    pub name: Option<String>,
    pub seed: Option<u64>,
    pub autorun: bool,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse a `location.search` string (with or without the leading `?`).
pub fn parse_query(search: &str) -> Query {
    // A repeated parameter: the last one wins (inserted in order).
    let params: OrdMap<String, String> = OrdMap::from_iter(
        search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
            }),
    );
    Query {
        scenario: params.get("scenario").filter(|s| !s.is_empty()).cloned(),
        text: params.get("s").filter(|s| !s.is_empty()).cloned(),
        name: params.get("name").filter(|s| !s.is_empty()).cloned(),
        seed: params.get("seed").and_then(|s| s.parse().ok()),
        autorun: params
            .get("autorun")
            .is_some_and(|v| v == "1" || v == "true"),
    }
}

/// The query of a share link for a scenario text and seed.
pub fn share_query(name: &str, text: &str, seed: u64) -> String {
    format!(
        "?name={}&seed={seed}&s={}",
        name.replace(['&', '=', '?', '#', ' '], "_"),
        encode_text(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_through_a_link_and_compress() {
        for (path, text) in cellsim_scenarios::files() {
            let enc = encode_text(text);
            assert!(enc
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            assert_eq!(decode_text(&enc).unwrap(), *text, "{path}");
            if text.len() > 2000 {
                assert!(
                    enc.len() < text.len(),
                    "{path}: {} >= {}",
                    enc.len(),
                    text.len()
                );
            }
        }
        assert_eq!(decode_text("!!"), Err(ShareError::Base64));
        assert_eq!(decode_text("AAAA"), Err(ShareError::Inflate));
        // Impossible lengths and non-canonical last characters, as the base64 crate refused.
        assert_eq!(decode_text("AAAAA"), Err(ShareError::Base64));
        assert_eq!(decode_text("Zh"), Err(ShareError::Base64));
        // Padding left on a link is dropped, as before.
        assert_eq!(decode_text(&(encode_text("x") + "==")).as_deref(), Ok("x"));
    }

    #[test]
    fn links_made_by_miniz_level_9_still_decode() {
        // Links shared before `crate::deflate` replaced miniz_oxide's compressor.
        for (path, text) in cellsim_scenarios::files() {
            let z = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
            let link = crate::base64url::encode(&z);
            assert_eq!(decode_text(&link).unwrap(), *text, "{path}");
        }
        assert_eq!(decode_text("AAAA"), Err(ShareError::Inflate));
    }

    #[test]
    fn queries_parse() {
        let q = parse_query("?scenario=node-failure&seed=42&autorun=1");
        assert_eq!(q.scenario.as_deref(), Some("node-failure"));
        assert_eq!((q.seed, q.autorun, q.text), (Some(42), true, None));
        let q = parse_query("seed=x&autorun=0&name=a%20b.yaml&s=abc");
        assert_eq!((q.seed, q.autorun), (None, false));
        assert_eq!(q.name.as_deref(), Some("a b.yaml"));
        assert_eq!(q.text.as_deref(), Some("abc"));
        assert_eq!(parse_query(""), Query::default());
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        let link = share_query("scenarios/q.yaml", "kind: Scenario\n", 9);
        let q = parse_query(&link);
        assert_eq!(q.seed, Some(9));
        assert_eq!(
            decode_text(q.text.as_deref().unwrap()).unwrap(),
            "kind: Scenario\n"
        );
        assert_eq!(q.name.as_deref(), Some("scenarios/q.yaml"));
    }
}
