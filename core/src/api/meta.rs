//! `metadata` (ObjectMeta), owner references and the shared small types (IntOrString).

use super::selector::Labels;
use crate::collections::OrdMap;
use cellsim_derive::CompactDeserialize;
use serde::{Deserialize, Serialize};

/// The subset of `metav1.ObjectMeta` the model uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub labels: Labels,
    #[serde(skip_serializing_if = "OrdMap::is_empty")]
    pub annotations: OrdMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    /// Simulated milliseconds at creation (set by the store, not read from manifests).
    #[serde(skip)]
    pub created_at: u64,
    /// Kept by the store (`store::generation`), not read from manifests.
    #[serde(skip)]
    pub generation: i64,
    /// Set when a graceful deletion started (simulated milliseconds).
    #[serde(skip)]
    pub deletion_at: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

/// `metav1.OwnerReference`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

impl ObjectMeta {
    /// The controller owner (the reference with `controller: true`), as upstream's
    /// `metav1.GetControllerOf`.
    pub fn controller_of(&self) -> Option<&OwnerReference> {
        self.owner_references
            .iter()
            .find(|r| r.controller == Some(true))
    }
}

/// `intstr.IntOrString`: `maxSurge: 1` or `maxSurge: 25%`, `targetPort: 8080` or `targetPort: http`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    Str(String),
}

impl IntOrString {
    /// Upstream `intstr.GetScaledValueFromIntOrPercent`: an int is itself; `"N%"` is
    /// `N * total / 100`, rounded up or down as asked. Other strings are an error.
    pub fn scaled_value(&self, total: i64, round_up: bool) -> Result<i64, String> {
        match self {
            IntOrString::Int(v) => Ok(*v),
            IntOrString::Str(s) => {
                let pct = s
                    .strip_suffix('%')
                    .and_then(|n| n.parse::<i64>().ok())
                    .ok_or_else(|| format!("invalid value for IntOrString: invalid type: string is not a percentage: {s:?}"))?;
                let prod = pct.saturating_mul(total);
                Ok(if round_up {
                    (prod + 99).div_euclid(100)
                } else {
                    prod.div_euclid(100)
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_or_string_decodes_as_serde_reads_it() {
        crate::yaml::decode::assert_decodes_as_serde::<IntOrString>(&[
            "v: 1",
            "v: -7",
            "v: 0x1f",
            "v: '25%'",
            "v: 25%",
            "v: http",
            "v: \"80\"",
            "v: 9223372036854775807",
            "v: 9223372036854775808",
            "v: 1.5",
            "v: 1e3",
            "v: true",
            "v: ~",
            "v: [1]",
            "v: {a: 1}",
            "v: .inf",
        ]);
    }

    #[test]
    fn int_or_percent_scaling() {
        // Rows from k8s.io/apimachinery/pkg/util/intstr TestGetScaledValueFromIntOrPercent.
        let cases: [(IntOrString, i64, bool, Result<i64, ()>); 7] = [
            (IntOrString::Int(123), 0, false, Ok(123)),
            (IntOrString::Str("90%".into()), 100, true, Ok(90)),
            (IntOrString::Str("90%".into()), 95, true, Ok(86)),
            (IntOrString::Str("90%".into()), 95, false, Ok(85)),
            (IntOrString::Str("%".into()), 0, false, Err(())),
            (IntOrString::Str("#%".into()), 0, false, Err(())),
            (IntOrString::Str("90".into()), 100, true, Err(())),
        ];
        for (v, total, up, want) in cases {
            assert_eq!(
                v.scaled_value(total, up).map_err(|_| ()),
                want,
                "{v:?} {total} {up}"
            );
        }
    }
}
