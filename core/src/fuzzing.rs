//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`), here so that `core/tests/corpus_replay.rs`
//! runs every committed corpus file through exactly the same code in `cargo test`.
//!
//! Each function takes arbitrary bytes and panics only when a property is violated: loading never
//! panics and its errors are well-formed; a quantity prints as text that parses back to itself.

use crate::api::Quantity;
use crate::scenario::{self, Sources};

/// Where the fuzzed scenario lives in [`MemSources`].
pub const SCENARIO_PATH: &str = "fuzz/scenario.yaml";

/// The fixed file every `{file: ...}` under `fuzz/manifests/` reads (`file: manifests/x.yaml`
/// from the scenario): valid manifests of several kinds, a `v1 List`, an ignored kind, anchors.
pub const MANIFEST: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: &labels {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: *labels}
  template:
    metadata: {labels: *labels}
    spec:
      initContainers:
      - {name: init, image: "busybox:1.36", command: [sh, -c, "true"]}
      containers:
      - name: nginx
        image: nginx:1.25
        resources:
          requests: &req {cpu: 100m, memory: 64Mi}
          limits: *req
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: solo, labels: {app: solo}}
  spec:
    restartPolicy: Never
    containers: [{name: c, image: busybox, resources: {requests: {nvidia.com/gpu: "1"}}}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings}
  data: {a: b}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: c, image: busybox}]
"#;

/// The fuzzed scenario at [`SCENARIO_PATH`] (as bytes: not necessarily UTF-8) and [`MANIFEST`]
/// at every path under `fuzz/manifests/`; anything else does not exist.
pub struct MemSources<'a> {
    pub scenario: &'a [u8],
}

impl Sources for MemSources<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        if path == SCENARIO_PATH {
            String::from_utf8(self.scenario.to_vec()).map_err(|_| "not valid UTF-8 text".into())
        } else if path.starts_with("fuzz/manifests/") {
            Ok(MANIFEST.to_string())
        } else {
            Err("no such file".into())
        }
    }
}

/// Check what every load error must be: located at a real position (line and column from 1),
/// naming a file that was read, one line of text.
fn check_error(e: &crate::yaml::LoadError) {
    assert!(
        e.line >= 1 && e.column >= 1,
        "error without a position: {e}"
    );
    assert!(
        e.file == SCENARIO_PATH || e.file.starts_with("fuzz/manifests/"),
        "error names a file that was not read: {e}"
    );
    assert!(!e.message.is_empty(), "error without a message: {e}");
    assert!(
        !e.to_string().contains(['\n', '\r']),
        "error is more than one line: {e:?}"
    );
}

/// Target `scenario_load`: the bytes as a scenario file (with [`MANIFEST`] behind `{file:}`
/// references), loaded as a scenario and as a manifest. Must never panic; errors must be
/// well-formed (see `check_error`).
pub fn scenario_load(data: &[u8]) {
    let sources = MemSources { scenario: data };
    match scenario::load(SCENARIO_PATH, &sources) {
        Ok(s) => {
            assert!(!s.name.trim().is_empty());
            assert!(s.duration > crate::time::Duration::ZERO);
            assert!(s.timeline.iter().all(|e| e.at <= s.duration));
        }
        Err(e) => check_error(&e),
    }
    if let Err(e) = scenario::load_manifest(SCENARIO_PATH, &sources) {
        check_error(&e);
    }
}

/// Target `quantity_parse`: the bytes as a quantity string. When it parses, its printed form
/// parses back to an equal quantity (so does its canonical form), and arithmetic and conversions
/// do not panic. The two halves of the input are also tried as two quantities: comparing them
/// agrees with comparing what they print as, and adding or subtracting them does not panic.
pub fn quantity_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = Quantity::parse(text) {
        round_trip(text, &q);
    }
    let mid = (1..=text.len() / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    if let (Ok(a), Ok(b)) = (Quantity::parse(&text[..mid]), Quantity::parse(&text[mid..])) {
        let (pa, pb) = (a.to_string(), b.to_string());
        if let (Ok(ra), Ok(rb)) = (Quantity::parse(&pa), Quantity::parse(&pb)) {
            assert_eq!(a.cmp(&b), ra.cmp(&rb), "order of {pa:?} and {pb:?}");
        }
        // Sums and differences print and parse back too, within 2^63-1 in magnitude: beyond
        // it a binary-SI result (4Ei + 4Ei prints "8Ei") parses capped, as upstream (#140674).
        let cap = Quantity::from_value(i64::MAX, false);
        let uncapped = |q: &Quantity| *q <= cap && *q >= Quantity::from_value(-i64::MAX, false);
        for r in [a.checked_add(&b), a.checked_sub(&b)].into_iter().flatten() {
            if uncapped(&r) {
                round_trip(&r.to_string(), &r);
            }
        }
    }
}

/// `q` (parsed from or printed as `text`) prints as text that parses back to `q`, in its
/// remembered and its canonical form; conversions and arithmetic on it do not panic.
fn round_trip(text: &str, q: &Quantity) {
    let printed = q.to_string();
    let back = Quantity::parse(&printed)
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(
        &back, q,
        "{text:?} printed as {printed:?}, which parses to another value"
    );
    // Arithmetic forgets the remembered input string: this prints the canonical form.
    if let Some(canonical) = q.checked_add(&Quantity::default()) {
        let c = canonical.to_string();
        let back = Quantity::parse(&c)
            .unwrap_or_else(|e| panic!("{text:?}: canonical form {c:?} does not parse: {e}"));
        assert_eq!(
            &back, q,
            "{text:?}: canonical form {c:?} parses to another value"
        );
    }
    let _ = (q.value(), q.milli_value(), q.is_zero(), q.is_negative());
    if let Some(sum) = q.checked_add(q) {
        assert_eq!(
            sum.checked_sub(q).as_ref(),
            Some(q),
            "{text:?}: (q + q) - q != q"
        );
    }
}
