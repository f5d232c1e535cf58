//! Kubernetes label selectors and node selectors, reimplemented from upstream.
//!
//! Everything here follows upstream behaviour rule by rule (not text); each rule is cited next to
//! the code that implements it:
//!
//! - `k8s.io/apimachinery/pkg/labels/selector.go`: `Requirement`, `NewRequirement`,
//!   `Requirement.Matches`, `Requirement.String`, the `labels.Parse` lexer and parser,
//!   `SelectorFromSet`, `ValidatedSelectorFromSet`, `Everything`, `Nothing`.
//! - `k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`: `LabelSelectorAsSelector`,
//!   `ParseToLabelSelector`, `FormatLabelSelector`.
//! - `k8s.io/apimachinery/pkg/apis/meta/v1/validation`: `ValidateLabelSelector`,
//!   `ValidateLabelSelectorRequirement`, `ValidateLabels`, `ValidateLabelName`.
//! - `k8s.io/apimachinery/pkg/api/validate/content` (formerly `pkg/util/validation`):
//!   `IsLabelKey` / `IsQualifiedName`, `IsLabelValue`, `IsDNS1123Subdomain` and their messages.
//! - `k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`: `NodeSelector`,
//!   `nodeSelectorTerm.match`, `nodeSelectorRequirementsAsSelector`,
//!   `nodeSelectorRequirementsAsFieldSelector`, `RequiredNodeAffinity.Match`.
//! - `pkg/apis/core/validation/validation.go`: `ValidateNodeSelector`, `ValidateNodeSelectorTerm`,
//!   `ValidateNodeSelectorRequirement`, `ValidateNodeFieldSelectorRequirement`.
//!
//! Determinism: only ordered maps and sets (`OrdMap`/`OrdSet`) and `Vec`; sorts are stable; no
//! floats.

use crate::collections::{OrdMap, OrdSet};
use cellsim_derive::CompactDeserialize;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A set of labels (`labels.Set`). Ordered so that iteration never leaks hash order.
pub type Labels = OrdMap<String, String>;

/// `metav1.ObjectNameField`: the only field key node `matchFields` support.
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Errors shaped like upstream's `field.Error` / `errors.Aggregate` / `fmt.Errorf` values, with
/// the same message text (see `util/validation/field/errors.go`, `ErrorBody`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// `field.Invalid`: `<field>: Invalid value: <value>: <detail>`. `value` is rendered the way
    /// Go prints the bad value (`"x"` for strings, `[]string{"a", "b"}` for lists).
    #[error("{}Invalid value: {value}: {detail}", field_prefix(.field))]
    Invalid {
        field: String,
        value: String,
        detail: String,
    },
    /// `field.Required`: `<field>: Required value: <detail>`.
    #[error("{}Required value: {detail}", field_prefix(.field))]
    Required { field: String, detail: String },
    /// `field.Forbidden`: `<field>: Forbidden: <detail>`.
    #[error("{}Forbidden: {detail}", field_prefix(.field))]
    Forbidden { field: String, detail: String },
    /// `field.NotSupported`: `<field>: Unsupported value: "x": supported values: "a", "b"`.
    #[error("{}Unsupported value: {value}: supported values: {}", field_prefix(.field), quote_join(.supported))]
    NotSupported {
        field: String,
        value: String,
        supported: Vec<String>,
    },
    /// A syntax error from the `labels.Parse` grammar (message text as upstream's parser).
    #[error("{0}")]
    Parse(String),
    /// `LabelSelectorAsSelector`: `"%q is not a valid pod selector operator"`.
    #[error("{0:?} is not a valid pod selector operator")]
    InvalidOperator(String),
    /// Other plain `fmt.Errorf` messages (e.g. from `ParseToLabelSelector`).
    #[error("{0}")]
    Other(String),
    /// `errors.Aggregate` of two or more errors: `[e1, e2]`.
    #[error("[{}]", join_errors(.0))]
    Aggregate(Vec<SelectorError>),
}

fn field_prefix(field: &str) -> String {
    // Upstream prints `"%s: %s"` even for an empty field path (giving a leading ": "); we omit the
    // separator when there is no path.
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

fn quote_join(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_errors(errs: &[SelectorError]) -> String {
    errs.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Go's `%q` of a string (ASCII-identical to Rust's `{:?}` for the inputs that matter here).
fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// Go's `%#v` of a `[]string`.
fn go_string_slice(values: &[String]) -> String {
    format!("[]string{{{}}}", quote_join(values))
}

/// `field.ErrorList.ToAggregate()` + `errors.Flatten`: nested aggregates are flattened, duplicate
/// messages dropped, one error is returned as itself, several as an `Aggregate`.
fn aggregate(errs: Vec<SelectorError>) -> Result<(), SelectorError> {
    let mut flat = Vec::new();
    flatten_into(errs, &mut flat);
    let mut seen = OrdSet::new();
    flat.retain(|e| seen.insert(e.to_string()));
    match flat.len() {
        0 => Ok(()),
        1 => Err(flat.remove(0)),
        _ => Err(SelectorError::Aggregate(flat)),
    }
}

fn flatten_into(errs: Vec<SelectorError>, out: &mut Vec<SelectorError>) {
    for e in errs {
        match e {
            SelectorError::Aggregate(inner) => flatten_into(inner, out),
            other => out.push(other),
        }
    }
}

/// Field-path helpers (`field.Path.Child` / `Index` / `Key`).
fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

// ---------------------------------------------------------------------------------------------
// Syntax rules: label keys, label values, DNS-1123 subdomains (api/validate/content)
// ---------------------------------------------------------------------------------------------

const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY_MAX_LENGTH: usize = 63;
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX_LENGTH: usize = 63;
const DNS1123_SUBDOMAIN_FMT: &str =
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// `content.RegexError`.
fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{re}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{ex}', "));
    }
    out.push_str(&format!("regex used for validation is '{re}')"));
    out
}

/// `content.MaxLenError`.
fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} bytes")
}

/// `content.EmptyError`.
const EMPTY_ERROR: &str = "must be non-empty";

/// Regex `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
fn matches_label_key_fmt(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// Regex `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, anchored.
fn matches_dns1123_label_fmt(s: &str) -> bool {
    let lower_alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            lower_alnum(first)
                && lower_alnum(last)
                && b.iter().all(|c| lower_alnum(c) || *c == b'-')
        }
        _ => false,
    }
}

/// Regex `dns1123SubdomainFmt` (labels separated by dots), anchored.
fn matches_dns1123_subdomain_fmt(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label_fmt)
}

/// `content.IsDNS1123Subdomain`: error strings, empty when valid.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain_fmt(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

fn dns1123_subdomain_ok(value: &str) -> bool {
    value.len() <= DNS1123_SUBDOMAIN_MAX_LENGTH && matches_dns1123_subdomain_fmt(value)
}

/// `content.IsLabelKey` (a.k.a. `IsQualifiedName`): `[prefix/]name`, where the optional prefix is
/// a DNS-1123 subdomain and the name is at most 63 bytes of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
/// Returns the error strings; empty when valid.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {EMPTY_ERROR}"));
            } else {
                for msg in is_dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {msg}"));
                }
            }
            *name
        }
        _ => {
            // More than one '/': a single combined message.
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR_MSG, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {EMPTY_ERROR}"));
    } else if name.len() > LABEL_KEY_MAX_LENGTH {
        errs.push(format!("name part {}", max_len_error(LABEL_KEY_MAX_LENGTH)));
    }
    if !matches_label_key_fmt(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR_MSG,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Allocation-free `is_qualified_name(value).is_empty()`.
fn qualified_name_ok(value: &str) -> bool {
    let mut parts = value.split('/');
    let first = parts.next().unwrap_or("");
    let (prefix, name) = match (parts.next(), parts.next()) {
        (None, _) => (None, first),
        (Some(name), None) => (Some(first), name),
        (Some(_), Some(_)) => return false,
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || !dns1123_subdomain_ok(prefix) {
            return false;
        }
    }
    name.len() <= LABEL_KEY_MAX_LENGTH && matches_label_key_fmt(name)
}

/// `content.IsLabelValue`: empty, or at most 63 bytes of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn is_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !(value.is_empty() || matches_label_key_fmt(value)) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Allocation-free `is_label_value(value).is_empty()`.
fn label_value_ok(value: &str) -> bool {
    value.len() <= LABEL_VALUE_MAX_LENGTH && (value.is_empty() || matches_label_key_fmt(value))
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, must fit in i64. Rust's
/// `i64::from_str` accepts exactly the same strings.
fn parse_int64(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

// ---------------------------------------------------------------------------------------------
// Requirement (labels.Requirement)
// ---------------------------------------------------------------------------------------------

/// `selection.Operator` as used by `labels.Requirement`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// `!` (`selection.DoesNotExist`)
    DoesNotExist,
    /// `=` (`selection.Equals`)
    Equals,
    /// `==` (`selection.DoubleEquals`)
    DoubleEquals,
    /// `in` (`selection.In`)
    In,
    /// `!=` (`selection.NotEquals`)
    NotEquals,
    /// `notin` (`selection.NotIn`)
    NotIn,
    /// `exists` (`selection.Exists`)
    Exists,
    /// `gt` (`selection.GreaterThan`)
    GreaterThan,
    /// `lt` (`selection.LessThan`)
    LessThan,
}

impl Operator {
    /// The `selection.Operator` string value.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::DoesNotExist => "!",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::In => "in",
            Operator::NotEquals => "!=",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `key op values` term of a selector (`labels.Requirement`). Construct with
/// [`Requirement::new`], which enforces upstream's `NewRequirement` rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

/// Every error `labels.NewRequirement` reports, in upstream's order, with field paths under
/// `path`.
fn requirement_errors(
    path: &str,
    key: &str,
    op: Operator,
    values: &[String],
) -> Vec<SelectorError> {
    let mut errs = Vec::new();
    // NewRequirement rule (6): the key must be a qualified name (validateLabelKey joins the
    // IsQualifiedName messages with "; ").
    let key_errs = is_qualified_name(key);
    if !key_errs.is_empty() {
        errs.push(SelectorError::Invalid {
            field: child(path, "key"),
            value: quote(key),
            detail: key_errs.join("; "),
        });
    }
    let values_path = child(path, "values");
    let invalid_values = |detail: &str| SelectorError::Invalid {
        field: values_path.clone(),
        value: go_string_slice(values),
        detail: detail.to_string(),
    };
    match op {
        // Rule (2): In/NotIn need a non-empty value set.
        Operator::In | Operator::NotIn => {
            if values.is_empty() {
                errs.push(invalid_values(
                    "for 'in', 'notin' operators, values set can't be empty",
                ));
            }
        }
        // Rule (3): exact-match operators need exactly one value.
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
            if values.len() != 1 {
                errs.push(invalid_values(
                    "exact-match compatibility requires one single value",
                ));
            }
        }
        // Rule (4): Exists/DoesNotExist take no values.
        Operator::Exists | Operator::DoesNotExist => {
            if !values.is_empty() {
                errs.push(invalid_values(
                    "values set must be empty for exists and does not exist",
                ));
            }
        }
        // Rule (5): Gt/Lt take exactly one value, which must parse as a base-10 int64.
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                errs.push(invalid_values(
                    "for 'Gt', 'Lt' operators, exactly one value is required",
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if parse_int64(v).is_none() {
                    errs.push(SelectorError::Invalid {
                        field: index(&values_path, i),
                        value: quote(v),
                        detail: "for 'Gt', 'Lt' operators, the value must be an integer".into(),
                    });
                }
            }
        }
    }
    // Every value must be a valid label value (validateLabelValue, path `values[i][key]`).
    for (i, v) in values.iter().enumerate() {
        let value_errs = is_label_value(v);
        if !value_errs.is_empty() {
            errs.push(SelectorError::Invalid {
                field: format!("{}[{key}]", index(&values_path, i)),
                value: quote(v),
                detail: value_errs.join("; "),
            });
        }
    }
    errs
}

/// Allocation-free `requirement_errors(..).is_empty()`; used on the hot matching paths.
fn requirement_valid(key: &str, op: Operator, values: &[String]) -> bool {
    if !qualified_name_ok(key) {
        return false;
    }
    let shape_ok = match op {
        Operator::In | Operator::NotIn => !values.is_empty(),
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => values.len() == 1,
        Operator::Exists | Operator::DoesNotExist => values.is_empty(),
        Operator::GreaterThan | Operator::LessThan => {
            values.len() == 1 && values.iter().all(|v| parse_int64(v).is_some())
        }
    };
    shape_ok && values.iter().all(|v| label_value_ok(v))
}

/// `Requirement.Matches`:
/// (1) Exists: the key is present. (2) In/=/==: present and its value is in the set.
/// (3) NotIn/!=: absent, or present with a value not in the set. (4) DoesNotExist: absent.
/// (5) Gt/Lt: present, the label value and the single requirement value both parse as int64,
/// and the inequality holds; any parse failure is no match.
#[cellsim_derive::hot]
fn op_matches(op: Operator, key: &str, values: &[String], labels: &Labels) -> bool {
    match op {
        Operator::In | Operator::Equals | Operator::DoubleEquals => labels
            .get(key)
            .is_some_and(|v| values.iter().any(|x| x == v)),
        Operator::NotIn | Operator::NotEquals => labels
            .get(key)
            .is_none_or(|v| !values.iter().any(|x| x == v)),
        Operator::Exists => labels.contains_key(key),
        Operator::DoesNotExist => !labels.contains_key(key),
        Operator::GreaterThan | Operator::LessThan => {
            let Some(label_value) = labels.get(key).and_then(|v| parse_int64(v)) else {
                return false;
            };
            let [only] = values else {
                return false;
            };
            let Some(bound) = parse_int64(only) else {
                return false;
            };
            if op == Operator::GreaterThan {
                label_value > bound
            } else {
                label_value < bound
            }
        }
    }
}

impl Requirement {
    /// `labels.NewRequirement`: validates the key (qualified name), the value count for the
    /// operator, Gt/Lt integers and every value's label-value syntax; all errors are aggregated.
    /// The empty string is a valid value.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        aggregate(requirement_errors("", key, operator, &values))?;
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
        })
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values in the order given (parsed selectors: sorted, deduplicated).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// `Requirement.Matches`.
    #[cellsim_derive::hot]
    pub fn matches(&self, labels: &Labels) -> bool {
        op_matches(self.operator, &self.key, &self.values, labels)
    }
}

