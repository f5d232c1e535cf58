//! serde's `Deserialize` for [`OrdMap`], with std `BTreeMap`'s behaviour: the API and scenario
//! structs' maps (labels, resource lists, ...) moved onto `OrdMap` so that std's B-tree code,
//! compiled per (key, value) pair, leaves the wasm (docs/benchmarks.md, "API maps on OrdMap"),
//! and their inputs must read exactly as before.
//!
//! This is serde's own `BTreeMap` impl (serde_core `de/impls.rs`, `map_impl!`) with the map
//! swapped: the deserializer is asked for a map (`deserialize_map`, "a map" when it finds
//! something else), each entry is read with `next_entry` (so the deserializer locates a key's
//! or a value's error as it does for `BTreeMap`), and a repeated key replaces the earlier value
//! (`insert`), keeping the first key, as `BTreeMap::insert` does.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::OrdMap;

impl<'de, K, V> Deserialize<'de> for OrdMap<K, V>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

struct MapVisitor<K, V>(PhantomData<OrdMap<K, V>>);

impl<'de, K, V> Visitor<'de> for MapVisitor<K, V>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    type Value = OrdMap<K, V>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map")
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut values = OrdMap::new();
        while let Some((key, value)) = access.next_entry()? {
            values.insert(key, value);
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    //! Every input is read as a std `BTreeMap` and as an `OrdMap`; the results (entries in
    //! order, or the error's text with its `file:line:col`) must be the same.

    use std::collections::BTreeMap;
    use std::fmt::Debug;

    use serde::de::DeserializeOwned;

    use super::OrdMap;
    use crate::yaml::{from_node, parse_documents};

    /// The document read as `T` through `yaml::from_node`: its value and the fields it
    /// ignored, or the located error.
    fn yaml<T: DeserializeOwned + Debug>(text: &str) -> String {
        let docs = match parse_documents("f.yaml", text) {
            Ok(docs) => docs,
            Err(e) => return e.to_string(),
        };
        let mut ignored = Vec::new();
        match from_node::<T>("f.yaml", &docs[0], &mut ignored) {
            Ok(v) => format!("{v:?} ignored {ignored:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn json<T: DeserializeOwned + Debug>(text: &str) -> String {
        match serde_json::from_str::<T>(text) {
            Ok(v) => format!("{v:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// `read` gives the text read as a std `BTreeMap` and as an `OrdMap`: they must be the
    /// same; returns the `OrdMap` result.
    fn same(text: &str, read: fn(&str) -> (String, String)) -> String {
        let (std, ours) = read(text);
        assert_eq!(ours, std, "input: {text:?}");
        ours
    }

    fn yaml_both<K, V>(text: &str) -> String
    where
        K: DeserializeOwned + Ord + Debug,
        V: DeserializeOwned + Debug,
    {
        same(text, |t| {
            (yaml::<BTreeMap<K, V>>(t), yaml::<OrdMap<K, V>>(t))
        })
    }

    fn json_both<K, V>(text: &str) -> String
    where
        K: DeserializeOwned + Ord + Debug,
        V: DeserializeOwned + Debug,
    {
        same(text, |t| {
            (json::<BTreeMap<K, V>>(t), json::<OrdMap<K, V>>(t))
        })
    }

    /// Read only through `Debug`, which the dead-code lint does not count.
    #[allow(dead_code)]
    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Meta {
        name: String,
        #[serde(default)]
        labels: OrdMap<String, String>,
    }

    #[test]
    fn yaml_reads_as_btreemap() {
        assert_eq!(
            yaml_both::<String, String>("b: two\na: one\n'c': \"3\"\n"),
            r#"{"a": "one", "b": "two", "c": "3"} ignored []"#
        );
        assert_eq!(yaml_both::<String, String>("{}\n"), "{} ignored []");
        assert_eq!(
            yaml_both::<String, String>("- a\n"),
            "f.yaml:1:1: invalid type: sequence, expected a map"
        );
        assert_eq!(
            yaml_both::<String, String>("x\n"),
            "f.yaml:1:1: invalid type: string \"x\", expected a map"
        );
        // A value's error is located at the value, a key's at the key.
        assert_eq!(
            yaml_both::<String, String>("a: b\nc: [d]\n"),
            "f.yaml:2:4: invalid type: sequence, expected a string"
        );
        assert_eq!(
            yaml_both::<String, String>("a: b\n? [c]\n: d\n"),
            "f.yaml:2:3: invalid type: sequence, expected a string"
        );
        assert_eq!(
            yaml_both::<u16, String>("80: http\n'443': https\n"),
            r#"{80: "http", 443: "https"} ignored []"#
        );
        assert_eq!(
            yaml_both::<u16, String>("80: http\nx: y\n"),
            "f.yaml:2:1: invalid type: string \"x\", expected u16"
        );
        // The YAML parser rejects a repeated key before a map sees it (JSON below does not).
        assert_eq!(
            yaml_both::<u16, String>("80: a\n080: b\n"),
            "f.yaml:2:1: duplicate key `80`, first defined at line 1"
        );
        assert_eq!(
            yaml_both::<String, i64>("a: 1\nb: x\n"),
            "f.yaml:2:4: invalid type: string \"x\", expected i64"
        );
        assert_eq!(
            yaml_both::<String, OrdMap<String, u64>>("n:\n  a: 1\n  b: -2\n"),
            "f.yaml:3:6: invalid value: integer `-2`, expected u64"
        );
        assert_eq!(
            yaml_both::<String, String>("~: 1\n"),
            r#"{"null": "1"} ignored []"#
        );
    }

    #[test]
    fn yaml_map_in_a_struct() {
        assert_eq!(
            yaml::<Meta>("name: p\nlabels:\n  app: web\n  tier: fe\nother: 1\n"),
            r#"Meta { name: "p", labels: {"app": "web", "tier": "fe"} } ignored [("other", Mark { line: 5, column: 1 })]"#
        );
        assert_eq!(
            yaml::<Meta>("name: p\nlabels:\n  app: [web]\n"),
            "f.yaml:3:8: invalid type: sequence, expected a string"
        );
        assert_eq!(
            yaml::<Meta>("name: p\nlabels: 3\n"),
            "f.yaml:2:9: invalid type: integer `3`, expected a map"
        );
    }

    #[test]
    fn json_reads_as_btreemap() {
        assert_eq!(
            json_both::<String, String>(r#"{"b":"2","a":"1"}"#),
            r#"{"a": "1", "b": "2"}"#
        );
        // A repeated key: the later value replaces the earlier one.
        assert_eq!(
            json_both::<String, u32>(r#"{"a":1,"b":2,"a":3}"#),
            r#"{"a": 3, "b": 2}"#
        );
        assert_eq!(
            json_both::<String, u32>(r#"[1]"#),
            "invalid type: sequence, expected a map at line 1 column 0"
        );
        assert_eq!(
            json_both::<String, u32>(r#"{"a":"x"}"#),
            "invalid type: string \"x\", expected u32 at line 1 column 8"
        );
        assert_eq!(
            json_both::<u16, u32>(r#"{"80":1,"x":2}"#),
            "invalid value: expected key to be a number in quotes at line 1 column 9"
        );
    }

    #[test]
    fn round_trip_through_json() {
        let m: OrdMap<String, u64> = (0..300u64).map(|i| (format!("k{i:03}"), i)).collect();
        let text = serde_json::to_string(&m).unwrap();
        let std: BTreeMap<String, u64> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
        assert_eq!(text, serde_json::to_string(&std).unwrap());
        let back: OrdMap<String, u64> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }
}
