//! The trace: one JSON object per line, in the order events happened (design: "The trace").
//!
//! `traceHash` is the sha256 of exactly the bytes `--trace` writes, so the hash is computed
//! over the serialized lines as they are produced; the bytes themselves are kept only when the
//! caller asks for them (core does no I/O: the CLI writes them out).

use crate::time::SimTime;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// One trace event. Field order is part of the contract: `t`, `type`, `object`, `node`,
/// `message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    pub t: SimTime,
    #[serde(rename = "type")]
    pub kind: String,
    pub object: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub message: String,
}

/// Which trace events an `events` expectation counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFilter {
    /// The event's `type` (reason).
    pub kind: String,
    /// The object, exactly, or as a prefix when it ends in `*`.
    pub object: Option<String>,
    /// A substring of the message.
    pub message: Option<String>,
}

impl EventFilter {
    pub fn matches(&self, e: &TraceEvent) -> bool {
        e.kind == self.kind
            && self
                .object
                .as_deref()
                .is_none_or(|o| match o.strip_suffix('*') {
                    Some(prefix) => e.object.starts_with(prefix),
                    None => e.object == o,
                })
            && self
                .message
                .as_deref()
                .is_none_or(|m| e.message.contains(m))
    }
}

/// Hashes (and optionally keeps) the trace lines.
pub struct TraceWriter {
    hasher: Sha256,
    bytes: Option<Vec<u8>>,
    events: u64,
    /// The last few events, for summaries and the playground's log.
    recent: VecDeque<TraceEvent>,
    keep_recent: usize,
    /// Filters counted as events are emitted (for `events` expectations).
    watches: Vec<(EventFilter, u64)>,
}

impl TraceWriter {
    /// `keep_bytes`: keep the serialized lines for `--trace`. `keep_recent`: how many of the
    /// latest events to keep in memory as structs.
    pub fn new(keep_bytes: bool, keep_recent: usize) -> TraceWriter {
        TraceWriter {
            hasher: Sha256::new(),
            bytes: keep_bytes.then(Vec::new),
            events: 0,
            recent: VecDeque::new(),
            keep_recent,
            watches: Vec::new(),
        }
    }

    /// Count the events matching `f` from now on (for `events` expectations; `Sim` watches
    /// every expectation's filter before the run starts, so a count is of the whole trace).
    /// Watching a filter twice keeps one count.
    pub fn watch(&mut self, f: EventFilter) {
        if !self.watches.iter().any(|(w, _)| *w == f) {
            self.watches.push((f, 0));
        }
    }

    /// How many events matched the watched filter `f` so far (0 when `f` is not watched).
    pub fn watched(&self, f: &EventFilter) -> u64 {
        self.watches
            .iter()
            .find(|(w, _)| w == f)
            .map_or(0, |(_, n)| *n)
    }

    pub fn emit(&mut self, event: TraceEvent) {
        for (f, n) in &mut self.watches {
            if f.matches(&event) {
                *n += 1;
            }
        }
        let mut line = serde_json::to_vec(&event).expect("trace events always serialize");
        line.push(b'\n');
        self.hasher.update(&line);
        if let Some(b) = &mut self.bytes {
            b.extend_from_slice(&line);
        }
        self.events += 1;
        if self.keep_recent > 0 {
            if self.recent.len() == self.keep_recent {
                self.recent.pop_front();
            }
            self.recent.push_back(event);
        }
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn recent(&self) -> impl Iterator<Item = &TraceEvent> {
        self.recent.iter()
    }

    /// The kept bytes (empty when not kept).
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_deref().unwrap_or(&[])
    }

    /// Lowercase hex sha256 of every line emitted so far.
    pub fn hash_hex(&self) -> String {
        let digest = self.hasher.clone().finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format_and_hash_match_the_bytes() {
        let mut w = TraceWriter::new(true, 1);
        w.emit(TraceEvent {
            t: SimTime(90_000),
            kind: "Scheduled".into(),
            object: "Pod/default/web-1".into(),
            node: Some("pool-a-1".into()),
            message: "Successfully assigned default/web-1 to pool-a-1".into(),
        });
        let text = String::from_utf8(w.bytes().to_vec()).unwrap();
        assert_eq!(
            text,
            "{\"t\":\"1m30s\",\"type\":\"Scheduled\",\"object\":\"Pod/default/web-1\",\"node\":\"pool-a-1\",\"message\":\"Successfully assigned default/web-1 to pool-a-1\"}\n"
        );
        let expect: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(w.hash_hex(), expect);
        assert_eq!(w.events(), 1);
    }

    #[test]
    fn empty_trace_hash_is_sha256_of_nothing() {
        assert_eq!(
            TraceWriter::new(false, 0).hash_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// The `events` check's filter: type; object exactly or by `prefix*`; message part. One
    /// count per distinct filter, from when it is watched.
    #[test]
    fn watches_count_the_events_each_filter_matches() {
        let f = |object: Option<&str>, message: Option<&str>| EventFilter {
            kind: "Killing".into(),
            object: object.map(String::from),
            message: message.map(String::from),
        };
        let filters = [
            f(None, None),
            f(Some("Pod/default/web-0"), None),
            f(Some("Pod/default/web-*"), None),
            f(Some("Pod/default/web-*"), Some("liveness")),
            f(Some("Pod/default/web"), None),
        ];
        let mut w = TraceWriter::new(false, 0);
        for x in &filters {
            w.watch(x.clone());
        }
        w.watch(filters[0].clone());
        let ev = |kind: &str, object: &str, message: &str| TraceEvent {
            t: SimTime(0),
            kind: kind.into(),
            object: object.into(),
            node: None,
            message: message.into(),
        };
        w.emit(ev("Killing", "Pod/default/web-0", "Stopping container c"));
        w.emit(ev(
            "Killing",
            "Pod/default/web-1",
            "Container c failed liveness probe, will be restarted",
        ));
        w.emit(ev("Killing", "Pod/default/db-0", "Stopping container c"));
        w.emit(ev("Started", "Pod/default/web-0", "Started container c"));
        let counts: Vec<u64> = filters.iter().map(|x| w.watched(x)).collect();
        assert_eq!(counts, [3, 1, 2, 1, 0]);
        assert_eq!(
            w.watched(&f(Some("Pod/default/db-*"), None)),
            0,
            "not watched"
        );
    }
}