/// `Requirement.String`: `!key`, `key`, `key=v`, `key==v`, `key!=v`, `key>v`, `key<v`,
/// `key in (a,b)`, `key notin (a,b)`; several values are printed sorted without changing the
/// requirement itself (`safeSort`).
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        if let [only] = self.values.as_slice() {
            f.write_str(only)?;
        } else {
            let mut sorted: Vec<&str> = self.values.iter().map(String::as_str).collect();
            crate::sort::sort(&mut sorted);
            f.write_str(&sorted.join(","))?;
        }
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Selector (labels.Selector)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum SelectorKind {
    /// `labels.Nothing()`: matches no labels.
    Nothing,
    /// `internalSelector`: AND of requirements, sorted by key. Empty = `labels.Everything()`.
    Requirements(Vec<Requirement>),
}

/// A parsed label selector (`labels.Selector`): an AND of [`Requirement`]s kept sorted by key,
/// or the special "nothing" selector. Parse the kubectl `-l` string form with
/// [`Selector::parse`]; convert an API [`LabelSelector`] with [`as_selector`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    kind: SelectorKind,
}

impl Default for Selector {
    fn default() -> Self {
        Selector::everything()
    }
}

/// Stable sort by key (`sort.Sort(ByKey)`; Go's sort is insertion sort, hence stable, for the
/// at-most-12-element inputs that occur in practice, so ties keep input order as here).
fn sort_by_key(reqs: &mut [Requirement]) {
    crate::sort::sort_by(reqs, |a, b| a.key.cmp(&b.key));
}

impl Selector {
    /// `labels.Everything()`: no requirements; matches every label set.
    pub fn everything() -> Selector {
        Selector {
            kind: SelectorKind::Requirements(Vec::new()),
        }
    }

    /// `labels.Nothing()`: matches no label set (what a nil `LabelSelector` converts to).
    pub fn nothing() -> Selector {
        Selector {
            kind: SelectorKind::Nothing,
        }
    }

    /// A selector from already-validated requirements, sorted by key (`NewSelector().Add(..)`).
    pub fn from_requirements(mut reqs: Vec<Requirement>) -> Selector {
        sort_by_key(&mut reqs);
        Selector {
            kind: SelectorKind::Requirements(reqs),
        }
    }

    /// `labels.SelectorFromSet`: `key=value` for each pair; an empty set is `Everything`. Like
    /// upstream, the set is not validated.
    pub fn from_set(set: &Labels) -> Selector {
        let reqs = set
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![v.clone()],
            })
            .collect();
        Selector::from_requirements(reqs)
    }

    /// `labels.ValidatedSelectorFromSet`: as [`Selector::from_set`], but each pair goes through
    /// `NewRequirement`; the first invalid pair (in key order) is the error.
    pub fn validated_from_set(set: &Labels) -> Result<Selector, SelectorError> {
        let mut reqs = Vec::with_capacity(set.len());
        for (k, v) in set {
            reqs.push(Requirement::new(k, Operator::Equals, vec![v.clone()])?);
        }
        Ok(Selector::from_requirements(reqs))
    }

    /// `labels.Parse`: the kubectl `-l` grammar.
    ///
    /// ```text
    /// <selector-syntax>         ::= <requirement> | <requirement> "," <selector-syntax>
    /// <requirement>             ::= [!] KEY [ <set-based-restriction> | <exact-match-restriction> ]
    /// <set-based-restriction>   ::= "" | <inclusion-exclusion> <value-set>
    /// <inclusion-exclusion>     ::= "in" | "notin"
    /// <value-set>               ::= "(" <values> ")"
    /// <values>                  ::= VALUE | VALUE "," <values>
    /// <exact-match-restriction> ::= ["=" | "==" | "!=" | ">" | "<"] VALUE
    /// ```
    ///
    /// Requirements come out sorted by key; set values sorted and deduplicated; an empty string
    /// parses to `Everything`.
    pub fn parse(s: &str) -> Result<Selector, SelectorError> {
        let reqs = Parser::new(s).parse()?;
        Ok(Selector::from_requirements(reqs))
    }

    /// `Selector.Matches`: every requirement matches (`Nothing` matches nothing).
    #[cellsim_derive::hot]
    pub fn matches(&self, labels: &Labels) -> bool {
        match &self.kind {
            SelectorKind::Nothing => false,
            SelectorKind::Requirements(reqs) => reqs.iter().all(|r| r.matches(labels)),
        }
    }

    /// `Selector.Empty`: true when the selector does not restrict anything (`Everything`).
    /// `Nothing` is not empty.
    pub fn is_empty(&self) -> bool {
        matches!(&self.kind, SelectorKind::Requirements(r) if r.is_empty())
    }

    /// True for `labels.Nothing()`.
    pub fn is_nothing(&self) -> bool {
        self.kind == SelectorKind::Nothing
    }

    /// `Selector.Requirements`: the requirements (empty for both `Everything` and `Nothing`;
    /// tell them apart with [`Selector::is_nothing`]).
    pub fn requirements(&self) -> &[Requirement] {
        match &self.kind {
            SelectorKind::Nothing => &[],
            SelectorKind::Requirements(r) => r,
        }
    }

    /// `Selector.Add`: a copy with more requirements, re-sorted by key. `Nothing` stays `Nothing`.
    pub fn add(&self, more: impl IntoIterator<Item = Requirement>) -> Selector {
        match &self.kind {
            SelectorKind::Nothing => Selector::nothing(),
            SelectorKind::Requirements(reqs) => {
                let mut all = reqs.clone();
                all.extend(more);
                Selector::from_requirements(all)
            }
        }
    }

    /// `Selector.RequiresExactMatch`: if the first requirement on `label` is `=`, `==` or `in`
    /// with exactly one value, that value.
    pub fn requires_exact_match(&self, label: &str) -> Option<&str> {
        let r = self.requirements().iter().find(|r| r.key == label)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [only]) => Some(only),
            _ => None,
        }
    }
}

/// `Selector.String`: requirements (already sorted by key) joined by `,`; `Everything` and
/// `Nothing` both print as the empty string.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// labels.Parse: lexer and parser
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// `string2token`: the literal tokens (identifiers, end of string and errors are not here).
fn literal_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

/// `isWhitespace`: space, tab, CR, LF.
fn is_whitespace(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

/// `isSpecialSymbol`: characters that can start an operator.
fn is_special_symbol(ch: u8) -> bool {
    matches!(ch, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Byte-oriented lexer, as upstream. A NUL byte reads as "end" exactly like upstream's
/// `read()` returning 0. Delimiters are ASCII, so identifiers are always whole UTF-8 runs.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer {
            s: s.as_bytes(),
            pos: 0,
        }
    }

    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// `scanIDOrKeyword`: everything up to whitespace or a special symbol; `in`/`notin` are
    /// keywords, anything else an identifier.
    fn scan_id_or_keyword(&mut self) -> (Token, String) {
        let mut buf = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special_symbol(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            buf.push(ch);
        }
        let lit = String::from_utf8_lossy(&buf).into_owned();
        match literal_token(&buf) {
            Some(tok) => (tok, lit),
            None => (Token::Identifier, lit),
        }
    }

    /// `scanSpecialSymbol`: the longest run of special symbols that is still a token.
    fn scan_special_symbol(&mut self) -> (Token, String) {
        let mut last: Option<(Token, String)> = None;
        let mut buf = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special_symbol(ch) {
                self.unread();
                break;
            }
            buf.push(ch);
            if let Some(tok) = literal_token(&buf) {
                last = Some((tok, String::from_utf8_lossy(&buf).into_owned()));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        last.unwrap_or_else(|| {
            (
                Token::Error,
                format!(
                    "error expected: keyword found '{}'",
                    String::from_utf8_lossy(&buf)
                ),
            )
        })
    }

    /// `Lex`: skip whitespace, then a special-symbol token or an identifier/keyword.
    fn lex(&mut self) -> (Token, String) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, String::new());
        }
        self.unread();
        if is_special_symbol(ch) {
            self.scan_special_symbol()
        } else {
            self.scan_id_or_keyword()
        }
    }
}

/// `ParserContext`: in `Values` context the keywords `in`/`notin` are plain identifiers
/// (so `x in (in,notin)` and `notin=in` work).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

type ParseResult<T> = Result<T, SelectorError>;

fn syntax(msg: String) -> SelectorError {
    SelectorError::Parse(msg)
}

