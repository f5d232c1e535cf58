//! One line of the trace read back for the event log.
//!
//! The trace is JSON lines written by the core's `TraceWriter`: each line a flat object whose
//! values are all strings (`t`, `type`, `object`, optional `node`, `message`). The page keeps
//! the trace as that text (at 30,000 pods it holds a quarter of a million events) and parses
//! only the lines the event log shows. A reader for exactly this shape keeps serde_json's text
//! parser out of the wasm module (22 KB; docs/benchmarks.md, "Session 10"); its tests check it
//! against serde_json on escapes, Unicode and malformed lines.

/// The keys a trace line's fields are read from, in [`TraceLine::parse`]'s slot order.
const FIELDS: [&str; 5] = ["t", "type", "object", "node", "message"];

/// One parsed trace line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    pub t: String,
    pub kind: String,
    pub object: String,
    pub node: Option<String>,
    pub message: String,
}

impl TraceLine {
    /// The line's fields; `None` unless the line is one JSON object with string (or, for
    /// `node`, null) values and `t`, `type`, `object` and `message` present. Other keys are
    /// ignored and a field given twice is an error, as serde's derive reads them.
    pub fn parse(line: &str) -> Option<TraceLine> {
        let mut r = Reader {
            s: line.as_bytes(),
            at: 0,
        };
        // Each field's value as read: `Some(None)` is a null.
        let mut fields: [Option<Option<String>>; 5] = Default::default();
        r.expect(b'{')?;
        if !r.eat(b'}') {
            loop {
                let key = r.string()?;
                r.expect(b':')?;
                let value = r.value()?;
                if let Some(i) = FIELDS.iter().position(|f| *f == key) {
                    if fields[i].replace(value).is_some() {
                        return None;
                    }
                }
                if r.eat(b'}') {
                    break;
                }
                r.expect(b',')?;
            }
        }
        r.skip_ws();
        if r.at != r.s.len() {
            return None;
        }
        let [t, kind, object, node, message] = fields;
        Some(TraceLine {
            t: t??,
            kind: kind??,
            object: object??,
            node: node.flatten(),
            message: message??,
        })
    }
}

/// A cursor over the line's bytes.
struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.at < self.s.len() && matches!(self.s[self.at], b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
    }

    /// Skip whitespace, then take `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// A string value (`Some(text)`) or `null` (`None`); anything else is not a trace line.
    fn value(&mut self) -> Option<Option<String>> {
        self.skip_ws();
        if self.s[self.at..].starts_with(b"null") {
            self.at += 4;
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A JSON string (RFC 8259 §7): escapes decoded, `\u` surrogate pairs joined; raw control
    /// characters and lone surrogates are errors, as in serde_json.
    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.s.get(self.at)?;
            self.at += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.at)?;
                    self.at += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return None,
                _ => out.push(c),
            }
        }
    }

    /// After `\u`: four hex digits, and for a high surrogate the `\uXXXX` low one after it.
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        match hi {
            0xD800..=0xDBFF => {
                if !self.s[self.at..].starts_with(b"\\u") {
                    return None;
                }
                self.at += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return None;
                }
                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(hi),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.at..self.at + 4)?;
        self.at += 4;
        digits
            .iter()
            .try_fold(0u32, |v, &d| Some(v * 16 + char::from(d).to_digit(16)?))
    }
}

#[cfg(test)]
mod tests {
    use super::TraceLine;
    use serde::Deserialize;

    /// serde_json's reading of the same line: the oracle.
    #[derive(Deserialize)]
    struct Oracle {
        t: String,
        #[serde(rename = "type")]
        kind: String,
        object: String,
        #[serde(default)]
        node: Option<String>,
        message: String,
    }

    fn oracle(line: &str) -> Option<TraceLine> {
        serde_json::from_str::<Oracle>(line)
            .ok()
            .map(|o| TraceLine {
                t: o.t,
                kind: o.kind,
                object: o.object,
                node: o.node,
                message: o.message,
            })
    }

    #[test]
    fn reads_what_the_trace_writer_writes_for_any_text() {
        // Messages with every kind of character serde_json escapes or passes through.
        let texts = [
            "",
            "Created pod: web-7bc57dc496-ggzzv",
            "quote \" backslash \\ slash / tab \t newline \n cr \r",
            "control \u{1} \u{8} \u{c} \u{1f} del \u{7f}",
            "unicode é ü 中文 emoji 🚀 astral 𝄞",
            "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.",
        ];
        for (i, m) in texts.iter().enumerate() {
            for node in [None, Some("node-1"), Some(*m)] {
                let mut v = serde_json::json!({"t": format!("{i}s"), "type": "Warning", "object": format!("Pod/default/{m}")});
                if let Some(n) = node {
                    v["node"] = serde_json::json!(n);
                }
                v["message"] = serde_json::json!(m);
                let line = serde_json::to_string(&v).unwrap();
                let got = TraceLine::parse(&line);
                assert_eq!(got, oracle(&line), "{line}");
                assert!(got.is_some(), "{line}");
            }
        }
    }

    #[test]
    fn escapes_written_by_hand_agree_with_serde_json() {
        for line in [
            r#"{"t":"1s","type":"A","object":"o","message":"\u00e9\u4e2d\ud83d\ude80 \/ \b\f"}"#,
            r#" { "t" : "1s" , "type":"A", "object":"o", "node": null, "message":"m", "extra":"x" } "#,
        ] {
            let got = TraceLine::parse(line);
            assert!(got.is_some(), "{line}");
            assert_eq!(got, oracle(line), "{line}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_trace_line() {
        for line in [
            "",
            "{",
            "{}",
            r#"{"t":"1s","type":"A","object":"o"}"#,
            r#"{"t":"1s","type":"A","object":"o","message":"m"} trailing"#,
            r#"{"t":"1s","type":"A","object":"o","message":"m",}"#,
            r#"{"t":1,"type":"A","object":"o","message":"m"}"#,
            r#"{"t":"1s","type":"A","object":"o","message":"bad \q escape"}"#,
            r#"{"t":"1s","type":"A","object":"o","message":"lone \ud83d surrogate"}"#,
            r#"{"t":"1s","type":"A","object":"o","message":"lone \ude80 low"}"#,
            r#"{"t":"1s","type":"A","object":"o","message":"short \u12"}"#,
            "{\"t\":\"1s\",\"type\":\"A\",\"object\":\"o\",\"message\":\"raw \u{1} control\"}",
            r#"{"t":"1s","type":"A","object":"o","message":"unterminated}"#,
            r#"["t","1s"]"#,
            r#"{"t":"1s","type":"A","object":"o","message":"first","message":"last"}"#,
        ] {
            assert_eq!(TraceLine::parse(line), None, "{line}");
            assert_eq!(oracle(line), None, "serde_json too: {line}");
        }
    }
}
