//! Shared plugin helpers (upstream: pkg/scheduler/framework/plugins/helper).

use crate::sched::framework::{NodeScore, MAX_NODE_SCORE};

/// Upstream `helper.DefaultNormalizeScore`: scale raw scores so the highest becomes
/// `max_priority` (`score * max / highest`, integer division); with `reverse`, subtract from
/// `max_priority`. When every raw score is 0, all become 0 (or `max_priority` if reversed).
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [NodeScore]) {
    let max_count = scores.iter().map(|s| s.score).max().unwrap_or(0).max(0);
    if max_count == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| s.score = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = max_priority * s.score / max_count;
        if reverse {
            v = max_priority - v;
        }
        s.score = v;
    }
}

/// Decode a plugin's `pluginConfig` args (absent: the type's defaults). The error names the
/// args type (`NodeResourcesFitArgs: unknown field ...`), as upstream's strict decoding does;
/// the caller places it at the args' node. The args stay the YAML node they were written as
/// and go through the same deserializer as every other input: decoding them from a
/// `serde_json::Value` compiled a second deserializer for each args type into the wasm
/// (docs/benchmarks.md, "Session 10").
pub(crate) fn decode_args<T: crate::yaml::Decode + Default>(
    kind: &str,
    args: Option<&crate::yaml::Node>,
) -> Result<T, String> {
    match args {
        None => Ok(T::default()),
        Some(node) => crate::yaml::decode_node("", node, &mut Vec::new())
            .map_err(|e| format!("{kind}: {}", e.message)),
    }
}

/// The usual call: normalize onto 0..=100.
pub fn normalize(reverse: bool, scores: &mut [NodeScore]) {
    default_normalize_score(MAX_NODE_SCORE, reverse, scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(reverse: bool, raw: &[i64]) -> Vec<i64> {
        let mut s: Vec<NodeScore> = raw
            .iter()
            .enumerate()
            .map(|(i, &v)| NodeScore { node: i, score: v })
            .collect();
        normalize(reverse, &mut s);
        s.iter().map(|s| s.score).collect()
    }

    #[test]
    fn default_normalize_like_upstream() {
        // Rows from upstream helper TestDefaultNormalizeScore.
        assert_eq!(run(false, &[10, 20, 30, 40, 50]), [20, 40, 60, 80, 100]);
        assert_eq!(run(true, &[10, 20, 30, 40, 50]), [80, 60, 40, 20, 0]);
        assert_eq!(run(false, &[0, 0, 0]), [0, 0, 0]);
        assert_eq!(run(true, &[0, 0, 0]), [100, 100, 100]);
        assert_eq!(run(false, &[2, 9, 3]), [22, 100, 33]);
        assert_eq!(run(true, &[2, 9, 3]), [78, 0, 67]);
    }
}