impl Parser {
    /// `scan`: lex the whole input up front, ending with an end-of-string token.
    fn new(s: &str) -> Self {
        let mut lexer = Lexer::new(s);
        let mut items = Vec::new();
        loop {
            let (tok, lit) = lexer.lex();
            let end = tok == Token::EndOfString;
            items.push((tok, lit));
            if end {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn item(&self, at: usize, ctx: Ctx) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(at)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        let tok = match (ctx, tok) {
            (Ctx::Values, Token::In | Token::NotIn) => Token::Identifier,
            (_, t) => t,
        };
        (tok, lit)
    }

    fn lookahead(&self, ctx: Ctx) -> (Token, String) {
        self.item(self.position, ctx)
    }

    fn consume(&mut self, ctx: Ctx) -> (Token, String) {
        let out = self.item(self.position, ctx);
        self.position += 1;
        out
    }

    /// `parse`: requirements separated by commas, up to end of string.
    fn parse(&mut self) -> ParseResult<Vec<Requirement>> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Ctx::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self.parse_requirement().map_err(|e| {
                        SelectorError::Parse(format!("unable to parse requirement: {e}"))
                    })?;
                    reqs.push(r);
                    let (t, l) = self.consume(Ctx::Values);
                    match t {
                        Token::EndOfString => return Ok(reqs),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Ctx::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(syntax(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(syntax(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )))
                        }
                    }
                }
                Token::EndOfString => return Ok(reqs),
                _ => {
                    return Err(syntax(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )))
                }
            }
        }
    }

    /// `parseRequirement`.
    fn parse_requirement(&mut self) -> ParseResult<Requirement> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(&key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(&key, op, values.into_iter().collect())
    }

    /// `parseKeyAndInferOperator`: `[!] KEY`; with nothing (or a comma) after the key the
    /// operator is `Exists` (or `DoesNotExist` after `!`). `!KEY` always yields `DoesNotExist`.
    fn parse_key_and_infer_operator(&mut self) -> ParseResult<(String, Option<Operator>)> {
        let mut op = None;
        let (mut tok, mut lit) = self.consume(Ctx::Values);
        if tok == Token::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Ctx::Values);
        }
        if tok != Token::Identifier {
            return Err(syntax(format!("found '{lit}', expected: identifier")));
        }
        let key_errs = is_qualified_name(&lit);
        if !key_errs.is_empty() {
            return Err(SelectorError::Invalid {
                field: String::new(),
                value: quote(&lit),
                detail: key_errs.join("; "),
            });
        }
        let (next, _) = self.lookahead(Ctx::Values);
        if (next == Token::EndOfString || next == Token::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((lit, op))
    }

    /// `parseOperator`.
    fn parse_operator(&mut self) -> ParseResult<Operator> {
        let (tok, lit) = self.consume(Ctx::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(syntax(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                )))
            }
        })
    }

    /// `parseValues`: `( v1, v2, ... )`; `()` is the set `{""}`.
    fn parse_values(&mut self) -> ParseResult<OrdSet<String>> {
        let (tok, lit) = self.consume(Ctx::Values);
        if tok != Token::OpenPar {
            return Err(syntax(format!("found '{lit}' expected: '('")));
        }
        let (tok, lit) = self.lookahead(Ctx::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Ctx::Values);
                if tok != Token::ClosedPar {
                    // Upstream reports the literal seen before the list here.
                    return Err(syntax(format!("found '{lit}', expected: ')'")));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Ctx::Values);
                Ok(OrdSet::from_iter([String::new()]))
            }
            _ => Err(syntax(format!(
                "found '{lit}', expected: ',', ')' or identifier"
            ))),
        }
    }

    /// `parseIdentifiersList`: comma-separated, possibly empty identifiers (`(,a)`, `(a,)` and
    /// `(a,,b)` all include `""`).
    fn parse_identifiers_list(&mut self) -> ParseResult<OrdSet<String>> {
        let mut set = OrdSet::new();
        loop {
            let (tok, lit) = self.consume(Ctx::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit);
                    let (tok2, lit2) = self.lookahead(Ctx::Values);
                    match tok2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(syntax(format!("found '{lit2}', expected: ',' or ')'"))),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert(String::new()); // "(,"
                    }
                    let (tok2, _) = self.lookahead(Ctx::Values);
                    if tok2 == Token::ClosedPar {
                        set.insert(String::new()); // ",)"
                        return Ok(set);
                    }
                    if tok2 == Token::Comma {
                        self.consume(Ctx::Values);
                        set.insert(String::new()); // ",,"
                    }
                }
                _ => {
                    return Err(syntax(format!(
                        "found '{lit}', expected: ',', or identifier"
                    )))
                }
            }
        }
    }

    /// `parseExactValue`: one identifier; nothing (end or comma) is the value `""`.
    fn parse_exact_value(&mut self) -> ParseResult<OrdSet<String>> {
        let (tok, _) = self.lookahead(Ctx::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(OrdSet::from_iter([String::new()]));
        }
        let (tok, lit) = self.consume(Ctx::Values);
        if tok == Token::Identifier {
            return Ok(OrdSet::from_iter([lit]));
        }
        Err(syntax(format!("found '{lit}', expected: identifier")))
    }
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector
// ---------------------------------------------------------------------------------------------

/// `null` in JSON/YAML reads as the empty collection, as Go's decoder does for maps and slices.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `metav1.LabelSelector`: `matchLabels` and `matchExpressions` are ANDed. An empty selector
/// matches everything; a missing (`None`) selector matches nothing (see [`selector_matches`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    #[serde(
        skip_serializing_if = "OrdMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub match_labels: Labels,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// `metav1.LabelSelectorRequirement`; `operator` is one of `In`, `NotIn`, `Exists`,
/// `DoesNotExist`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub values: Vec<String>,
}

/// `metav1.LabelSelectorOperator` → `selection.Operator` (LabelSelectorAsSelector's switch).
fn label_selector_op(op: &str) -> Option<Operator> {
    Some(match op {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        _ => return None,
    })
}

impl LabelSelector {
    /// `metav1validation.ValidateLabelSelector` with default options: `matchLabels` keys are
    /// qualified names and values label values; each expression's operator is `In`/`NotIn` (with
    /// at least one value) or `Exists`/`DoesNotExist` (with none), its key a qualified name and
    /// its values label values. All errors are reported.
    pub fn validate(&self) -> Result<(), SelectorError> {
        let mut errs = Vec::new();
        // ValidateLabels(matchLabels, "matchLabels"): the path is the map, not the entry.
        for (k, v) in &self.match_labels {
            validate_label_name(k, "matchLabels", &mut errs);
            for msg in is_label_value(v) {
                errs.push(SelectorError::Invalid {
                    field: "matchLabels".into(),
                    value: quote(v),
                    detail: msg,
                });
            }
        }
        for (i, expr) in self.match_expressions.iter().enumerate() {
            let path = index("matchExpressions", i);
            match expr.operator.as_str() {
                "In" | "NotIn" => {
                    if expr.values.is_empty() {
                        errs.push(SelectorError::Required {
                            field: child(&path, "values"),
                            detail: "must be specified when `operator` is 'In' or 'NotIn'".into(),
                        });
                    }
                }
                "Exists" | "DoesNotExist" => {
                    if !expr.values.is_empty() {
                        errs.push(SelectorError::Forbidden {
                            field: child(&path, "values"),
                            detail:
                                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                                    .into(),
                        });
                    }
                }
                other => errs.push(SelectorError::Invalid {
                    field: child(&path, "operator"),
                    value: quote(other),
                    detail: "not a valid selector operator".into(),
                }),
            }
            validate_label_name(&expr.key, &child(&path, "key"), &mut errs);
            // !opts.AllowInvalidLabelValueInSelector: values must be label values.
            let values_path = child(&path, "values");
            for (j, v) in expr.values.iter().enumerate() {
                for msg in is_label_value(v) {
                    errs.push(SelectorError::Invalid {
                        field: index(&values_path, j),
                        value: quote(v),
                        detail: msg,
                    });
                }
            }
        }
        aggregate(errs)
    }

    /// Whether `labels` satisfy the selector, with `LabelSelectorAsSelector` semantics: an empty
    /// selector matches everything; a selector that does not convert (invalid key, value or
    /// operator) matches nothing.
    #[cellsim_derive::hot]
    pub fn matches(&self, labels: &Labels) -> bool {
        // Equivalent to `as_selector(self).map_or(false, |s| s.matches(labels))`, without
        // allocating: every requirement is ANDed and any conversion error yields "no match", so
        // each requirement must both be valid and match.
        for (k, v) in &self.match_labels {
            let values = std::slice::from_ref(v);
            if !requirement_valid(k, Operator::Equals, values)
                || !op_matches(Operator::Equals, k, values, labels)
            {
                return false;
            }
        }
        for expr in &self.match_expressions {
            let Some(op) = label_selector_op(&expr.operator) else {
                return false;
            };
            if !requirement_valid(&expr.key, op, &expr.values)
                || !op_matches(op, &expr.key, &expr.values, labels)
            {
                return false;
            }
        }
        true
    }

    /// No `matchLabels` and no `matchExpressions`.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// [`as_selector`] as a method.
    pub fn to_selector(&self) -> Result<Selector, SelectorError> {
        as_selector(self)
    }
}

/// `ValidateLabelName`: one `field.Invalid` per `IsQualifiedName` message.
fn validate_label_name(key: &str, path: &str, errs: &mut Vec<SelectorError>) {
    for msg in is_qualified_name(key) {
        errs.push(SelectorError::Invalid {
            field: path.to_string(),
            value: quote(key),
            detail: msg,
        });
    }
}

/// `metav1.LabelSelectorAsSelector` for a present selector: empty → `Everything`; otherwise
/// `key=value` for each `matchLabels` entry plus one requirement per expression, sorted by key.
/// Returns the first requirement's error (`NewRequirement` rules) or
/// `"%q is not a valid pod selector operator"` for an unknown operator.
pub fn as_selector(sel: &LabelSelector) -> Result<Selector, SelectorError> {
    if sel.is_empty() {
        return Ok(Selector::everything());
    }
    let mut reqs = Vec::with_capacity(sel.match_labels.len() + sel.match_expressions.len());
    for (k, v) in &sel.match_labels {
        reqs.push(Requirement::new(k, Operator::Equals, vec![v.clone()])?);
    }
    for expr in &sel.match_expressions {
        let op = label_selector_op(&expr.operator)
            .ok_or_else(|| SelectorError::InvalidOperator(expr.operator.clone()))?;
        reqs.push(Requirement::new(&expr.key, op, expr.values.clone())?);
    }
    Ok(Selector::from_requirements(reqs))
}

/// `metav1.LabelSelectorAsSelector` including the nil case: `None` → `Nothing`.
pub fn label_selector_as_selector(sel: Option<&LabelSelector>) -> Result<Selector, SelectorError> {
    match sel {
        None => Ok(Selector::nothing()),
        Some(s) => as_selector(s),
    }
}

impl TryFrom<&LabelSelector> for Selector {
    type Error = SelectorError;

    fn try_from(sel: &LabelSelector) -> Result<Self, Self::Error> {
        as_selector(sel)
    }
}

/// Upstream's nil-aware matching: a missing selector matches nothing (`LabelSelectorAsSelector(nil)`
/// is `labels.Nothing()`); a present one is [`LabelSelector::matches`].
pub fn selector_matches(sel: Option<&LabelSelector>, labels: &Labels) -> bool {
    sel.is_some_and(|s| s.matches(labels))
}

/// `metav1.FormatLabelSelector`: the selector's string form, `<none>` when that is empty, and
/// `<error>` when it does not convert.
pub fn format_label_selector(sel: Option<&LabelSelector>) -> String {
    match label_selector_as_selector(sel) {
        Err(_) => "<error>".to_string(),
        Ok(s) => {
            let out = s.to_string();
            if out.is_empty() {
                "<none>".to_string()
            } else {
                out
            }
        }
    }
}

