//! Table-driven tests: every case goes through [`check`], which renders the result of
//! [`from_str_multi`] (documents with their marks, then ignored fields) or the error text.

use std::collections::BTreeMap;
use std::fmt::{self, Debug};

use serde::de::{DeserializeOwned, Error as _};
use serde::Deserialize;

use super::*;

const FILE: &str = "f.yaml";

/// Any JSON value, printed compactly.
#[derive(Deserialize)]
#[serde(transparent)]
struct J(serde_json::Value);

impl Debug for J {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `LINE:COL VALUE` per document, then `ignored PATH@LINE:COL` per ignored field, one per line;
/// or the error as `FILE:LINE:COL: message`.
fn render<T: DeserializeOwned + Debug>(input: &str) -> String {
    let mut ignored = Vec::new();
    match from_str_multi::<T>(FILE, input, &mut ignored) {
        Ok(docs) => docs
            .iter()
            .map(|(m, t)| format!("{m} {t:?}"))
            .chain(ignored.iter().map(|(p, m)| format!("ignored {p}@{m}")))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => e.to_string(),
    }
}

fn check<T: DeserializeOwned + Debug>(input: &str, expected: &str) {
    assert_eq!(render::<T>(input), expected, "input: {input:?}");
}

fn check_all<T: DeserializeOwned + Debug>(cases: &[(&str, &str)]) {
    for (input, expected) in cases {
        check::<T>(input, expected);
    }
}

#[test]
fn documents_and_scalars() {
    check_all::<J>(&[
        ("", ""),
        ("   \n\n", ""),
        ("# only a comment\n", ""),
        ("---\n---\n# nothing\n---\n", ""),
        ("~\n", ""),
        ("a: 1\n---\nb: 2\n", "1:1 {\"a\":1}\n3:1 {\"b\":2}"),
        ("--- x\n...\n---\n- 1\n", "1:5 \"x\"\n4:1 [1]"),
        ("---\n# c\n---\nk: v\n---\n", "4:1 {\"k\":\"v\"}"),
        (
            "- [null, ~, Null, NULL, true, True, TRUE, false, FALSE]\n",
            "1:1 [[null,null,null,null,true,true,true,false,false]]",
        ),
        (
            "[12, -3, +4, 0x1F, 0o17, 010, 1.5, -2., .5, 1e3, 2.5E-1, .inf, -.Inf, .NaN]",
            "1:1 [12,-3,4,31,15,10,1.5,-2.0,0.5,1000.0,0.25,null,null,null]",
        ),
        (
            "[yes, no, on, 0b1, 1_000, 0x, 1e, '1', \"true\", !!str 5, ! 6, 1.2.3, a: b]",
            "1:1 [\"yes\",\"no\",\"on\",\"0b1\",\"1_000\",\"0x\",\"1e\",\"1\",\"true\",\"5\",\"6\",\"1.2.3\",{\"a\":\"b\"}]",
        ),
        (
            "a: !!int \"7\"\nb: !!float 1\nc: !!float \"2.5\"\nd: !custom 8\ne: !!bool True\nf: !!null ''\n",
            "1:1 {\"a\":7,\"b\":1,\"c\":2.5,\"d\":8,\"e\":true,\"f\":null}",
        ),
        (
            "a: 9223372036854775807\nb: 9223372036854775808\nc: -9223372036854775809\nd: 1e400\n",
            "1:1 {\"a\":9223372036854775807,\"b\":9223372036854775808,\"c\":-9.223372036854776e+18,\"d\":null}",
        ),
        (
            "a: |\n  x\n  y\nb: >\n  p\n  q\nc: |-\n  z\nd: 'it''s'\ne: \"\\t\\u00e9\"\n",
            "1:1 {\"a\":\"x\\ny\\n\",\"b\":\"p q\\n\",\"c\":\"z\",\"d\":\"it's\",\"e\":\"\\té\"}",
        ),
        ("a: 1\r\nb:\r\n  - x\r\n", "1:1 {\"a\":1,\"b\":[\"x\"]}"),
        ("\u{feff}a: 1\n", "1:1 {\"a\":1}"),
        (
            "1: a\ntrue: b\n~: c\n1.50: d\n",
            "1:1 {\"1\":\"a\",\"true\":\"b\",\"null\":\"c\",\"1.50\":\"d\"}",
        ),
        ("a:\nb: {}\nc: []\n", "1:1 {\"a\":null,\"b\":{},\"c\":[]}"),
        ("'<<': 1\n", "1:1 {\"<<\":1}"),
        // Keys keep source order.
        ("z: 1\na: 2\nm: 3\n", "1:1 {\"z\":1,\"a\":2,\"m\":3}"),
    ]);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    check_all::<J>(&[
        (
            "base: &b {x: 1, y: 2}\nc: *b\nd: [*b, *b]\n",
            "1:1 {\"base\":{\"x\":1,\"y\":2},\"c\":{\"x\":1,\"y\":2},\"d\":[{\"x\":1,\"y\":2},{\"x\":1,\"y\":2}]}",
        ),
        ("s: &s hello\nt: *s\n", "1:1 {\"s\":\"hello\",\"t\":\"hello\"}"),
        // An anchor may be redefined; aliases see the latest definition.
        ("- &a 1\n- *a\n- &a 2\n- *a\n", "1:1 [1,1,2,2]"),
        (
            "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 4\n",
            "1:1 {\"base\":{\"x\":1,\"y\":2},\"m\":{\"x\":1,\"y\":3,\"z\":4}}",
        ),
        (
            "- &a {x: 1}\n- &b {x: 2, y: 2}\n- z: 0\n  <<: [*a, *b]\n",
            "1:1 [{\"x\":1},{\"x\":2,\"y\":2},{\"z\":0,\"x\":1,\"y\":2}]",
        ),
        ("m:\n  <<: {k: v}\n  j: 1\n", "1:1 {\"m\":{\"k\":\"v\",\"j\":1}}"),
        // Merges nest: a merged mapping already holds its own merged keys.
        (
            "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n",
            "1:1 {\"a\":{\"x\":1},\"b\":{\"x\":1,\"y\":2},\"c\":{\"x\":1,\"y\":2,\"z\":3}}",
        ),
        // Kubernetes-style reuse of a container template.
        (
            "x-app: &app\n  image: nginx:1.25\n  ports: [{containerPort: 80}]\ncontainers:\n- <<: *app\n  name: a\n- <<: *app\n  name: b\n  image: nginx:1.26\n",
            "1:1 {\"x-app\":{\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]},\"containers\":[{\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}],\"name\":\"a\"},{\"ports\":[{\"containerPort\":80}],\"name\":\"b\",\"image\":\"nginx:1.26\"}]}",
        ),
    ]);
}

#[test]
fn syntax_errors() {
    check_all::<J>(&[
        (
            "a:\n\tb: 1\n",
            "f.yaml:2:1: invalid YAML: tab character where indentation or a value is expected; YAML indents with spaces only (tabs disallowed within this context (block indentation))",
        ),
        (
            "key: value\n\t- x\n",
            "f.yaml:2:1: invalid YAML: tab character where indentation or a value is expected; YAML indents with spaces only (while scanning a plain scalar, found a tab)",
        ),
        (
            "a: |\n\tfoo\n",
            "f.yaml:2:1: invalid YAML: tab character where indentation or a value is expected; YAML indents with spaces only (a block scalar content cannot start with a tab)",
        ),
        (
            "a:\n  b: 1\n c: 2\n",
            "f.yaml:3:2: invalid YAML: bad indentation: while parsing a block mapping, did not find expected key",
        ),
        (
            "a:\n  - x\n - y\n",
            "f.yaml:3:2: invalid YAML: bad indentation: while parsing a block mapping, did not find expected key",
        ),
        (
            "- a\nb: c\n",
            "f.yaml:2:1: invalid YAML: bad indentation: while parsing a block collection, did not find expected '-' indicator",
        ),
        (
            "a: \"unclosed\nb: 2\n",
            "f.yaml:1:4: invalid YAML: quoted string continues on a line that is not indented: expected the closing quote (unclosed quote?)",
        ),
        (
            "a: 'x\n",
            "f.yaml:1:4: invalid YAML: unclosed quoted string: expected a closing quote before the end of the file",
        ),
        (
            "a: b: c\n",
            "f.yaml:1:5: invalid YAML: unexpected `:`: mapping values are not allowed here (check the indentation, or quote a value that contains `: `)",
        ),
        (
            "a: 1\n  b: 2\n",
            "f.yaml:2:4: invalid YAML: unexpected `:`: mapping values are not allowed here (check the indentation, or quote a value that contains `: `)",
        ),
        (
            "a: [1, 2\nb: 3\n",
            "f.yaml:2:2: invalid YAML: illegal placement of ':' indicator (in the flow sequence `[` opened at line 1 column 4)",
        ),
        (
            "a: {b: 1\n",
            "f.yaml:2:1: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}' (in the flow mapping `{` opened at line 1 column 4)",
        ),
        ("@foo\n", "f.yaml:1:1: invalid YAML: unexpected character: `@'"),
        (
            "ok: 1\n---\na: *nope\n",
            "f.yaml:3:4: invalid YAML: alias refers to an unknown anchor: expected an `&anchor` defined earlier in this document",
        ),
        (
            "a: &x [*x]\n",
            "f.yaml:1:8: alias refers to the node that contains it (a recursive structure); expected an anchor defined before this node",
        ),
        (
            "a: &x 1\n---\nb: *x\n",
            "f.yaml:3:4: alias refers to an anchor of an earlier document; expected an anchor defined earlier in this document",
        ),
        ("a: !!int x\n", "f.yaml:1:4: invalid !!int value `x`, expected an integer"),
        ("a: !!bool yes\n", "f.yaml:1:4: invalid !!bool value `yes`, expected `true` or `false`"),
        ("a: !!float \"x\"\n", "f.yaml:1:4: invalid !!float value `x`, expected a number"),
        ("a: !!null 0\n", "f.yaml:1:4: invalid !!null value `0`, expected `null`, `~` or nothing"),
        (
            "a: &s 1\nb:\n  <<: *s\n",
            "f.yaml:3:7: merge key `<<` expects a mapping or a list of mappings, found an integer",
        ),
        (
            "a: &s 1\nb:\n  <<: [{x: 1}, *s]\n",
            "f.yaml:3:16: merge key `<<` expects a list of mappings, found an integer in it",
        ),
        // An error in a later document still fails the whole file.
        ("a: 1\n---\nb: [\n", "f.yaml:4:1: invalid YAML: while parsing a node, did not find expected node content (in the flow sequence `[` opened at line 3 column 4)"),
    ]);
}

#[test]
fn duplicate_keys() {
    check_all::<J>(&[
        (
            "a: 1\nb: 2\na: 3\n",
            "f.yaml:3:1: duplicate key `a`, first defined at line 1",
        ),
        (
            "x: {k: 1, k: 2}\n",
            "f.yaml:1:11: duplicate key `k`, first defined at line 1",
        ),
        (
            "1: a\n'1': b\n",
            "f.yaml:2:1: duplicate key `1`, first defined at line 1",
        ),
        (
            "spec:\n  containers: []\n  replicas: 1\n  containers: [x]\n",
            "f.yaml:4:3: duplicate key `containers`, first defined at line 2",
        ),
        (
            "? [a]\n: 1\n? [a]\n: 2\n",
            "f.yaml:3:3: duplicate key `[\"a\"]`, first defined at line 1",
        ),
        // Keys from a merge are overridden, not duplicates.
        (
            "a: &a {k: 1}\nb: {<<: *a, k: 2}\n",
            "1:1 {\"a\":{\"k\":1},\"b\":{\"k\":2}}",
        ),
    ]);
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn nesting_limit_and_alias_budget() {
    let ok = nested("[", "]", MAX_DEPTH);
    assert_eq!(parse_documents(FILE, &ok).map(|d| d.len()), Ok(1));
    let deep_seq = nested("[", "]", MAX_DEPTH + 1);
    let deep_map = "a:\n".repeat(0) + &nested("{a: ", "}", MAX_DEPTH + 1);
    let mut block = String::new();
    for i in 0..=MAX_DEPTH {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    block.push_str(&" ".repeat(MAX_DEPTH + 1));
    block.push_str("v\n");
    // An alias may not push a node past the limit either.
    let via_alias = format!(
        "a: &a {}\nb: {}*a{}\n",
        nested("[", "]", 100),
        "[".repeat(28),
        "]".repeat(28)
    );
    let lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n\
               b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
               c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
               d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
               e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n\
               f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
               g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n\
               h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n\
               i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    let too_deep = "nesting too deep: expected at most 128 levels of mappings and sequences";
    check_all::<J>(&[
        (&deep_seq, &format!("f.yaml:1:129: {too_deep}")),
        (&deep_map, &format!("f.yaml:1:{}: {too_deep}", 4 * 128 + 1)),
        (&block, &format!("f.yaml:129:129: {too_deep}")),
        (
            &via_alias,
            "f.yaml:2:32: nesting too deep once this alias is expanded: expected at most 128 levels of mappings and sequences",
        ),
        (
            lol,
            "f.yaml:6:12: aliases expand to too many nodes (more than 250000); expected anchors and aliases to be used for small repeated parts",
        ),
    ]);
    // A huge nesting is rejected without reading (or recursing over) the rest; the parser reads
    // ahead in flow collections and stops at 255 open ones itself.
    let huge = nested("[", "]", 200_000);
    assert_eq!(render::<J>(&huge), format!("f.yaml:1:256: {too_deep}"));
    let huge_block = "- ".repeat(100_000) + "x\n";
    assert_eq!(
        render::<J>(&huge_block),
        format!("f.yaml:1:{}: {too_deep}", 2 * 128 + 1)
    );
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Pod {
    api_version: String,
    kind: String,
    metadata: Meta,
    spec: PodSpec,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Meta {
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct PodSpec {
    containers: Vec<Container>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Container {
    name: String,
    image: String,
    #[serde(default)]
    ports: Vec<Port>,
    #[serde(default)]
    args: Option<Vec<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Port {
    container_port: u16,
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels: {app: web, version: 1.10, tier: 3}
spec:
  restartPolicy: Always
  containers:
  - name: 80
    image: nginx
    imagePullPolicy: IfNotPresent
    ports:
    - containerPort: 8080
      protocol: TCP
status:
  phase: Running
";

#[test]
fn kubernetes_objects_and_ignored_fields() {
    let pod = r#"1:1 Pod { api_version: "v1", kind: "Pod", metadata: Meta { name: "web", labels: {"app": "web", "tier": "3", "version": "1.10"} }, spec: PodSpec { containers: [Container { name: "80", image: "nginx", ports: [Port { container_port: 8080 }], args: None }] } }
ignored metadata.namespace@5:3
ignored spec.restartPolicy@8:3
ignored spec.containers[0].imagePullPolicy@12:5
ignored spec.containers[0].ports[0].protocol@15:7
ignored status@16:1"#;
    let port_overflow = POD.replace("8080", "70000");
    let port_quoted = POD.replace("8080", "\"80\"");
    let port_negative = POD.replace("8080", "-1");
    let no_image = POD.replace("    image: nginx\n", "");
    let null_args = POD.replace("    image: nginx\n", "    image: nginx\n    args:\n");
    let args_map = POD.replace("    image: nginx\n", "    image: nginx\n    args: {a: 1}\n");
    check_all::<Pod>(&[
        (POD, pod),
        (
            &port_overflow,
            "f.yaml:14:22: invalid value: integer `70000`, expected u16",
        ),
        (
            &port_quoted,
            "f.yaml:14:22: invalid type: string \"80\", expected u16",
        ),
        (
            &port_negative,
            "f.yaml:14:22: invalid value: integer `-1`, expected u16",
        ),
        (&no_image, "f.yaml:10:5: missing field `image`"),
        (
            &args_map,
            "f.yaml:12:11: invalid type: map, expected a sequence",
        ),
        ("kind: Pod\n", "f.yaml:1:1: missing field `apiVersion`"),
        (
            "[1]\n",
            "f.yaml:1:1: invalid type: sequence, expected struct Pod",
        ),
        (
            "just text\n",
            "f.yaml:1:1: invalid type: string \"just text\", expected struct Pod",
        ),
    ]);
    // `args:` with nothing is None; `containers:` with nothing is an empty list.
    assert!(
        render::<Pod>(&null_args).contains("args: None"),
        "{}",
        render::<Pod>(&null_args)
    );
    let empty = "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n";
    assert!(render::<Pod>(empty).contains("containers: []"));
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    a: u32,
    #[serde(default)]
    b: Option<String>,
    #[serde(default)]
    c: Option<f64>,
}

#[test]
fn strict_types() {
    check_all::<Strict>(&[
        ("a: 1\nb: ~\n", "1:1 Strict { a: 1, b: None, c: None }"),
        (
            "a: 0x10\nb: 1.0\nc: 2\n",
            "1:1 Strict { a: 16, b: Some(\"1.0\"), c: Some(2.0) }",
        ),
        (
            "a: 1\nb: ''\nc: -.inf\n",
            "1:1 Strict { a: 1, b: Some(\"\"), c: Some(-inf) }",
        ),
        (
            "a: 1\nd: 2\n",
            "f.yaml:2:1: unknown field `d`, expected one of `a`, `b`, `c`",
        ),
        (
            "a: 1\nnested:\n  x: 1\n",
            "f.yaml:2:1: unknown field `nested`, expected one of `a`, `b`, `c`",
        ),
        (
            "a: abc\n",
            "f.yaml:1:4: invalid type: string \"abc\", expected u32",
        ),
        (
            "a: '1'\n",
            "f.yaml:1:4: invalid type: string \"1\", expected u32",
        ),
        (
            "a: -1\n",
            "f.yaml:1:4: invalid value: integer `-1`, expected u32",
        ),
        (
            "a: 1.5\n",
            "f.yaml:1:4: invalid type: floating point `1.5`, expected u32",
        ),
        (
            "a: true\n",
            "f.yaml:1:4: invalid type: boolean `true`, expected u32",
        ),
        (
            "a: [1]\n",
            "f.yaml:1:4: invalid type: sequence, expected u32",
        ),
        (
            "a: 1\nb: [x]\n",
            "f.yaml:2:4: invalid type: sequence, expected a string",
        ),
        (
            "a: 1\nc: x\n",
            "f.yaml:2:4: invalid type: string \"x\", expected f64",
        ),
        ("b: x\n", "f.yaml:1:1: missing field `a`"),
        ("a: 1\n---\nb: x\n", "f.yaml:3:1: missing field `a`"),
    ]);
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Wide {
    i: Option<i64>,
    u: Option<u64>,
    w: Option<i128>,
    x: Option<u128>,
}

#[test]
fn integer_ranges() {
    let big = "99999999999999999999999999999999999999999";
    check_all::<Wide>(&[
        (
            "i: 9223372036854775807\nu: 18446744073709551615\n",
            "1:1 Wide { i: Some(9223372036854775807), u: Some(18446744073709551615), w: None, x: None }",
        ),
        (
            "i: -9223372036854775808\nu: 0xFFFFFFFFFFFFFFFF\n",
            "1:1 Wide { i: Some(-9223372036854775808), u: Some(18446744073709551615), w: None, x: None }",
        ),
        (
            "w: -170141183460469231731687303715884105728\nx: 340282366920938463463374607431768211455\n",
            "f.yaml:2:4: invalid value: integer `340282366920938463463374607431768211455` (out of range), expected u128",
        ),
        (
            "w: -170141183460469231731687303715884105728\nx: 170141183460469231731687303715884105727\n",
            "1:1 Wide { i: None, u: None, w: Some(-170141183460469231731687303715884105728), x: Some(170141183460469231731687303715884105727) }",
        ),
        ("i: 9223372036854775808\n", "f.yaml:1:4: invalid value: integer `9223372036854775808`, expected i64"),
        (
            "i: -9223372036854775809\n",
            "f.yaml:1:4: invalid value: integer `-9223372036854775809` (out of range), expected i64",
        ),
        (&format!("u: {big}\n"), &format!("f.yaml:1:4: invalid value: integer `{big}` (out of range), expected u64")),
        ("u: -1\n", "f.yaml:1:4: invalid value: integer `-1`, expected u64"),
        ("i: 1e3\n", "f.yaml:1:4: invalid type: floating point `1000.0`, expected i64"),
    ]);
    check_all::<BTreeMap<u16, String>>(&[
        (
            "80: http\n'443': https\n",
            "1:1 {80: \"http\", 443: \"https\"}",
        ),
        (
            "80: http\n'x': y\n",
            "f.yaml:2:1: invalid type: string \"x\", expected u16",
        ),
        (
            "70000: x\n",
            "f.yaml:1:1: invalid value: integer `70000`, expected u16",
        ),
    ]);
    check_all::<(u8, String)>(&[
        ("[1, a]\n", "1:1 (1, \"a\")"),
        (
            "[1, a, b]\n",
            "f.yaml:1:1: invalid length 3, expected 2 elements in sequence",
        ),
        (
            "[1]\n",
            "f.yaml:1:1: invalid length 1, expected a tuple of size 2",
        ),
        (
            "[256, a]\n",
            "f.yaml:1:2: invalid value: integer `256`, expected u8",
        ),
    ]);
}

/// A name that rejects "bad" from its own `Deserialize` impl.
#[derive(Debug)]
#[allow(dead_code)]
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "bad" {
            return Err(D::Error::custom("name must not be `bad`"));
        }
        Ok(Name(s))
    }
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Named {
    names: Vec<Name>,
    #[serde(default)]
    by_key: BTreeMap<String, Name>,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Wrapper(Name);

#[test]
fn custom_errors_are_located() {
    check_all::<Named>(&[
        (
            "names: [ok, 7]\n",
            "1:1 Named { names: [Name(\"ok\"), Name(\"7\")], by_key: {} }",
        ),
        (
            "names:\n  - ok\n  - bad\n",
            "f.yaml:3:5: name must not be `bad`",
        ),
        (
            "names: []\nby_key:\n  x: bad\n",
            "f.yaml:3:6: name must not be `bad`",
        ),
        ("names: [bad]\n", "f.yaml:1:9: name must not be `bad`"),
    ]);
    check_all::<Wrapper>(&[
        ("bad\n", "f.yaml:1:1: name must not be `bad`"),
        ("good\n", "1:1 Wrapper(Name(\"good\"))"),
    ]);
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
enum Action {
    Stop,
    Scale(u32),
    Move { to: String },
    Pair(u8, u8),
}

#[derive(Deserialize, Debug)]
#[serde(untagged)]
#[allow(dead_code)]
enum IntOrString {
    Int(i64),
    Str(String),
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Outer {
    name: String,
    #[serde(flatten)]
    inner: Inner,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Inner {
    count: u32,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Unit;

#[test]
fn enums_untagged_flatten() {
    check_all::<Vec<Action>>(&[
        (
            "- stop\n- scale: 3\n- move: {to: x}\n- pair: [1, 2]\n- stop: ~\n",
            "1:1 [Stop, Scale(3), Move { to: \"x\" }, Pair(1, 2), Stop]",
        ),
        ("- jump\n", "f.yaml:1:3: unknown variant `jump`, expected one of `stop`, `scale`, `move`, `pair`"),
        ("- {jump: 1}\n", "f.yaml:1:4: unknown variant `jump`, expected one of `stop`, `scale`, `move`, `pair`"),
        (
            "- {scale: 1, stop: ~}\n",
            "f.yaml:1:3: invalid type: mapping with 2 keys, expected enum Action as a string or a mapping with a single key",
        ),
        ("- [stop]\n", "f.yaml:1:3: invalid type: sequence, expected enum Action"),
        ("- scale: x\n", "f.yaml:1:10: invalid type: string \"x\", expected u32"),
        ("- stop: 1\n", "f.yaml:1:9: invalid type: integer `1`, expected unit variant"),
        ("- scale\n", "f.yaml:1:3: invalid type: unit variant, expected newtype variant"),
        ("- move: {to: x, extra: 1}\n", "1:1 [Move { to: \"x\" }]\nignored [0].move.extra@1:17"),
        ("- move: {}\n", "f.yaml:1:9: missing field `to`"),
    ]);
    check_all::<Vec<IntOrString>>(&[
        (
            "[1, a, '2', 0x10]\n",
            "1:1 [Int(1), Str(\"a\"), Str(\"2\"), Int(16)]",
        ),
        (
            "[1, [2]]\n",
            "f.yaml:1:5: data did not match any variant of untagged enum IntOrString",
        ),
    ]);
    check_all::<Outer>(&[
        (
            "name: a\ncount: 2\n",
            "1:1 Outer { name: \"a\", inner: Inner { count: 2 } }",
        ),
        (
            "name: a\ncount: x\n",
            "f.yaml:1:1: invalid type: string \"x\", expected u32",
        ),
        ("name: a\n", "f.yaml:1:1: missing field `count`"),
    ]);
    check_all::<Option<Unit>>(&[
        ("~\n", ""),
        (
            "x: 1\n",
            "f.yaml:1:1: invalid type: map, expected unit struct Unit",
        ),
    ]);
    check_all::<BTreeMap<String, ()>>(&[
        ("a:\nb: ~\n", "1:1 {\"a\": (), \"b\": ()}"),
        (
            "a: 1\n",
            "f.yaml:1:4: invalid type: integer `1`, expected unit",
        ),
    ]);
    check_all::<BTreeMap<String, J>>(&[
        (
            "? [a]\n: 1\n",
            "f.yaml:1:3: invalid type: sequence, expected a string",
        ),
        ("~: 1\n", "1:1 {\"null\": 1}"),
    ]);
}

#[test]
fn node_api() {
    let docs = parse_documents(FILE, "a: 1\n'b': \"two\"\nc: plain\nd: [x]\n3: three\n").unwrap();
    let root = &docs[0];
    let Value::Map(entries) = &root.value else {
        panic!("not a map: {root:?}")
    };
    let keys: Vec<(String, Mark)> = entries
        .iter()
        .map(|(k, _)| (k.key_text(), k.mark))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("a".into(), Mark::new(1, 1)),
            ("b".into(), Mark::new(2, 1)),
            ("c".into(), Mark::new(3, 1)),
            ("d".into(), Mark::new(4, 1)),
            ("3".into(), Mark::new(5, 1)),
        ]
    );
    assert_eq!(root.get("a").map(|n| &n.value), Some(&Value::Int(1)));
    assert_eq!(root.get("b").and_then(Node::as_str), Some("two"));
    assert_eq!(
        root.get("b").map(|n| &n.value),
        Some(&Value::Str {
            text: "two".into(),
            plain: false
        })
    );
    assert_eq!(
        root.get("c").map(|n| (&n.value, n.mark)),
        Some((
            &Value::Str {
                text: "plain".into(),
                plain: true
            },
            Mark::new(3, 4)
        ))
    );
    assert_eq!(root.get("3").and_then(Node::as_str), Some("three"));
    assert_eq!(root.get("a").and_then(Node::as_str), None);
    assert_eq!(root.get("zz"), None);
    assert_eq!(root.get("d").and_then(|d| d.get("x")), None);
    assert_eq!(
        root.to_json(),
        serde_json::json!({"a": 1, "b": "two", "c": "plain", "d": ["x"], "3": "three"})
    );
    let special = parse_documents(FILE, "[.inf, 1e400, 18446744073709551615, 1.5]").unwrap();
    assert_eq!(
        special[0].to_json(),
        serde_json::json!([".inf", "1e400", 18446744073709551615u64, 1.5])
    );
    let e = LoadError::new("x.yaml", Mark::new(3, 7), "expected a thing");
    assert_eq!(e.to_string(), "x.yaml:3:7: expected a thing");
    assert_eq!(e.mark(), Mark::new(3, 7));
    let mut ignored = Vec::new();
    let v: serde_json::Value = from_node(FILE, root, &mut ignored).unwrap();
    assert_eq!(v, root.to_json());
    assert!(ignored.is_empty());
}

/// splitmix64: a small deterministic generator for the no-panic test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    POD,
    "a: &a {x: 1, y: [1, 2, {z: 3}]}\nb:\n  <<: *a\n  y: 'q'\nc: [*a, *a]\n---\n- |\n  lit\n- >-\n  fold\n- \"esc\\n\\u00e9\"\n",
    "%YAML 1.2\n---\n? [complex, key]\n: !!str 12\n? simple\n: !custom {a: b}\nlist:\n- - nested\n  - [flow, {m: 1}]\n...\n",
    "x: 0x1F\ny: -.inf\nz: 99999999999999999999\nw: 'it''s'\nempty:\nnull: ~\n# comment\n",
];

const ALPHABET: &[char] = &[
    ' ', ' ', ' ', '\n', '\n', '\t', '\r', '-', ':', '{', '}', '[', ']', ',', '&', '*', '!', '|',
    '>', '\'', '"', '#', '%', '@', '`', '?', '<', '\\', 'a', '1', '.', '~', '\u{feff}', 'é', '\0',
];

/// Apply 1-4 random edits: insert a YAML-significant character, delete a range, duplicate a
/// range (possibly many times, for deep nesting), or insert an anchor/alias/merge fragment.
fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut chars: Vec<char> = input.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 | 1 => chars.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            2 => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + 1 + rng.below(12)).min(chars.len());
                let piece: Vec<char> = chars[at.min(end)..end].to_vec();
                for _ in 0..1 + rng.below(3) * rng.below(60) {
                    chars.splice(at..at, piece.iter().copied());
                }
            }
            4 => {
                let frag = [
                    "&a ",
                    "*a",
                    "<<: ",
                    "- ",
                    "? ",
                    "!!int ",
                    "&b [*a, *a]",
                    "\n  ",
                    "---\n",
                ];
                chars.splice(at..at, frag[rng.below(frag.len())].chars());
            }
            _ => {
                if !chars.is_empty() {
                    let i = rng.below(chars.len());
                    chars[i] = ALPHABET[rng.below(ALPHABET.len())];
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// `YAML_FUZZ_SEED` and `YAML_FUZZ_ITERATIONS` (environment) run a longer or different search.
#[test]
fn mutated_inputs_never_panic() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let base_seed = env("YAML_FUZZ_SEED", 0x5EED_CE11);
    let iterations = env("YAML_FUZZ_ITERATIONS", 20_000);
    let (mut parsed, mut failed) = (0usize, 0usize);
    for iteration in 0..iterations {
        let seed = base_seed ^ iteration.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let mut rng = Rng(seed);
        let base = SEEDS[rng.below(SEEDS.len())];
        let input = mutate(&mut rng, base);
        let outcome = std::panic::catch_unwind(|| {
            let docs = parse_documents(FILE, &input)?;
            for doc in &docs {
                let mut ignored = Vec::new();
                from_node::<serde_json::Value>(FILE, doc, &mut ignored)?;
                from_node::<Pod>(FILE, doc, &mut ignored).ok();
                let _ = doc.to_json();
            }
            Ok::<_, LoadError>(docs.len())
        });
        match outcome {
            Ok(Ok(_)) => parsed += 1,
            Ok(Err(e)) => {
                failed += 1;
                assert!(
                    e.line >= 1 && e.column >= 1,
                    "seed {seed:#x}: unlocated error {e}"
                );
                assert!(e.to_string().starts_with("f.yaml:"), "seed {seed:#x}: {e}");
            }
            Err(_) => panic!("seed {seed:#x} panicked on input {input:?}"),
        }
    }
    // The mutations must exercise both paths.
    assert!(
        parsed > 1000 && failed > 1000,
        "parsed {parsed}, failed {failed}"
    );
}
