//! The field-identifier seed of `#[derive(CompactDeserialize)]` (crate `cellsim-derive`).
//!
//! serde's derive compiles a field-identifier type and visitor per struct (a `match` on the
//! field names), once per struct and deserializer; the compact derive looks keys up in the
//! struct's `FIELDS` table through this one seed instead, compiled once per deserializer. The
//! results and messages are serde's: the field's index, or for an unknown key "unknown field
//! `x`, expected one of ..." under `deny_unknown_fields` and an ignored value otherwise.

use std::fmt;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, Error, Visitor};

/// What [`FieldSeed`] gives for a key that names no field (its value is then skipped).
pub const UNKNOWN: usize = usize::MAX;

/// Reads a map key as the index of the field it names in `fields`, or [`UNKNOWN`].
#[derive(Clone, Copy)]
pub struct FieldSeed {
    pub fields: &'static [&'static str],
    /// `#[serde(deny_unknown_fields)]`: an unknown key is an error instead of [`UNKNOWN`].
    pub deny: bool,
}

impl FieldSeed {
    /// Not generic: the lookup and the error are compiled once.
    #[inline(never)]
    fn index<E: Error>(self, key: &str) -> Result<usize, E> {
        match self.fields.iter().position(|f| *f == key) {
            Some(i) => Ok(i),
            None if self.deny => Err(E::unknown_field(key, self.fields)),
            None => Ok(UNKNOWN),
        }
    }
}

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<usize, E> {
        self.index(v)
    }

    /// As serde's derived identifiers: bytes are read as (lossy) UTF-8.
    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<usize, E> {
        self.index(&String::from_utf8_lossy(v))
    }
}

/// Reads a field's value into its place (dropping the value it replaces), so that the
/// assignment and the drop are compiled once per field type, in the deserializer's
/// `next_value_seed`, instead of once per field in each struct's `visit_map`.
pub struct Place<'a, T>(pub &'a mut T);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Place<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        *self.0 = T::deserialize(deserializer)?;
        Ok(())
    }
}