/// `metav1.ParseToLabelSelector`: parse the string form into an API `LabelSelector`. `=`/`==`
/// become `matchLabels`; `in`/`notin`/exists/`!` become expressions; `!=`, `>` and `<` have no
/// `LabelSelector` form and are errors.
pub fn parse_to_label_selector(s: &str) -> Result<LabelSelector, SelectorError> {
    let mut reqs = Parser::new(s).parse().map_err(|e| {
        SelectorError::Other(format!("couldn't parse the selector string \"{s}\": {e}"))
    })?;
    sort_by_key(&mut reqs);
    let mut out = LabelSelector::default();
    for r in reqs {
        let op = match r.operator {
            Operator::Equals | Operator::DoubleEquals => {
                let value = r.values.into_iter().next().unwrap_or_default();
                out.match_labels.insert(r.key, value);
                continue;
            }
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
            Operator::GreaterThan | Operator::LessThan => {
                return Err(SelectorError::Other(format!(
                    "{:?} isn't supported in label selectors",
                    r.operator.as_str()
                )))
            }
            Operator::NotEquals => {
                return Err(SelectorError::Other(format!(
                    "{:?} is not a valid label selector operator",
                    r.operator.as_str()
                )))
            }
        };
        out.match_expressions.push(LabelSelectorRequirement {
            key: r.key,
            operator: op.to_string(),
            values: r.values,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// v1.NodeSelector (nodeAffinity required terms)
// ---------------------------------------------------------------------------------------------

/// `v1.NodeSelector`: the terms are ORed. An empty list matches no node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelector {
    #[serde(deserialize_with = "null_as_default")]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// `v1.NodeSelectorTerm`: all `matchExpressions` (over node labels) and all `matchFields`
/// (over node fields; only `metadata.name`) must hold. A term with neither matches no node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorTerm {
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// `v1.NodeSelectorRequirement`; `operator` is one of `In`, `NotIn`, `Exists`, `DoesNotExist`,
/// `Gt`, `Lt` (`matchFields`: `In`, `NotIn` only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[decode(with = "crate::yaml::decode::null_as_default")]
    pub values: Vec<String>,
}

/// `validSelectorOperators` in nodeaffinity.go.
const NODE_SELECTOR_OPERATORS: [&str; 6] = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
/// `validFieldSelectorOperators` in nodeaffinity.go.
const NODE_FIELD_SELECTOR_OPERATORS: [&str; 2] = ["In", "NotIn"];

/// `v1.NodeSelectorOperator` → `selection.Operator` (nodeSelectorRequirementsAsSelector).
fn node_selector_op(op: &str) -> Option<Operator> {
    Some(match op {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        "Gt" => Operator::GreaterThan,
        "Lt" => Operator::LessThan,
        _ => return None,
    })
}

impl NodeSelectorTerm {
    /// `isEmptyNodeSelectorTerm`: no expressions and no fields.
    pub fn is_empty(&self) -> bool {
        self.match_expressions.is_empty() && self.match_fields.is_empty()
    }

    /// `nodeSelectorTerm.match` for a parsed term (nodeaffinity.go):
    /// - an empty term matches nothing;
    /// - a term that does not parse (unknown operator, a `NewRequirement` error such as a bad
    ///   key, bad label value, wrong value count or non-integer `Gt`/`Lt` value, or a field
    ///   requirement that is not `In`/`NotIn` with exactly one value) matches nothing;
    /// - every expression must match the node labels;
    /// - every field requirement must hold for the node's fields, `{metadata.name: node_name}`:
    ///   `In` is `field == value`, `NotIn` is `field != value`, an unknown field reads as `""`.
    ///   As upstream, field requirements are skipped when the node has no name.
    #[cellsim_derive::hot]
    pub fn matches(&self, node_name: &str, node_labels: &Labels) -> bool {
        if self.is_empty() {
            return false;
        }
        // All checks are ANDed and a parse error means "no match", so short-circuiting on the
        // first failure is exactly upstream's result.
        for expr in &self.match_expressions {
            let Some(op) = node_selector_op(&expr.operator) else {
                return false;
            };
            if !requirement_valid(&expr.key, op, &expr.values)
                || !op_matches(op, &expr.key, &expr.values, node_labels)
            {
                return false;
            }
        }
        for req in &self.match_fields {
            // fields.OneTermEqualSelector / OneTermNotEqualSelector.
            let want_equal = match req.operator.as_str() {
                "In" => true,
                "NotIn" => false,
                _ => return false,
            };
            let [value] = req.values.as_slice() else {
                return false;
            };
            // extractNodeFields only sets metadata.name when the name is non-empty, and
            // term.match skips the field selector when there are no fields.
            if !node_name.is_empty() {
                let field = if req.key == OBJECT_NAME_FIELD {
                    node_name
                } else {
                    ""
                };
                if (field == value) != want_equal {
                    return false;
                }
            }
        }
        true
    }

    /// `ValidateNodeSelectorTerm` (API validation), paths relative to the term.
    pub fn validate(&self) -> Result<(), SelectorError> {
        let mut errs = Vec::new();
        validate_node_selector_term(self, "", &mut errs);
        aggregate(errs)
    }
}

impl NodeSelector {
    /// `LazyErrorNodeSelector.Match` / `NodeSelector.Match`: true when any term matches (terms
    /// are ORed; empty or unparsable terms never match; no terms → no match).
    #[cellsim_derive::hot]
    pub fn matches(&self, node_name: &str, node_labels: &Labels) -> bool {
        self.node_selector_terms
            .iter()
            .any(|t| t.matches(node_name, node_labels))
    }

    /// `ValidateNodeSelector` (API-server validation of `requiredDuringScheduling...`): at least
    /// one term; per expression the operator/value-count rules, a qualified-name key and
    /// label-value values; per field requirement `In`/`NotIn` with exactly one value, key
    /// `metadata.name`, value a DNS-1123 subdomain. Like upstream, a `Gt`/`Lt` value that is not
    /// an integer passes validation (such a term then never matches; see [`NodeSelector::parse_check`]).
    pub fn validate(&self) -> Result<(), SelectorError> {
        let mut errs = Vec::new();
        if self.node_selector_terms.is_empty() {
            errs.push(SelectorError::Required {
                field: "nodeSelectorTerms".into(),
                detail: "must have at least one node selector term".into(),
            });
        }
        for (i, term) in self.node_selector_terms.iter().enumerate() {
            validate_node_selector_term(term, &index("nodeSelectorTerms", i), &mut errs);
        }
        aggregate(errs)
    }

    /// The errors upstream's `nodeaffinity.NewNodeSelector` reports eagerly: every non-empty term
    /// must convert (see [`NodeSelectorTerm::matches`] for the rules). A term listed here never
    /// matches. Paths as upstream, e.g. `nodeSelectorTerms[0].matchFields[0].values`.
    pub fn parse_check(&self) -> Result<(), SelectorError> {
        let mut errs = Vec::new();
        for (i, term) in self.node_selector_terms.iter().enumerate() {
            if term.is_empty() {
                continue;
            }
            let path = index("nodeSelectorTerms", i);
            if !term.match_expressions.is_empty() {
                if let Err(e) = requirements_as_selector(
                    &term.match_expressions,
                    &child(&path, "matchExpressions"),
                ) {
                    errs.push(e);
                }
            }
            if !term.match_fields.is_empty() {
                field_selector_errors(&term.match_fields, &child(&path, "matchFields"), &mut errs);
            }
        }
        aggregate(errs)
    }
}

/// `nodeSelectorRequirementsAsSelector` (nodeaffinity.go): no requirements → `Nothing`;
/// otherwise one `Requirement` per entry (operators `In`, `NotIn`, `Exists`, `DoesNotExist`,
/// `Gt`, `Lt`), sorted by key; all errors aggregated, paths `[i].key` etc.
pub fn node_selector_requirements_as_selector(
    reqs: &[NodeSelectorRequirement],
) -> Result<Selector, SelectorError> {
    requirements_as_selector(reqs, "")
}

fn requirements_as_selector(
    reqs: &[NodeSelectorRequirement],
    path: &str,
) -> Result<Selector, SelectorError> {
    if reqs.is_empty() {
        return Ok(Selector::nothing());
    }
    let mut errs = Vec::new();
    let mut out = Vec::with_capacity(reqs.len());
    for (i, expr) in reqs.iter().enumerate() {
        let p = index(path, i);
        let Some(op) = node_selector_op(&expr.operator) else {
            errs.push(SelectorError::NotSupported {
                field: child(&p, "operator"),
                value: quote(&expr.operator),
                supported: NODE_SELECTOR_OPERATORS
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            });
            continue;
        };
        let req_errs = requirement_errors(&p, &expr.key, op, &expr.values);
        if req_errs.is_empty() {
            out.push(Requirement {
                key: expr.key.clone(),
                operator: op,
                values: expr.values.clone(),
            });
        } else {
            errs.extend(req_errs);
        }
    }
    aggregate(errs)?;
    Ok(Selector::from_requirements(out))
}

/// `nodeSelectorRequirementsAsFieldSelector`'s errors: `In`/`NotIn` with exactly one value.
fn field_selector_errors(
    reqs: &[NodeSelectorRequirement],
    path: &str,
    errs: &mut Vec<SelectorError>,
) {
    for (i, req) in reqs.iter().enumerate() {
        let p = index(path, i);
        match req.operator.as_str() {
            "In" | "NotIn" => {
                if req.values.len() != 1 {
                    errs.push(SelectorError::Invalid {
                        field: child(&p, "values"),
                        value: go_string_slice(&req.values),
                        detail: "must have one element".into(),
                    });
                }
            }
            other => errs.push(SelectorError::NotSupported {
                field: child(&p, "operator"),
                value: quote(other),
                supported: NODE_FIELD_SELECTOR_OPERATORS
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            }),
        }
    }
}

/// `ValidateNodeSelectorTerm` → `ValidateNodeSelectorRequirement` /
/// `ValidateNodeFieldSelectorRequirement` (pkg/apis/core/validation).
fn validate_node_selector_term(term: &NodeSelectorTerm, path: &str, errs: &mut Vec<SelectorError>) {
    let expr_path = child(path, "matchExpressions");
    for (j, req) in term.match_expressions.iter().enumerate() {
        let p = index(&expr_path, j);
        match req.operator.as_str() {
            "In" | "NotIn" => {
                if req.values.is_empty() {
                    errs.push(SelectorError::Required {
                        field: child(&p, "values"),
                        detail: "must be specified when `operator` is 'In' or 'NotIn'".into(),
                    });
                }
            }
            "Exists" | "DoesNotExist" => {
                if !req.values.is_empty() {
                    errs.push(SelectorError::Forbidden {
                        field: child(&p, "values"),
                        detail:
                            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                                .into(),
                    });
                }
            }
            "Gt" | "Lt" => {
                if req.values.len() != 1 {
                    errs.push(SelectorError::Required {
                        field: child(&p, "values"),
                        detail: "must be specified single value when `operator` is 'Lt' or 'Gt'"
                            .into(),
                    });
                }
            }
            other => errs.push(SelectorError::Invalid {
                field: child(&p, "operator"),
                value: quote(other),
                detail: "not a valid selector operator".into(),
            }),
        }
        validate_label_name(&req.key, &child(&p, "key"), errs);
        // !allowInvalidLabelValueInRequiredNodeAffinity: values must be label values.
        let values_path = child(&p, "values");
        for (k, v) in req.values.iter().enumerate() {
            for msg in is_label_value(v) {
                errs.push(SelectorError::Invalid {
                    field: index(&values_path, k),
                    value: quote(v),
                    detail: msg,
                });
            }
        }
    }
    let field_path = child(path, "matchFields");
    for (j, req) in term.match_fields.iter().enumerate() {
        let p = index(&field_path, j);
        match req.operator.as_str() {
            "In" | "NotIn" => {
                if req.values.len() != 1 {
                    errs.push(SelectorError::Required {
                        field: child(&p, "values"),
                        detail: "must be only one value when `operator` is 'In' or 'NotIn' for node field selector".into(),
                    });
                }
            }
            other => errs.push(SelectorError::Invalid {
                field: child(&p, "operator"),
                value: quote(other),
                detail: "not a valid selector operator".into(),
            }),
        }
        // nodeFieldSelectorValidators: only metadata.name, validated as a node name
        // (NameIsDNSSubdomain).
        if req.key == OBJECT_NAME_FIELD {
            let values_path = child(&p, "values");
            for (k, v) in req.values.iter().enumerate() {
                for msg in is_dns1123_subdomain(v) {
                    errs.push(SelectorError::Invalid {
                        field: index(&values_path, k),
                        value: quote(v),
                        detail: msg,
                    });
                }
            }
        } else {
            errs.push(SelectorError::Invalid {
                field: child(&p, "key"),
                value: quote(&req.key),
                detail: "not a valid field selector key".into(),
            });
        }
    }
}

/// `nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`: the pod's `spec.nodeSelector` map
/// (exact `key=value` matches, `SelectorFromSet`, unvalidated; ignored when empty) AND, when
/// present, `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
/// `labels.SelectorFromSet(set).Matches(labels)`: every key of the set has that value (an
/// empty set selects everything). Service selectors and `nodeSelector` are such sets.
pub fn set_selects(set: &Labels, labels: &Labels) -> bool {
    set.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub fn required_node_affinity_matches(
    node_selector: &Labels,
    required: Option<&NodeSelector>,
    node_name: &str,
    node_labels: &Labels,
) -> bool {
    if !set_selects(node_selector, node_labels) {
        return false;
    }
    required.is_none_or(|ns| ns.matches(node_name, node_labels))
}

// ---------------------------------------------------------------------------------------------
// Tests: transcriptions of upstream's table tests (each table names its upstream test), plus
// cellsim rows for validation, Gt/Lt edge cases and serde.
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// `getRequirement`: a requirement through `NewRequirement` with sorted values
    /// (`sets.NewString(..).List()`).
    fn req(key: &str, op: Operator, vals: &[&str]) -> Requirement {
        let mut v = strs(vals);
        v.sort();
        v.dedup();
        Requirement::new(key, op, v).expect("valid requirement")
    }

    /// An unsorted `internalSelector{...}` literal.
    fn internal(reqs: Vec<Requirement>) -> Selector {
        Selector {
            kind: SelectorKind::Requirements(reqs),
        }
    }

    fn nsr(key: &str, op: &str, vals: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: strs(vals),
        }
    }

    fn term(
        exprs: Vec<NodeSelectorRequirement>,
        fields: Vec<NodeSelectorRequirement>,
    ) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: exprs,
            match_fields: fields,
        }
    }

    fn lsr(key: &str, op: &str, vals: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: strs(vals),
        }
    }

    use Operator::*;

    // ---- labels/selector_test.go -------------------------------------------------------------

    /// Upstream `TestSelectorParse`: good strings parse and re-print as the input without spaces;
    /// bad strings fail.
    #[test]
    fn selector_parse() {
        let good = [
            "x=a,y=b,z=c",
            "",
            "x!=a,y=b",
            "x=",
            "x= ",
            "x=,z= ",
            "x= ,z= ",
            "!x",
            "x>1",
            "x>1,z<5",
        ];
        for s in good {
            let sel = Selector::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(sel.to_string(), s.replace(' ', ""), "{s:?}");
        }
        let bad = ["x=a||y=b", "x==a==b", "!x=a", "x<a"];
        for s in bad {
            assert!(Selector::parse(s).is_err(), "{s:?} should not parse");
        }
    }

    /// Upstream `TestDeterministicParse`.
    #[test]
    fn deterministic_parse() {
        let a = Selector::parse("x=a,a=x").unwrap();
        let b = Selector::parse("a=x,x=a").unwrap();
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(a, b);
    }

    /// Upstream `TestEverything`, `TestSetIsEmpty`, `TestNilMapIsValid`.
    #[test]
    fn everything_and_empty() {
        assert!(Selector::everything().matches(&ls(&[("x", "y")])));
        assert!(Selector::everything().is_empty());
        assert!(Selector::from_set(&Labels::new()).is_empty());
        assert!(Selector::parse("").unwrap().is_empty());
        assert!(!Selector::nothing().is_empty());
        assert!(!Selector::nothing().matches(&Labels::new()));
        assert_eq!(Selector::nothing().to_string(), "");
    }

    /// Upstream `TestSelectorMatches` (expectMatch / expectNoMatch).
    #[test]
    fn selector_matches_table() {
        let labelset = ls(&[("foo", "bar"), ("baz", "blah")]);
        let rows: Vec<(&str, Labels, bool)> = vec![
            ("", ls(&[("x", "y")]), true),
            ("x=y", ls(&[("x", "y")]), true),
            ("x=y,z=w", ls(&[("x", "y"), ("z", "w")]), true),
            ("x!=y,z!=w", ls(&[("x", "z"), ("z", "a")]), true),
            ("notin=in", ls(&[("notin", "in")]), true), // in and notin in exactMatch
            ("x", ls(&[("x", "z")]), true),
            ("!x", ls(&[("y", "z")]), true),
            ("x>1", ls(&[("x", "2")]), true),
            ("x<1", ls(&[("x", "0")]), true),
            ("x=z", ls(&[]), false),
            ("x=y", ls(&[("x", "z")]), false),
            ("x=y,z=w", ls(&[("x", "w"), ("z", "w")]), false),
            ("x!=y,z!=w", ls(&[("x", "z"), ("z", "w")]), false),
            ("x", ls(&[("y", "z")]), false),
            ("!x", ls(&[("x", "z")]), false),
            ("x>1", ls(&[("x", "0")]), false),
            ("x<1", ls(&[("x", "2")]), false),
            ("foo=bar", labelset.clone(), true),
            ("baz=blah", labelset.clone(), true),
            ("foo=bar,baz=blah", labelset.clone(), true),
            ("foo=blah", labelset.clone(), false),
            ("baz=bar", labelset.clone(), false),
            ("foo=bar,foobar=bar,baz=blah", labelset.clone(), false),
        ];
        for (s, labels, want) in rows {
            let sel = Selector::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(sel.matches(&labels), want, "{s:?} on {labels:?}");
        }
    }

    /// Upstream `TestSetMatches` (expectMatchDirect).
    #[test]
    fn set_matches() {
        let labelset = ls(&[("foo", "bar"), ("baz", "blah")]);
        for set in [
            ls(&[]),
            ls(&[("foo", "bar")]),
            ls(&[("baz", "blah")]),
            ls(&[("foo", "bar"), ("baz", "blah")]),
        ] {
            assert!(Selector::from_set(&set).matches(&labelset), "{set:?}");
        }
    }

    /// Upstream `TestLexer`: the first token of each string (Lex returns the longest valid
    /// token; non-special characters are identifiers).
    #[test]
    fn lexer() {
        let rows = [
            ("", Token::EndOfString),
            (",", Token::Comma),
            ("notin", Token::NotIn),
            ("in", Token::In),
            ("=", Token::Equals),
            ("==", Token::DoubleEquals),
            (">", Token::GreaterThan),
            ("<", Token::LessThan),
            ("!", Token::DoesNotExist),
            ("!=", Token::NotEquals),
            ("(", Token::OpenPar),
            (")", Token::ClosedPar),
            ("~", Token::Identifier),
            ("||", Token::Identifier),
        ];
        for (s, want) in rows {
            let (tok, lit) = Lexer::new(s).lex();
            assert_eq!(tok, want, "{s:?}");
            assert_eq!(lit, s, "{s:?}");
        }
    }

    /// Upstream `TestLexerSequence` and `TestParserLookahead`: whole token sequences.
    #[test]
    fn lexer_sequence() {
        use Token as T;
        let rows: Vec<(&str, Vec<Token>)> = vec![
            (
                "key in ( value )",
                vec![
                    T::Identifier,
                    T::In,
                    T::OpenPar,
                    T::Identifier,
                    T::ClosedPar,
                ],
            ),
            (
                "key notin ( value )",
                vec![
                    T::Identifier,
                    T::NotIn,
                    T::OpenPar,
                    T::Identifier,
                    T::ClosedPar,
                ],
            ),
            (
                "key in ( value1, value2 )",
                vec![
                    T::Identifier,
                    T::In,
                    T::OpenPar,
                    T::Identifier,
                    T::Comma,
                    T::Identifier,
                    T::ClosedPar,
                ],
            ),
            ("key", vec![T::Identifier]),
            ("!key", vec![T::DoesNotExist, T::Identifier]),
            ("()", vec![T::OpenPar, T::ClosedPar]),
            ("", vec![]),
            (
                "x in (),y",
                vec![
                    T::Identifier,
                    T::In,
                    T::OpenPar,
                    T::ClosedPar,
                    T::Comma,
                    T::Identifier,
                ],
            ),
            (
                "== != (), = notin",
                vec![
                    T::DoubleEquals,
                    T::NotEquals,
                    T::OpenPar,
                    T::ClosedPar,
                    T::Comma,
                    T::Equals,
                    T::NotIn,
                ],
            ),
            ("key>2", vec![T::Identifier, T::GreaterThan, T::Identifier]),
            ("key<1", vec![T::Identifier, T::LessThan, T::Identifier]),
        ];
        for (s, want) in rows {
            let p = Parser::new(s);
            let got: Vec<Token> = p.items.iter().map(|(t, _)| *t).collect();
            let mut want_eos = want.clone();
            want_eos.push(T::EndOfString);
            assert_eq!(got, want_eos, "{s:?}");
        }
    }

    /// Upstream `TestRequirementConstructor`.
    #[test]
    fn requirement_constructor() {
        let long_key = "a".repeat(254); // breaks DNS rule that len(key) <= 253
        let rows: Vec<(&str, Operator, Vec<&str>, bool)> = vec![
            ("x", In, vec![], false),
            ("x", NotIn, vec![], false),
            ("x", In, vec!["foo"], true),
            ("x", NotIn, vec!["foo"], true),
            ("x", Exists, vec![], true),
            ("x", DoesNotExist, vec![], true),
            ("1foo", In, vec!["bar"], true),
            ("1234", In, vec!["bar"], true),
            ("y", GreaterThan, vec!["1"], true),
            ("z", LessThan, vec!["6"], true),
            ("foo", GreaterThan, vec!["bar"], false),
            ("barz", LessThan, vec!["blah"], false),
            (long_key.as_str(), Exists, vec![], false),
        ];
        for (key, op, vals, ok) in rows {
            let got = Requirement::new(key, op, strs(&vals));
            assert_eq!(got.is_ok(), ok, "{key:?} {op} {vals:?}: {got:?}");
            assert_eq!(requirement_valid(key, op, &strs(&vals)), ok, "{key:?}");
        }
    }

    /// Upstream `TestToString` (the row built from a zero `Requirement{}` is not representable:
    /// our operator is an enum, so there is no zero/invalid requirement).
    #[test]
    fn to_string() {
        let rows = vec![
            (
                internal(vec![
                    req("x", In, &["abc", "def"]),
                    req("y", NotIn, &["jkl"]),
                    req("z", Exists, &[]),
                ]),
                "x in (abc,def),y notin (jkl),z",
            ),
            (
                internal(vec![
                    req("x", NotIn, &["abc", "def"]),
                    req("y", NotEquals, &["jkl"]),
                    req("z", DoesNotExist, &[]),
                ]),
                "x notin (abc,def),y!=jkl,!z",
            ),
            (
                internal(vec![
                    req("x", NotIn, &["abc"]),
                    req("y", In, &["jkl", "mno"]),
                    req("z", NotIn, &[""]),
                ]),
                "x notin (abc),y in (jkl,mno),z notin ()",
            ),
            (
                internal(vec![
                    req("x", Equals, &["abc"]),
                    req("y", DoubleEquals, &["jkl"]),
                    req("z", NotEquals, &["a"]),
                    req("z", Exists, &[]),
                ]),
                "x=abc,y==jkl,z!=a,z",
            ),
            (
                internal(vec![
                    req("x", GreaterThan, &["2"]),
                    req("y", LessThan, &["8"]),
                    req("z", Exists, &[]),
                ]),
                "x>2,y<8,z",
            ),
        ];
        for (sel, want) in rows {
            assert_eq!(sel.to_string(), want);
        }
        // safeSort: printing sorts a copy, the requirement keeps its order.
        let r = Requirement::new("k", In, strs(&["foo", "bar"])).unwrap();
        assert_eq!(r.to_string(), "k in (bar,foo)");
        assert_eq!(r.values(), strs(&["foo", "bar"]).as_slice());
    }

    /// Upstream `TestRequirementSelectorMatching` (the zero-`Requirement` row is not
    /// representable, see `to_string`).
    #[test]
    fn requirement_selector_matching() {
        let rows = vec![
            (
                ls(&[("x", "foo"), ("y", "baz")]),
                internal(vec![req("x", In, &["foo"]), req("y", NotIn, &["alpha"])]),
                true,
            ),
            (
                ls(&[("x", "foo"), ("y", "baz")]),
                internal(vec![req("x", In, &["foo"]), req("y", In, &["alpha"])]),
                false,
            ),
            (
                ls(&[("y", "")]),
                internal(vec![req("x", NotIn, &[""]), req("y", Exists, &[])]),
                true,
            ),
            (
                ls(&[("y", "")]),
                internal(vec![req("x", DoesNotExist, &[]), req("y", Exists, &[])]),
                true,
            ),
            (
                ls(&[("y", "")]),
                internal(vec![req("x", NotIn, &[""]), req("y", DoesNotExist, &[])]),
                false,
            ),
            (
                ls(&[("y", "baz")]),
                internal(vec![req("x", In, &[""])]),
                false,
            ),
            (
                ls(&[("z", "2")]),
                internal(vec![req("z", GreaterThan, &["1"])]),
                true,
            ),
            (
                ls(&[("z", "v2")]),
                internal(vec![req("z", GreaterThan, &["1"])]),
                false,
            ),
        ];
        for (labels, sel, want) in rows {
            assert_eq!(sel.matches(&labels), want, "{sel} on {labels:?}");
        }
    }

    /// Upstream `TestSetSelectorParser`: (input, expected requirements or None, compare?, valid).
    #[test]
    fn set_selector_parser() {
        type Row = (&'static str, Option<Vec<Requirement>>, bool, bool);
        let rows: Vec<Row> = vec![
            ("", Some(vec![]), true, true),
            ("\rx", Some(vec![req("x", Exists, &[])]), true, true),
            (
                "this-is-a-dns.domain.com/key-with-dash",
                Some(vec![req(
                    "this-is-a-dns.domain.com/key-with-dash",
                    Exists,
                    &[],
                )]),
                true,
                true,
            ),
            (
                "this-is-another-dns.domain.com/key-with-dash in (so,what)",
                Some(vec![req(
                    "this-is-another-dns.domain.com/key-with-dash",
                    In,
                    &["so", "what"],
                )]),
                true,
                true,
            ),
            (
                "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
                Some(vec![req(
                    "0.1.2.domain/99",
                    NotIn,
                    &["10.10.100.1", "tick.tack.clock"],
                )]),
                true,
                true,
            ),
            (
                "foo  in\t (abc)",
                Some(vec![req("foo", In, &["abc"])]),
                true,
                true,
            ),
            (
                "x notin\n (abc)",
                Some(vec![req("x", NotIn, &["abc"])]),
                true,
                true,
            ),
            (
                "x  notin\t\t\t(abc,def)",
                Some(vec![req("x", NotIn, &["abc", "def"])]),
                true,
                true,
            ),
            (
                "x in (abc,def)",
                Some(vec![req("x", In, &["abc", "def"])]),
                true,
                true,
            ),
            (
                "x in (abc,)",
                Some(vec![req("x", In, &["abc", ""])]),
                true,
                true,
            ),
            ("x in ()", Some(vec![req("x", In, &[""])]), true, true),
            (
                "x notin (abc,,def),bar,z in (),w",
                Some(vec![
                    req("bar", Exists, &[]),
                    req("w", Exists, &[]),
                    req("x", NotIn, &["abc", "", "def"]),
                    req("z", In, &[""]),
                ]),
                true,
                true,
            ),
            (
                "x,y in (a)",
                Some(vec![req("y", In, &["a"]), req("x", Exists, &[])]),
                false,
                true,
            ),
            ("x=a", Some(vec![req("x", Equals, &["a"])]), true, true),
            ("x>1", Some(vec![req("x", GreaterThan, &["1"])]), true, true),
            ("x<7", Some(vec![req("x", LessThan, &["7"])]), true, true),
            (
                "x=a,y!=b",
                Some(vec![req("x", Equals, &["a"]), req("y", NotEquals, &["b"])]),
                true,
                true,
            ),
            (
                "x=a,y!=b,z in (h,i,j)",
                Some(vec![
                    req("x", Equals, &["a"]),
                    req("y", NotEquals, &["b"]),
                    req("z", In, &["h", "i", "j"]),
                ]),
                true,
                true,
            ),
            ("x=a||y=b", Some(vec![]), false, false),
            ("x,,y", None, true, false),
            (",x,y", None, true, false),
            ("x nott in (y)", None, true, false),
            (
                "x notin ( )",
                Some(vec![req("x", NotIn, &[""])]),
                true,
                true,
            ),
            (
                "x notin (, a)",
                Some(vec![req("x", NotIn, &["", "a"])]),
                true,
                true,
            ),
            ("a in (xyz),", None, true, false),
            ("a in (xyz)b notin ()", None, true, false),
            ("a ", Some(vec![req("a", Exists, &[])]), true, true),
            (
                "a in (x,y,notin, z,in)",
                Some(vec![req("a", In, &["in", "notin", "x", "y", "z"])]),
                true,
                true,
            ), // operator 'in' inside list of identifiers
            ("a in (xyz abc)", None, false, false), // no comma
            ("a notin(", None, true, false),        // bad formed
            ("a (", None, false, false),            // cpar
            ("(", None, false, false),              // opar
        ];
        for (input, out, compare, valid) in rows {
            let got = Selector::parse(input);
            assert_eq!(got.is_ok(), valid, "{input:?}: {got:?}");
            if let (Ok(sel), true, Some(want)) = (&got, compare, out) {
                assert_eq!(sel, &internal(want), "{input:?}");
            }
        }
    }

    /// Upstream `TestAdd`.
    #[test]
    fn add() {
        let r = |k: &str, op, v: &[&str]| Requirement {
            key: k.into(),
            operator: op,
            values: strs(v),
        };
        let rows = vec![
            (
                internal(vec![]),
                r("key", In, &["value"]),
                internal(vec![r("key", In, &["value"])]),
            ),
            (
                internal(vec![r("key", In, &["value"])]),
                r("key2", Equals, &["value2"]),
                internal(vec![
                    r("key", In, &["value"]),
                    r("key2", Equals, &["value2"]),
                ]),
            ),
        ];
        for (sel, extra, want) in rows {
            assert_eq!(sel.add([extra]), want);
        }
        assert!(Selector::nothing().add([r("k", Exists, &[])]).is_nothing());
    }

    /// Upstream `TestRequiresExactMatch`.
    #[test]
    fn requires_exact_match() {
        let r = |k: &str, op, v: &[&str]| Requirement {
            key: k.into(),
            operator: op,
            values: strs(v),
        };
        let rows = vec![
            (
                internal(vec![r("key", In, &["value"])]),
                "key",
                Some("value"),
            ),
            (
                internal(vec![r("key", In, &["value", "value2"])]),
                "key",
                None,
            ),
            (
                internal(vec![
                    r("key", In, &["value", "value1"]),
                    r("key2", In, &["value2"]),
                ]),
                "key2",
                Some("value2"),
            ),
            (
                internal(vec![r("key", Equals, &["value"])]),
                "key",
                Some("value"),
            ),
            (
                internal(vec![r("key", DoubleEquals, &["value"])]),
                "key",
                Some("value"),
            ),
            (internal(vec![r("key", NotEquals, &["value"])]), "key", None),
            (
                internal(vec![r("key", In, &["value"]), r("key2", In, &["value2"])]),
                "key",
                Some("value"),
            ),
        ];
        for (sel, label, want) in rows {
            assert_eq!(sel.requires_exact_match(label), want, "{sel} / {label}");
        }
    }

    /// Upstream `TestValidatedSelectorFromSet`.
    #[test]
    fn validated_selector_from_set() {
        let ok = Selector::validated_from_set(&ls(&[("key", "val")])).unwrap();
        assert_eq!(ok, internal(vec![req("key", Equals, &["val"])]));
        let long = "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui";
        let err = Selector::validated_from_set(&ls(&[("Key", long)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("values[0][Key]: Invalid value: \"{long}\": must be no more than 63 bytes")
        );
    }

    // ---- apis/meta/v1/helpers_test.go --------------------------------------------------------

    /// Upstream `TestLabelSelectorAsSelector`.
    #[test]
    fn label_selector_as_selector_table() {
        let match_labels = ls(&[("foo", "bar")]);
        let match_expressions = vec![lsr("baz", "In", &["qux", "norf"])];
        let must_parse = |s: &str| Selector::parse(s).unwrap();
        let rows: Vec<(Option<LabelSelector>, Option<Selector>)> = vec![
            (None, Some(Selector::nothing())),
            (Some(LabelSelector::default()), Some(Selector::everything())),
            (
                Some(LabelSelector {
                    match_labels: match_labels.clone(),
                    ..Default::default()
                }),
                Some(must_parse("foo=bar")),
            ),
            (
                Some(LabelSelector {
                    match_expressions: match_expressions.clone(),
                    ..Default::default()
                }),
                Some(must_parse("baz in (norf,qux)")),
            ),
            (
                Some(LabelSelector {
                    match_labels: match_labels.clone(),
                    match_expressions: match_expressions.clone(),
                }),
                Some(must_parse("baz in (norf,qux),foo=bar")),
            ),
            (
                Some(LabelSelector {
                    match_expressions: vec![lsr("baz", "Exists", &["qux", "norf"])],
                    ..Default::default()
                }),
                None, // expectErr
            ),
        ];
        for (input, want) in rows {
            let got = label_selector_as_selector(input.as_ref());
            match want {
                // Upstream compares fmt.Sprint of both.
                Some(w) => assert_eq!(got.unwrap().to_string(), w.to_string(), "{input:?}"),
                None => assert!(got.is_err(), "{input:?}"),
            }
        }
    }

    /// `LabelSelectorAsSelector` semantics through the convenience API: nil matches nothing,
    /// empty matches everything, invalid matches nothing, unknown operator errors.
    #[test]
    fn label_selector_matching_semantics() {
        let any = ls(&[("app", "web")]);
        assert!(!selector_matches(None, &any));
        assert!(selector_matches(Some(&LabelSelector::default()), &any));
        assert!(LabelSelector::default().matches(&Labels::new()));
        let bad_op = LabelSelector {
            match_expressions: vec![lsr("app", "Equals", &["web"])],
            ..Default::default()
        };
        assert!(!bad_op.matches(&any));
        assert_eq!(
            as_selector(&bad_op).unwrap_err().to_string(),
            "\"Equals\" is not a valid pod selector operator"
        );
        let bad_value = LabelSelector {
            match_labels: ls(&[("app", "we b")]),
            ..Default::default()
        };
        assert!(!bad_value.matches(&ls(&[("app", "we b")])));
        assert_eq!(format_label_selector(Some(&bad_value)), "<error>");
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(
            format_label_selector(Some(&LabelSelector::default())),
            "<none>"
        );
        let sel = LabelSelector {
            match_labels: ls(&[("app", "web")]),
            match_expressions: vec![
                lsr("tier", "NotIn", &["db"]),
                lsr("env", "In", &["prod", "canary"]),
                lsr("legacy", "DoesNotExist", &[]),
            ],
        };
        assert_eq!(
            format_label_selector(Some(&sel)),
            "app=web,env in (canary,prod),!legacy,tier notin (db)"
        );
        // Rows: (labels, matches)
        let rows = [
            (ls(&[("app", "web"), ("env", "prod")]), true),
            (
                ls(&[("app", "web"), ("env", "canary"), ("tier", "fe")]),
                true,
            ),
            (
                ls(&[("app", "web"), ("env", "prod"), ("tier", "db")]),
                false,
            ),
            (ls(&[("app", "web"), ("env", "dev")]), false),
            (ls(&[("app", "web")]), false),
            (
                ls(&[("app", "web"), ("env", "prod"), ("legacy", "")]),
                false,
            ),
            (ls(&[("app", "api"), ("env", "prod")]), false),
        ];
        for (labels, want) in rows {
            assert_eq!(sel.matches(&labels), want, "{labels:?}");
            assert_eq!(
                as_selector(&sel).unwrap().matches(&labels),
                want,
                "{labels:?}"
            );
        }
    }

    /// `ParseToLabelSelector` round trips through `LabelSelectorAsSelector`.
    #[test]
    fn parse_to_label_selector_rows() {
        let rows = [
            (
                "app=web,env in (prod,canary),!legacy",
                Some("app=web,env in (canary,prod),!legacy"),
            ),
            ("a==b,c", Some("a=b,c")),
            ("x notin (a)", Some("x notin (a)")),
            ("a!=b", None),
            ("a>1", None),
            ("a in (", None),
        ];
        for (input, want) in rows {
            let got = parse_to_label_selector(input);
            match want {
                Some(w) => assert_eq!(
                    as_selector(&got.unwrap()).unwrap().to_string(),
                    w,
                    "{input:?}"
                ),
                None => assert!(got.is_err(), "{input:?}"),
            }
        }
    }

    /// cellsim rows for `ValidateLabelSelector` (rules of ValidateLabelSelectorRequirement,
    /// ValidateLabels, IsQualifiedName, IsLabelValue).
    #[test]
    fn label_selector_validate_rows() {
        let ok = |s: LabelSelector| s.validate().is_ok();
        let with_expr = |e: LabelSelectorRequirement| LabelSelector {
            match_expressions: vec![e],
            ..Default::default()
        };
        let with_labels = |l: Labels| LabelSelector {
            match_labels: l,
            ..Default::default()
        };
        let rows = [
            (LabelSelector::default(), true),
            (with_labels(ls(&[("app", "web")])), true),
            (with_labels(ls(&[("example.com/app", "")])), true),
            (with_labels(ls(&[("app", "-web")])), false),
            (with_labels(ls(&[("Example.com/app", "web")])), false),
            (with_labels(ls(&[("a/b/c", "web")])), false),
            (with_labels(ls(&[("/app", "web")])), false),
            (with_expr(lsr("app", "In", &["a", "b"])), true),
            (with_expr(lsr("app", "In", &[])), false),
            (with_expr(lsr("app", "NotIn", &[])), false),
            (with_expr(lsr("app", "Exists", &[])), true),
            (with_expr(lsr("app", "Exists", &["x"])), false),
            (with_expr(lsr("app", "DoesNotExist", &["x"])), false),
            (with_expr(lsr("app", "Gt", &["1"])), false),
            (with_expr(lsr("app", "in", &["x"])), false),
            (with_expr(lsr("", "Exists", &[])), false),
            (with_expr(lsr("app", "In", &["bad value"])), false),
        ];
        for (sel, want) in rows {
            assert_eq!(ok(sel.clone()), want, "{sel:?}: {:?}", sel.validate());
        }
        let err = with_expr(lsr("bad key", "Exists", &["x"]))
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "[matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist', \
             matchExpressions[0].key: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', \
             and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', \
             regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]"
        );
        let err = with_expr(lsr("app", "Equals", &["x"]))
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator"
        );
    }

    /// The allocation-free validity checks agree with the message-producing ones.
    #[test]
    fn fast_checks_agree() {
        let keys = [
            "a",
            "A",
            "1",
            "a-b",
            "a_b",
            "a.b",
            "-a",
            "a-",
            "",
            "a b",
            "x/y",
            "/y",
            "x/",
            "x/y/z",
            "Ex.com/a",
            "ex.com/a",
            "ex..com/a",
            "-ex.com/a",
            "kubernetes.io/hostname",
            "ü",
        ];
        let long_name = "a".repeat(64);
        let long_prefix = format!("{}/a", "a".repeat(254));
        let mut all: Vec<&str> = keys.to_vec();
        all.push(&long_name);
        all.push(&long_prefix);
        for k in &all {
            assert_eq!(
                qualified_name_ok(k),
                is_qualified_name(k).is_empty(),
                "key {k:?}"
            );
            assert_eq!(
                label_value_ok(k),
                is_label_value(k).is_empty(),
                "value {k:?}"
            );
            assert_eq!(
                dns1123_subdomain_ok(k),
                is_dns1123_subdomain(k).is_empty(),
                "dns {k:?}"
            );
        }
        assert!(is_label_value("").is_empty());
        assert!(!is_qualified_name("").is_empty());
        assert_eq!(
            is_qualified_name(""),
            vec![
                "name part must be non-empty".to_string(),
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string(),
            ]
        );
        for op in [
            In,
            NotIn,
            Equals,
            DoubleEquals,
            NotEquals,
            Exists,
            DoesNotExist,
            GreaterThan,
            LessThan,
        ] {
            for vals in [
                vec![],
                vec!["1"],
                vec!["a"],
                vec!["1", "2"],
                vec!["bad value"],
                vec!["-1"],
            ] {
                for key in ["k", "bad key"] {
                    let v = strs(&vals);
                    assert_eq!(
                        requirement_valid(key, op, &v),
                        requirement_errors("", key, op, &v).is_empty(),
                        "{key} {op} {vals:?}"
                    );
                }
            }
        }
    }

    // ---- component-helpers nodeaffinity_test.go ----------------------------------------------

    /// Upstream `TestNodeSelectorMatch` (the nil-node row has no counterpart: we match by name
    /// and labels).
    #[test]
    fn node_selector_match() {
        // "invalid field selector and label selector"
        let invalid = NodeSelector {
            node_selector_terms: vec![
                term(
                    vec![],
                    vec![nsr("metadata.name", "In", &["host_1", "host_2"])],
                ),
                term(
                    vec![nsr("label_1", "In", &["label_1_val"])],
                    vec![nsr("metadata.name", "In", &["host_1"])],
                ),
                term(vec![nsr("invalid key", "In", &["label_value"])], vec![]),
            ],
        };
        let err = invalid.parse_check().unwrap_err();
        assert_eq!(
            err,
            SelectorError::Aggregate(vec![
                SelectorError::Invalid {
                    field: "nodeSelectorTerms[0].matchFields[0].values".into(),
                    value: "[]string{\"host_1\", \"host_2\"}".into(),
                    detail: "must have one element".into(),
                },
                SelectorError::Invalid {
                    field: "nodeSelectorTerms[2].matchExpressions[0].key".into(),
                    value: "\"invalid key\"".into(),
                    detail: "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".into(),
                },
            ])
        );
        assert!(invalid.validate().is_err());
        // The valid middle term still works lazily (LazyErrorNodeSelector).
        assert!(invalid.matches("host_1", &ls(&[("label_1", "label_1_val")])));
        assert!(!invalid.matches("host_2", &ls(&[("label_1", "label_1_val")])));

        let both = NodeSelector {
            node_selector_terms: vec![term(
                vec![nsr("label_1", "In", &["label_1_val"])],
                vec![nsr("metadata.name", "In", &["host_1"])],
            )],
        };
        let second = NodeSelector {
            node_selector_terms: vec![
                term(vec![nsr("label_1", "In", &["label_1_val"])], vec![]),
                term(vec![], vec![nsr("metadata.name", "In", &["host_1"])]),
            ],
        };
        let rows = [
            // "node matches field selector, but not labels"
            (&both, "host_1", ls(&[]), false),
            // "node matches field selector and label selector"
            (&both, "host_1", ls(&[("label_1", "label_1_val")]), true),
            // "second term matches"
            (&second, "host_1", ls(&[]), true),
        ];
        for (sel, name, labels, want) in rows {
            assert!(sel.parse_check().is_ok());
            assert_eq!(sel.matches(name, &labels), want, "{name} {labels:?}");
        }
    }

    /// Upstream `TestNodeSelectorRequirementsAsSelector`.
    #[test]
    fn node_selector_requirements_as_selector_table() {
        let must_parse = |s: &str| Selector::parse(s).unwrap();
        let rows: Vec<(Vec<NodeSelectorRequirement>, Result<Selector, &str>)> = vec![
            (vec![], Ok(Selector::nothing())),
            (vec![nsr("foo", "In", &["bar", "baz"])], Ok(must_parse("foo in (baz,bar)"))),
            (
                vec![nsr("foo", "Exists", &["bar", "baz"])],
                Err("[0].values: Invalid value: []string{\"bar\", \"baz\"}: values set must be empty for exists and does not exist"),
            ),
            (vec![nsr("foo", "Gt", &["1"])], Ok(must_parse("foo>1"))),
            (vec![nsr("bar", "Lt", &["7"])], Ok(must_parse("bar<7"))),
            (
                vec![nsr("foo", "Equals", &["1"])],
                Err("[0].operator: Unsupported value: \"Equals\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\""),
            ),
        ];
        for (input, want) in rows {
            let got = node_selector_requirements_as_selector(&input);
            match want {
                Ok(w) => assert_eq!(got.unwrap(), w, "{input:?}"),
                Err(msg) => assert_eq!(got.unwrap_err().to_string(), msg, "{input:?}"),
            }
        }
    }

    /// Upstream `TestPodMatchesNodeSelectorAndAffinityTerms`:
    /// (name, pod nodeSelector, required affinity, node name, node labels, want).
    #[test]
    fn pod_matches_node_selector_and_affinity_terms() {
        let aff = |terms: Vec<NodeSelectorTerm>| {
            Some(NodeSelector {
                node_selector_terms: terms,
            })
        };
        let expr_term = |e: Vec<NodeSelectorRequirement>| term(e, vec![]);
        let name_in = |n: &str| term(vec![], vec![nsr(OBJECT_NAME_FIELD, "In", &[n])]);
        type Row = (
            &'static str,
            Labels,
            Option<NodeSelector>,
            &'static str,
            Labels,
            bool,
        );
        let rows: Vec<Row> = vec![
            ("no selector", ls(&[]), None, "", ls(&[]), true),
            (
                "missing labels",
                ls(&[("foo", "bar")]),
                None,
                "",
                ls(&[]),
                false,
            ),
            (
                "same labels",
                ls(&[("foo", "bar")]),
                None,
                "",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "node labels are superset",
                ls(&[("foo", "bar")]),
                None,
                "",
                ls(&[("foo", "bar"), ("baz", "blah")]),
                true,
            ),
            (
                "node labels are subset",
                ls(&[("foo", "bar"), ("baz", "blah")]),
                None,
                "",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                "matchExpressions using In operator that matches the existing node",
                ls(&[]),
                aff(vec![expr_term(vec![nsr("foo", "In", &["bar", "value2"])])]),
                "",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "matchExpressions using Gt operator that matches the existing node",
                ls(&[]),
                aff(vec![expr_term(vec![nsr(
                    "kernel-version",
                    "Gt",
                    &["0204"],
                )])]),
                "",
                ls(&[("kernel-version", "0206")]),
                true,
            ),
            (
                "matchExpressions using NotIn operator that matches the existing node",
                ls(&[]),
                aff(vec![expr_term(vec![nsr(
                    "mem-type",
                    "NotIn",
                    &["DDR", "DDR2"],
                )])]),
                "",
                ls(&[("mem-type", "DDR3")]),
                true,
            ),
            (
                "matchExpressions using Exists operator that matches the existing node",
                ls(&[]),
                aff(vec![expr_term(vec![nsr("GPU", "Exists", &[])])]),
                "",
                ls(&[("GPU", "NVIDIA-GRID-K1")]),
                true,
            ),
            (
                "affinity that don't match node's labels won't schedule onto the node",
                ls(&[]),
                aff(vec![expr_term(vec![nsr(
                    "foo",
                    "In",
                    &["value1", "value2"],
                )])]),
                "",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                "a nil []NodeSelectorTerm in affinity, can't match the node's labels",
                ls(&[]),
                aff(vec![]),
                "",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                // Go distinguishes nil and empty slices; both are `vec![]` here.
                "an empty []NodeSelectorTerm in affinity, can't match the node's labels",
                ls(&[]),
                serde_json::from_str::<NodeSelector>(r#"{"nodeSelectorTerms":[]}"#).ok(),
                "",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                "empty MatchExpressions is not a valid value will match no objects",
                ls(&[]),
                aff(vec![expr_term(vec![])]),
                "",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                "no Affinity will schedule onto a node",
                ls(&[]),
                None,
                "",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                // NodeAffinity present but RequiredDuringScheduling... nil: nothing to check.
                "Affinity but nil NodeSelector will schedule onto a node",
                ls(&[]),
                None,
                "",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "multiple matchExpressions ANDed that matches the existing node",
                ls(&[]),
                aff(vec![expr_term(vec![
                    nsr("GPU", "Exists", &[]),
                    nsr("GPU", "NotIn", &["AMD", "INTER"]),
                ])]),
                "",
                ls(&[("GPU", "NVIDIA-GRID-K1")]),
                true,
            ),
            (
                "multiple matchExpressions ANDed that doesn't match the existing node",
                ls(&[]),
                aff(vec![expr_term(vec![
                    nsr("GPU", "Exists", &[]),
                    nsr("GPU", "In", &["AMD", "INTER"]),
                ])]),
                "",
                ls(&[("GPU", "NVIDIA-GRID-K1")]),
                false,
            ),
            (
                "multiple NodeSelectorTerms ORed in affinity, matches the node's labels",
                ls(&[]),
                aff(vec![
                    expr_term(vec![nsr("foo", "In", &["bar", "value2"])]),
                    expr_term(vec![nsr("diffkey", "In", &["wrong", "value2"])]),
                ]),
                "",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "Affinity and PodSpec.NodeSelector both are satisfied",
                ls(&[("foo", "bar")]),
                aff(vec![expr_term(vec![nsr("foo", "Exists", &[])])]),
                "",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "Affinity matches node's labels but the PodSpec.NodeSelector is not satisfied",
                ls(&[("foo", "bar")]),
                aff(vec![expr_term(vec![nsr("foo", "Exists", &[])])]),
                "",
                ls(&[("foo", "barrrrrr")]),
                false,
            ),
            (
                "an invalid value in Affinity term won't be scheduled onto the node",
                ls(&[]),
                aff(vec![expr_term(vec![nsr(
                    "foo",
                    "NotIn",
                    &["invalid value: ___@#$%^"],
                )])]),
                "",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                "matchFields using In operator that matches the existing node",
                ls(&[]),
                aff(vec![name_in("node_1")]),
                "node_1",
                ls(&[]),
                true,
            ),
            (
                "matchFields using In operator that does not match the existing node",
                ls(&[]),
                aff(vec![name_in("node_1")]),
                "node_2",
                ls(&[]),
                false,
            ),
            (
                "two terms: matchFields does not match, but matchExpressions matches",
                ls(&[]),
                aff(vec![
                    name_in("node_1"),
                    expr_term(vec![nsr("foo", "In", &["bar"])]),
                ]),
                "node_2",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "one term: matchFields does not match, but matchExpressions matches",
                ls(&[]),
                aff(vec![term(
                    vec![nsr("foo", "In", &["bar"])],
                    vec![nsr(OBJECT_NAME_FIELD, "In", &["node_1"])],
                )]),
                "node_2",
                ls(&[("foo", "bar")]),
                false,
            ),
            (
                "one term: both matchFields and matchExpressions match",
                ls(&[]),
                aff(vec![term(
                    vec![nsr("foo", "In", &["bar"])],
                    vec![nsr(OBJECT_NAME_FIELD, "In", &["node_1"])],
                )]),
                "node_1",
                ls(&[("foo", "bar")]),
                true,
            ),
            (
                "two terms: both matchFields and matchExpressions do not match",
                ls(&[]),
                aff(vec![
                    name_in("node_1"),
                    expr_term(vec![nsr("foo", "In", &["not-match-to-bar"])]),
                ]),
                "node_2",
                ls(&[("foo", "bar")]),
                false,
            ),
        ];
        for (name, node_selector, affinity, node_name, labels, want) in rows {
            let got = required_node_affinity_matches(
                &node_selector,
                affinity.as_ref(),
                node_name,
                &labels,
            );
            assert_eq!(got, want, "{name}");
        }
    }

    /// cellsim rows for `Gt`/`Lt` (selector.go Requirement.Matches rule 5 and NewRequirement
    /// rule 5) and `matchFields` edge cases (nodeaffinity.go term.match), on one node term each.
    #[test]
    fn node_term_gt_lt_and_fields() {
        let one = |e: NodeSelectorRequirement| NodeSelector {
            node_selector_terms: vec![term(vec![e], vec![])],
        };
        let field = |f: NodeSelectorRequirement| NodeSelector {
            node_selector_terms: vec![term(vec![], vec![f])],
        };
        let rows: Vec<(&str, NodeSelector, &str, Labels, bool)> = vec![
            (
                "Gt greater",
                one(nsr("cpu", "Gt", &["4"])),
                "n",
                ls(&[("cpu", "8")]),
                true,
            ),
            (
                "Gt equal",
                one(nsr("cpu", "Gt", &["4"])),
                "n",
                ls(&[("cpu", "4")]),
                false,
            ),
            (
                "Gt less",
                one(nsr("cpu", "Gt", &["4"])),
                "n",
                ls(&[("cpu", "2")]),
                false,
            ),
            (
                "Lt less",
                one(nsr("cpu", "Lt", &["4"])),
                "n",
                ls(&[("cpu", "2")]),
                true,
            ),
            (
                "Lt equal",
                one(nsr("cpu", "Lt", &["4"])),
                "n",
                ls(&[("cpu", "4")]),
                false,
            ),
            (
                "Gt label missing",
                one(nsr("cpu", "Gt", &["4"])),
                "n",
                ls(&[]),
                false,
            ),
            (
                "Gt label not an int",
                one(nsr("cpu", "Gt", &["4"])),
                "n",
                ls(&[("cpu", "8a")]),
                false,
            ),
            (
                "Lt label not an int",
                one(nsr("cpu", "Lt", &["4"])),
                "n",
                ls(&[("cpu", "x")]),
                false,
            ),
            (
                "Gt value not an int",
                one(nsr("cpu", "Gt", &["four"])),
                "n",
                ls(&[("cpu", "8")]),
                false,
            ),
            (
                "Gt two values",
                one(nsr("cpu", "Gt", &["1", "2"])),
                "n",
                ls(&[("cpu", "8")]),
                false,
            ),
            (
                "Gt no values",
                one(nsr("cpu", "Gt", &[])),
                "n",
                ls(&[("cpu", "8")]),
                false,
            ),
            (
                "Gt leading zeros",
                one(nsr("v", "Gt", &["0099"])),
                "n",
                ls(&[("v", "100")]),
                true,
            ),
            (
                "Gt label beyond int64",
                one(nsr("v", "Gt", &["1"])),
                "n",
                ls(&[("v", "99999999999999999999")]),
                false,
            ),
            (
                "Gt int64 max",
                one(nsr("v", "Lt", &["9223372036854775807"])),
                "n",
                ls(&[("v", "1")]),
                true,
            ),
            // "-1" is not a valid label value, so NewRequirement rejects the term.
            (
                "Gt negative value",
                one(nsr("v", "Gt", &["-1"])),
                "n",
                ls(&[("v", "1")]),
                false,
            ),
            (
                "unknown operator",
                one(nsr("v", "Equals", &["1"])),
                "n",
                ls(&[("v", "1")]),
                false,
            ),
            (
                "In empty values",
                one(nsr("v", "In", &[])),
                "n",
                ls(&[("v", "1")]),
                false,
            ),
            (
                "NotIn absent key",
                one(nsr("v", "NotIn", &["1"])),
                "n",
                ls(&[]),
                true,
            ),
            (
                "DoesNotExist absent",
                one(nsr("v", "DoesNotExist", &[])),
                "n",
                ls(&[]),
                true,
            ),
            (
                "Exists with values",
                one(nsr("v", "Exists", &["1"])),
                "n",
                ls(&[("v", "1")]),
                false,
            ),
            (
                "field NotIn other",
                field(nsr(OBJECT_NAME_FIELD, "NotIn", &["a"])),
                "b",
                ls(&[]),
                true,
            ),
            (
                "field NotIn same",
                field(nsr(OBJECT_NAME_FIELD, "NotIn", &["a"])),
                "a",
                ls(&[]),
                false,
            ),
            (
                "field two values",
                field(nsr(OBJECT_NAME_FIELD, "In", &["a", "b"])),
                "a",
                ls(&[]),
                false,
            ),
            (
                "field Exists",
                field(nsr(OBJECT_NAME_FIELD, "Exists", &[])),
                "a",
                ls(&[]),
                false,
            ),
            (
                "field unknown key In",
                field(nsr("metadata.uid", "In", &["a"])),
                "a",
                ls(&[]),
                false,
            ),
            (
                "field unknown key NotIn",
                field(nsr("metadata.uid", "NotIn", &["a"])),
                "a",
                ls(&[]),
                true,
            ),
            (
                "field, unnamed node",
                field(nsr(OBJECT_NAME_FIELD, "In", &["a"])),
                "",
                ls(&[]),
                true,
            ),
            (
                "empty term",
                NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm::default()],
                },
                "a",
                ls(&[]),
                false,
            ),
            ("no terms", NodeSelector::default(), "a", ls(&[]), false),
        ];
        for (name, sel, node, labels, want) in rows {
            assert_eq!(sel.matches(node, &labels), want, "{name}");
            // Lazily-matching terms agree with eager conversion: a term that fails parse_check
            // never matches.
            if sel.parse_check().is_err() {
                assert!(!sel.matches(node, &labels), "{name}");
            }
        }
    }

    /// cellsim rows for `ValidateNodeSelector` (pkg/apis/core/validation).
    #[test]
    fn node_selector_validate_rows() {
        let one = |t: NodeSelectorTerm| NodeSelector {
            node_selector_terms: vec![t],
        };
        let rows: Vec<(NodeSelector, bool)> = vec![
            (NodeSelector::default(), false),
            (one(NodeSelectorTerm::default()), true), // empty term is valid, matches nothing
            (
                one(term(vec![nsr("zone", "In", &["a", "b"])], vec![])),
                true,
            ),
            (one(term(vec![nsr("zone", "In", &[])], vec![])), false),
            (one(term(vec![nsr("zone", "Exists", &[])], vec![])), true),
            (
                one(term(vec![nsr("zone", "DoesNotExist", &["a"])], vec![])),
                false,
            ),
            (one(term(vec![nsr("cpu", "Gt", &["2"])], vec![])), true),
            (
                one(term(vec![nsr("cpu", "Lt", &["2", "3"])], vec![])),
                false,
            ),
            (one(term(vec![nsr("cpu", "Gt", &["two"])], vec![])), true), // upstream: not checked here
            (one(term(vec![nsr("cpu", "Ge", &["2"])], vec![])), false),
            (
                one(term(vec![nsr("bad key", "Exists", &[])], vec![])),
                false,
            ),
            (
                one(term(vec![nsr("zone", "In", &["bad value"])], vec![])),
                false,
            ),
            (
                one(term(
                    vec![],
                    vec![nsr(OBJECT_NAME_FIELD, "In", &["node-1"])],
                )),
                true,
            ),
            (
                one(term(
                    vec![],
                    vec![nsr(OBJECT_NAME_FIELD, "In", &["node-1", "node-2"])],
                )),
                false,
            ),
            (
                one(term(vec![], vec![nsr(OBJECT_NAME_FIELD, "Exists", &[])])),
                false,
            ),
            (
                one(term(vec![], vec![nsr("metadata.uid", "In", &["x"])])),
                false,
            ),
            (
                one(term(
                    vec![],
                    vec![nsr(OBJECT_NAME_FIELD, "In", &["Node_1"])],
                )),
                false,
            ),
        ];
        for (sel, want) in rows {
            assert_eq!(
                sel.validate().is_ok(),
                want,
                "{sel:?}: {:?}",
                sel.validate()
            );
        }
        assert_eq!(
            NodeSelector::default().validate().unwrap_err().to_string(),
            "nodeSelectorTerms: Required value: must have at least one node selector term"
        );
        assert_eq!(
            one(term(vec![], vec![nsr("metadata.uid", "In", &["x"])])).validate().unwrap_err().to_string(),
            "nodeSelectorTerms[0].matchFields[0].key: Invalid value: \"metadata.uid\": not a valid field selector key"
        );
        assert!(term(vec![nsr("zone", "In", &["a"])], vec![])
            .validate()
            .is_ok());
    }

    /// Parse error messages follow upstream's parser text.
    #[test]
    fn parse_error_messages() {
        let rows = [
            ("x,,y", "found ',', expected: identifier after ','"),
            (",x", "found ',', expected: !, identifier, or 'end of string'"),
            ("x nott in (y)", "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"),
            ("a in (xyz),", "found '', expected: identifier after ','"),
            ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
            ("x in y", "unable to parse requirement: found 'y' expected: '('"),
            ("x==a==b", "found '==', expected: ',' or 'end of string'"),
            (
                "x<a",
                "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
        ];
        for (input, want) in rows {
            assert_eq!(
                Selector::parse(input).unwrap_err().to_string(),
                want,
                "{input:?}"
            );
        }
    }

    /// Lexer corner cases: `>=` is two tokens, NUL ends the input (upstream `read` returns 0),
    /// non-ASCII stays inside identifiers.
    #[test]
    fn lexer_corners() {
        assert!(Selector::parse("x>=1").is_err());
        assert_eq!(Selector::parse("a \0garbage").unwrap().to_string(), "a");
        assert!(Selector::parse("ключ=1").is_err()); // not a qualified name
        let sel = Selector::parse("a in (b), !c ,d!=e").unwrap();
        assert_eq!(sel.to_string(), "a in (b),!c,d!=e");
    }

    /// Serde: camelCase like the Kubernetes JSON, unknown fields ignored, nulls as empty, empty
    /// collections omitted on output (omitempty).
    #[test]
    fn serde_shapes() {
        let json = r#"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["fe","be"],"extra":1}],"unknown":true}"#;
        let sel: LabelSelector = serde_json::from_str(json).unwrap();
        assert_eq!(sel.match_labels, ls(&[("app", "web")]));
        assert_eq!(
            sel.match_expressions,
            vec![lsr("tier", "In", &["fe", "be"])]
        );
        assert_eq!(
            serde_json::to_string(&sel).unwrap(),
            r#"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["fe","be"]}]}"#
        );
        let empty: LabelSelector =
            serde_json::from_str(r#"{"matchLabels":null,"matchExpressions":null}"#).unwrap();
        assert!(empty.is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        let exists: LabelSelectorRequirement =
            serde_json::from_str(r#"{"key":"k","operator":"Exists"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&exists).unwrap(),
            r#"{"key":"k","operator":"Exists"}"#
        );

        let ns_json = r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}],"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}]}"#;
        let ns: NodeSelector = serde_json::from_str(ns_json).unwrap();
        assert_eq!(serde_json::to_string(&ns).unwrap(), ns_json);
        assert!(ns.matches("n1", &ls(&[("zone", "a")])));
        let ns_empty: NodeSelector = serde_json::from_str("{}").unwrap();
        assert_eq!(
            serde_json::to_string(&ns_empty).unwrap(),
            r#"{"nodeSelectorTerms":[]}"#
        );
    }
}
