//! Expectations: assertions over the cluster's state, at a time, at the end, or always.

use super::spec::{Condition, EventsCondition, ExpectEntry, PendingCondition, PodsCondition};
use crate::api::pod::{Pod, PodPhase};
use crate::api::selector::Selector;
use crate::engine::trace::EventFilter;
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
        restarts: Option<u64>,
        status: Option<String>,
        termination_reason: Option<String>,
        count: Option<u64>,
        min: Option<u64>,
        max: Option<u64>,
    },
    Pending {
        max: u64,
    },
    /// Trace events so far that match the filter.
    Events {
        filter: EventFilter,
        count: Option<u64>,
        min: Option<u64>,
        max: Option<u64>,
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
                events: e.events.clone(),
            },
            "",
        ),
        (None, Some(c), None) if e.pods.is_none() && e.pending.is_none() && e.events.is_none() => {
            (When::Always, c.clone(), "always")
        }
        (None, None, Some(c)) if e.pods.is_none() && e.pending.is_none() && e.events.is_none() => {
            (When::End, c.clone(), "end")
        }
        _ => {
            return Err(whole(
                "an expectation needs exactly one of `at: DURATION` (with `pods:`, `pending:` or `events:` beside it), `always: {...}` or `end: {...}`",
            ))
        }
    };
    let located = |kind: &'static str| {
        move |(field, why): (&'static str, String)| {
            let path = [prefix, kind, field].into_iter().filter(|s| !s.is_empty());
            (path.collect::<Vec<_>>().join("."), why)
        }
    };
    let check = match (cond.pods, cond.pending, cond.events) {
        (Some(p), None, None) => pods_check(p).map_err(located("pods"))?,
        (None, Some(PendingCondition { max }), None) => Check::Pending { max },
        (None, None, Some(ev)) => events_check(ev).map_err(located("events"))?,
        _ => {
            return Err((
                prefix.to_string(),
                "an expectation checks exactly one of `pods`, `pending` or `events`".into(),
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
    bounds("a pods", p.count, p.min, p.max)?;
    Ok(Check::Pods {
        selector,
        selector_text: p.selector,
        namespace: p.namespace,
        phase,
        ready: p.ready,
        restarts: p.restarts,
        status: p.status,
        termination_reason: p.termination_reason,
        count: p.count,
        min: p.min,
        max: p.max,
    })
}

/// `count` excludes `min`/`max`; at least one; `min` ≤ `max`.
fn bounds(
    what: &str,
    count: Option<u64>,
    min: Option<u64>,
    max: Option<u64>,
) -> Result<(), (&'static str, String)> {
    if count.is_none() && min.is_none() && max.is_none() {
        return Err((
            "",
            format!("{what} expectation needs `count`, `min` or `max`"),
        ));
    }
    if count.is_some() && (min.is_some() || max.is_some()) {
        let other = if min.is_some() { "min" } else { "max" };
        return Err((
            other,
            format!("use either `count` or `min`/`max`, not both (`count` and `{other}` given)"),
        ));
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(("min", format!("min {lo} is greater than max {hi}")));
        }
    }
    Ok(())
}

fn events_check(e: EventsCondition) -> Result<Check, (&'static str, String)> {
    if e.kind.trim().is_empty() {
        return Err(("type", "an events expectation needs a `type`".into()));
    }
    bounds("an events", e.count, e.min, e.max)?;
    Ok(Check::Events {
        filter: EventFilter {
            kind: e.kind,
            object: e.object,
            message: e.message,
        },
        count: e.count,
        min: e.min,
        max: e.max,
    })
}

fn bounds_text(count: &Option<u64>, min: &Option<u64>, max: &Option<u64>) -> String {
    match (count, min, max) {
        (Some(n), _, _) => format!(" = {n}"),
        (_, Some(lo), Some(hi)) => format!(" in [{lo}, {hi}]"),
        (_, Some(lo), None) => format!(" >= {lo}"),
        (_, None, Some(hi)) => format!(" <= {hi}"),
        _ => String::new(),
    }
}

fn within(n: u64, count: &Option<u64>, min: &Option<u64>, max: &Option<u64>) -> bool {
    count.is_none_or(|c| n == c) && min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
}

fn describe(c: &Check) -> String {
    match c {
        Check::Pending { max } => format!("at most {max} pending (unscheduled) pods"),
        Check::Pods {
            selector_text,
            namespace,
            phase,
            ready,
            restarts,
            status,
            termination_reason,
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
            if let Some(st) = status {
                s += &format!(" status {st}");
            }
            if let Some(r) = termination_reason {
                s += &format!(" terminated {r}");
            }
            if let Some(n) = restarts {
                s += &format!(" with {n} restarts");
            }
            s + &bounds_text(count, min, max)
        }
        Check::Events {
            filter,
            count,
            min,
            max,
        } => {
            let mut s = format!("events {}", filter.kind);
            if let Some(o) = &filter.object {
                s += &format!(" on {o}");
            }
            if let Some(m) = &filter.message {
                s += &format!(" with {m:?}");
            }
            s + &bounds_text(count, min, max)
        }
    }
}

/// Evaluate a check against the current pods; `events_seen` is the number of trace events
/// the check's filter matched so far (for `events`). Returns (passed, the observed count).
pub fn evaluate<'a>(
    check: &Check,
    pods: impl Iterator<Item = &'a Pod>,
    events_seen: u64,
) -> (bool, u64) {
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
            restarts,
            status,
            termination_reason,
            count,
            min,
            max,
            ..
        } => {
            let n = pods
                .filter(|p| namespace.as_ref().is_none_or(|ns| p.namespace() == ns))
                .filter(|p| phase.is_none_or(|ph| p.status.phase == ph))
                .filter(|p| ready.is_none_or(|r| p.status.ready == r))
                .filter(|p| restarts.is_none_or(|r| p.status.restart_count as u64 == r))
                .filter(|p| status.as_ref().is_none_or(|s| &p.display_status() == s))
                .filter(|p| {
                    termination_reason.as_ref().is_none_or(|r| {
                        p.status
                            .init_container_statuses
                            .iter()
                            .chain(&p.status.container_statuses)
                            .any(|c| {
                                [&c.state, &c.last_termination_state]
                                    .iter()
                                    .any(|s| s.terminated.as_ref().is_some_and(|t| &t.reason == r))
                            })
                    })
                })
                .filter(|p| selector.matches(&p.metadata.labels))
                .count() as u64;
            (within(n, count, min, max), n)
        }
        Check::Events {
            count, min, max, ..
        } => (within(events_seen, count, min, max), events_seen),
    }
}