/// [`Place`] for a required field, kept as an `Option` until the end.
pub struct SomePlace<'a, T>(pub &'a mut Option<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for SomePlace<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        *self.0 = Some(T::deserialize(deserializer)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Each struct is declared twice, once with serde's derive and once with the compact one;
    //! both must read every input to the same value or the same located error, through the
    //! YAML deserializer and through `serde_json::Value` (the scheduler plugins' args).

    use cellsim_derive::CompactDeserialize;
    use serde::Deserialize;

    use crate::yaml::{decode_node, from_node, parse_documents, Decode, Mark};

    fn three() -> u32 {
        3
    }

    fn null_as_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        Ok(Option::<u32>::deserialize(d)?.unwrap_or_default())
    }

    macro_rules! twins {
        ($serde:ident, $compact:ident, #[$($cattr:tt)*] { $($body:tt)* }) => {
            #[derive(Debug, PartialEq, Deserialize)]
            #[$($cattr)*]
            struct $serde { $($body)* }
            #[derive(Debug, PartialEq, CompactDeserialize)]
            #[$($cattr)*]
            struct $compact { $($body)* }
        };
    }

    twins!(LooseS, LooseC, #[serde(rename_all = "camelCase", default)] {
        pod_name: String,
        #[serde(rename = "hostIP")]
        host_ip: String,
        replicas: Option<u32>,
        #[serde(default = "three")]
        tries: u32,
        #[serde(skip_deserializing)]
        internal: u32,
        #[serde(deserialize_with = "null_as_zero")]
        port: u32,
        items: Vec<String>,
    });

    impl Default for LooseS {
        fn default() -> Self {
            LooseS {
                pod_name: "p".into(),
                host_ip: String::new(),
                replicas: Some(1),
                tries: 9,
                internal: 7,
                port: 5,
                items: vec![],
            }
        }
    }

    impl Default for LooseC {
        fn default() -> Self {
            LooseC {
                pod_name: "p".into(),
                host_ip: String::new(),
                replicas: Some(1),
                tries: 9,
                internal: 7,
                port: 5,
                items: vec![],
            }
        }
    }

    twins!(StrictS, StrictC, #[serde(rename_all = "camelCase", deny_unknown_fields)] {
        name: String,
        max_count: Option<u32>,
        #[serde(default)]
        labels: Vec<String>,
        #[serde(default = "three")]
        tries: u32,
        #[serde(skip)]
        seen: bool,
        #[serde(deserialize_with = "null_as_zero")]
        port: u32,
        r#type: String,
    });

    twins!(OuterS, OuterC, #[serde(rename_all = "camelCase")] {
        name: String,
        items: Vec<LooseC>,
        maybe: Option<LooseC>,
        by_name: std::collections::BTreeMap<String, LooseC>,
        by_port: std::collections::BTreeMap<u16, String>,
        strict: Option<StrictC>,
    });

    twins!(OneS, OneC, #[serde(deny_unknown_fields)] { only: u8 });

    twins!(TwoS, TwoC, #[serde(deny_unknown_fields)] { a: u8, b: Option<String> });

    twins!(
        NoneS,
        NoneC,
        #[serde(deny_unknown_fields)]
        {}
    );

    /// Read `text` into both twins; their results must match (compared by `Debug`, since the
    /// types differ), and that result is returned with the ignored fields.
    fn both<S, C>(text: &str) -> (String, Vec<(String, Mark)>)
    where
        S: serde::de::DeserializeOwned + std::fmt::Debug,
        C: serde::de::DeserializeOwned + Decode + std::fmt::Debug,
    {
        let docs = parse_documents("t.yaml", text).expect("parses");
        let show = |r: Result<String, String>| r.unwrap_or_else(|e| format!("error: {e}"));
        let mut ignored_s = vec![];
        let mut ignored_c = vec![];
        let s = show(
            from_node::<S>("t.yaml", &docs[0], &mut ignored_s)
                .map(|v| format!("{v:?}"))
                .map_err(|e| e.to_string()),
        );
        let c = show(
            from_node::<C>("t.yaml", &docs[0], &mut ignored_c)
                .map(|v| format!("{v:?}"))
                .map_err(|e| e.to_string()),
        );
        // The twins' names differ in their last letter: `LooseS { .. }`, `LooseC { .. }`.
        let strip = |t: String| {
            [
                "LooseS", "LooseC", "StrictS", "StrictC", "OuterS", "OuterC", "OneS", "OneC",
                "TwoS", "TwoC", "NoneS", "NoneC",
            ]
            .iter()
            .fold(t, |t, n| t.replace(n, "Twin"))
        };
        assert_eq!(strip(s.clone()), strip(c), "YAML: {text}");
        assert_eq!(ignored_s, ignored_c, "ignored fields: {text}");
        // The table-driven decoder (the loaders' path) reads the compact twin the same way.
        let mut ignored_d = vec![];
        let d = show(
            decode_node::<C>("t.yaml", &docs[0], &mut ignored_d)
                .map(|v| format!("{v:?}"))
                .map_err(|e| e.to_string()),
        );
        assert_eq!(strip(s.clone()), strip(d), "decoded YAML: {text}");
        assert_eq!(ignored_s, ignored_d, "decoded, ignored fields: {text}");
        let json = docs[0].to_json();
        if json.is_array() {
            // serde's derive reads a JSON array as the struct's fields by position; the compact
            // one does not (an "invalid type" error, as from YAML).
            let jc = serde_json::from_value::<C>(json).map(|v| format!("{v:?}"));
            assert!(jc.is_err_and(|e| e.to_string().starts_with("invalid type: sequence")));
            return (s, ignored_s);
        }
        let js = serde_json::from_value::<S>(json.clone()).map(|v| format!("{v:?}"));
        let jc = serde_json::from_value::<C>(json).map(|v| format!("{v:?}"));
        assert_eq!(
            js.map(strip).map_err(|e| strip(e.to_string())),
            jc.map(strip).map_err(|e| strip(e.to_string())),
            "JSON: {text}"
        );
        (s, ignored_s)
    }

    #[test]
    fn container_default_reads_like_serde() {
        let cases = [
            "{}",
            "podName: a\nhostIP: 1.2.3.4\nreplicas: 3\ntries: 4\nport: 80\nitems: [x, y]",
            "replicas: ~\nport: ~\nitems: ~",
            "internal: 5\nunknownThing: {a: 1}\nother: [1]",
            "podName: [1]",
            "replicas: -1",
            "items: {a: 1}",
            "[1, 2]",
            "just a string",
            "port: x",
        ];
        for text in cases {
            both::<LooseS, LooseC>(text);
        }
        let (v, ignored) = both::<LooseS, LooseC>("internal: 5\nextra: 1\npodName: q");
        assert_eq!(
            v,
            "LooseS { pod_name: \"q\", host_ip: \"\", replicas: Some(1), tries: 3, internal: 7, \
             port: 5, items: [] }"
        );
        assert_eq!(ignored.len(), 2, "{ignored:?}");
    }

    #[test]
    fn strict_struct_reads_like_serde() {
        let cases = [
            "name: a",
            "name: a\nmaxCount: 2\nlabels: [x]\ntries: 1\nport: ~\ntype: t",
            "maxCount: 2",
            "name: a\nseen: true",
            "name: a\nbogus: 1",
            "{}",
            "name: a\nmaxCount: x",
            "name: a\nlabels: ~",
            "- name",
        ];
        for text in cases {
            both::<StrictS, StrictC>(text);
        }
        let (v, _) = both::<StrictS, StrictC>("name: a\nbogus: 1");
        assert_eq!(
            v,
            "error: t.yaml:2:1: unknown field `bogus`, expected one of `name`, `maxCount`, \
             `labels`, `tries`, `port`, `type`"
        );
        let (v, _) = both::<StrictS, StrictC>("maxCount: 2");
        assert_eq!(v, "error: t.yaml:1:1: missing field `name`");
    }

    #[test]
    fn nested_values_read_like_serde() {
        let cases = [
            "name: a\nitems: []",
            "items: []",
            "name: a",
            "name: a\nitems: [{podName: p, extra: 1}, {hostIP: h, more: [1]}]\nzz: 3",
            "name: a\nitems: [{podName: p}, {port: x}]",
            "name: a\nitems: [{podName: p}, 7]",
            "name: a\nitems: ~\nmaybe: ~\nbyName: ~\nstrict: ~",
            "name: a\nitems: []\nmaybe: {port: 5, zz: 1}",
            "name: a\nitems: []\nmaybe: [1]",
            "name: a\nitems: []\nbyName: {x: {tries: 2, q: 1}, 1: {}, ~: {}}",
            "name: a\nitems: []\nbyName: {x: {tries: z}}",
            "name: a\nitems: []\nbyName: [x]",
            "name: a\nitems: []\nbyPort: {80: a, \"443\": b}",
            "name: a\nitems: []\nbyPort: {http: a}",
            "name: a\nitems: []\nbyPort: {70000: a}",
            "name: a\nitems: []\nstrict: {name: s, bogus: 1}",
            "name: a\nitems: []\nstrict: {maxCount: 1}",
            "name: a\nitems: []\nstrict: {name: s, labels: [a, [b]]}",
            "? [k]\n: 1\nname: a",
            "~: 1\nname: a\nitems: []",
            "1: 1\ntrue: 2\n1.5: 3\nname: a\nitems: []",
            "name: [a]\nitems: []",
            "name: {a: 1}\nitems: []",
        ];
        for text in cases {
            both::<OuterS, OuterC>(text);
        }
        let (_, ignored) = both::<OuterS, OuterC>(
            "name: a\nitems: [{podName: p, extra: 1}]\nbyName: {x: {q: 1}}\nzz: 3",
        );
        let paths: Vec<&str> = ignored.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["items[0].extra", "byName.x.q", "zz"]);
    }

    #[test]
    fn unknown_field_messages_read_like_serde() {
        for text in ["only: 1", "only: 1\nx: 2", "x: 2", "[1]", "only: 300"] {
            both::<OneS, OneC>(text);
        }
        for text in ["a: 1", "a: 1\nc: 2", "b: x\nc: 2"] {
            both::<TwoS, TwoC>(text);
        }
        for text in ["{}", "x: 1", "[]"] {
            both::<NoneS, NoneC>(text);
        }
        let (v, _) = both::<OneS, OneC>("only: 1\nx: 2");
        assert_eq!(v, "error: t.yaml:2:1: unknown field `x`, expected `only`");
        let (v, _) = both::<NoneS, NoneC>("x: 1");
        assert_eq!(
            v,
            "error: t.yaml:1:1: unknown field `x`, there are no fields"
        );
    }
}
