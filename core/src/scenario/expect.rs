//! Expectations: assertions over the cluster's state, at a time, at the end, or always.

use super::spec::{Condition, ExpectEntry, PendingCondition, PodsCondition};
use crate::api::pod::{Pod, PodPhase};
use crate::api::selector::Selector;
use crate::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At(Duration),
    End,
    /// Checked after every instant of simulated time settles.
    Always,
}

#[derive(Debug, Clone)]
pub enum Check {
    Pods {
        selector: Selector,
        selector_text: String,
        namespace: Option<String>,
        phase: Option<PodPhase>,
        ready: Option<bool>,
        count: Option<u64>,
        min: Option<u64>,
        max: Option<u64>,
    },
    Pending {
        max: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub when: When,
    pub check: Check,
    pub description: String,
}

/// Why an entry does not compile: the field at fault, as a dotted path within the entry
/// (`end.pods.phase`; empty for the entry as a whole), and the message.
pub type CompileError = (String, String);

/// Validate an entry and turn it into an `Expectation`.
pub fn compile(e: &ExpectEntry) -> Result<Expectation, CompileError> {
    let whole = |m: &str| (String::new(), m.to_string());
    let (when, cond, prefix) = match (e.at, &e.always, &e.end) {
        (Some(t), None, None) => (
            When::At(t),
            Condition {
                pods: e.pods.clone(),
                pending: e.pending.clone(),
            },
            "",
        ),
        (None, Some(c), None) if e.pods.is_none() && e.pending.is_none() => {
            (When::Always, c.clone(), "always")
        }
        (None, None, Some(c)) if e.pods.is_none() && e.pending.is_none() => {
            (When::End, c.clone(), "end")
        }
        _ => {
            return Err(whole(
                "an expectation needs exactly one of `at: DURATION` (with `pods:` or `pending:` beside it), `always: {...}` or `end: {...}`",
            ))
        }
    };
    let check = match (cond.pods, cond.pending) {
        (Some(p), None) => pods_check(p).map_err(|(field, why)| {
            let path = [prefix, "pods", field]
                .into_iter()
                .filter(|s| !s.is_empty());
            (path.collect::<Vec<_>>().join("."), why)
        })?,
        (None, Some(PendingCondition { max })) => Check::Pending { max },
        _ => {
            return Err((
                prefix.to_string(),
                "an expectation checks exactly one of `pods` or `pending`".into(),
            ))
        }
    };
    let when_text = match when {
        When::At(t) => format!("at {t}"),
        When::End => "at the end".into(),
        When::Always => "always".into(),
    };
    let description = format!("{when_text}: {}", describe(&check));
    Ok(Expectation {
        when,
        check,
        description,
    })
}

/// A `pods` condition as a check; an error names the field at fault (empty: `pods` itself).
fn pods_check(p: PodsCondition) -> Result<Check, (&'static str, String)> {
    let selector = Selector::parse(&p.selector).map_err(|e| {
        (
            "selector",
            format!("invalid pods selector {:?}: {e}", p.selector),
        )
    })?;
    let phase = match &p.phase {
        None => None,
        Some(s) => Some(PodPhase::parse(s).ok_or_else(|| {
            (
                "phase",
                format!(
                    "unknown phase {s:?}: expected Pending, Running, Succeeded, Failed or Unknown"
                ),
            )
        })?),
    };
    if p.count.is_none() && p.min.is_none() && p.max.is_none() {
        return Err((
            "",
            "a pods expectation needs `count`, `min` or `max`".into(),
        ));
    }
    if p.count.is_some() && (p.min.is_some() || p.max.is_some()) {
        let other = if p.min.is_some() { "min" } else { "max" };
        return Err((
            other,
            format!("use either `count` or `min`/`max`, not both (`count` and `{other}` given)"),
        ));
    }
    if let (Some(lo), Some(hi)) = (p.min, p.max) {
        if lo > hi {
            return Err(("min", format!("min {lo} is greater than max {hi}")));
        }
    }
    Ok(Check::Pods {
        selector,
        selector_text: p.selector,
        namespace: p.namespace,
        phase,
        ready: p.ready,
        count: p.count,
        min: p.min,
        max: p.max,
    })
}

fn describe(c: &Check) -> String {
    match c {
        Check::Pending { max } => format!("at most {max} pending (unscheduled) pods"),
        Check::Pods {
            selector_text,
            namespace,
            phase,
            ready,
            count,
            min,
            max,
            ..
        } => {
            let mut s = String::from("pods");
            if !selector_text.is_empty() {
                s += &format!(" {selector_text}");
            }
            if let Some(ns) = namespace {
                s += &format!(" in {ns}");
            }
            if let Some(p) = phase {
                s += &format!(" {}", p.as_str());
            }
            if let Some(r) = ready {
                s += if *r { " ready" } else { " not ready" };
            }
            match (count, min, max) {
                (Some(n), _, _) => s += &format!(" = {n}"),
                (_, Some(lo), Some(hi)) => s += &format!(" in [{lo}, {hi}]"),
                (_, Some(lo), None) => s += &format!(" >= {lo}"),
                (_, None, Some(hi)) => s += &format!(" <= {hi}"),
                _ => {}
            }
            s
        }
    }
}

/// Evaluate a check against the current pods. Returns (passed, the observed value as text).
pub fn evaluate<'a>(check: &Check, pods: impl Iterator<Item = &'a Pod>) -> (bool, u64) {
    match check {
        Check::Pending { max } => {
            let n = pods
                .filter(|p| {
                    p.spec.node_name.is_empty()
                        && !p.is_terminal()
                        && p.metadata.deletion_at.is_none()
                })
                .count() as u64;
            (n <= *max, n)
        }
        Check::Pods {
            selector,
            namespace,
            phase,
            ready,
            count,
            min,
            max,
            ..
        } => {
            let n = pods
                .filter(|p| namespace.as_ref().is_none_or(|ns| p.namespace() == ns))
                .filter(|p| phase.is_none_or(|ph| p.status.phase == ph))
                .filter(|p| ready.is_none_or(|r| p.status.ready == r))
                .filter(|p| selector.matches(&p.metadata.labels))
                .count() as u64;
            let ok = count.is_none_or(|c| n == c)
                && min.is_none_or(|m| n >= m)
                && max.is_none_or(|m| n <= m);
            (ok, n)
        }
    }
}
