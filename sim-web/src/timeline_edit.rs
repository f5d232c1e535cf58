//! What-if actions as scenario text: each one becomes a `spec.timeline` entry appended to the
//! scenario's YAML at the simulation's current time, so the modified scenario is an ordinary
//! scenario file that `cellsim run` replays to the same trace.
//!
//! The edit is textual (the rest of the file, comments included, stays as written) and works
//! on the block style every built-in scenario uses; the result is always re-loaded by core
//! before it is used, so an edit that produced a wrong file could never run.

use cellsim_core::time::SimTime;

/// A what-if action the playground offers, in the scenario format's own vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WhatIf {
    FailNode(String),
    RecoverNode(String),
    Cordon(String),
    Uncordon(String),
    Drain(String),
    Scale {
        kind: String,
        namespace: String,
        name: String,
        replicas: i32,
    },
    SetImage {
        kind: String,
        namespace: String,
        name: String,
        container: String,
        image: String,
    },
    AddNodes {
        pool: String,
        count: u32,
    },
}

/// A YAML flow scalar for any string (a JSON string is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

impl WhatIf {
    /// The action as one flow-style mapping entry, e.g. `failNode: {node: "pool-1"}`.
    pub fn to_yaml(&self) -> String {
        match self {
            WhatIf::FailNode(n) => format!("failNode: {{node: {}}}", q(n)),
            WhatIf::RecoverNode(n) => format!("recoverNode: {{node: {}}}", q(n)),
            WhatIf::Cordon(n) => format!("cordon: {{node: {}}}", q(n)),
            WhatIf::Uncordon(n) => format!("uncordon: {{node: {}}}", q(n)),
            WhatIf::Drain(n) => format!("drain: {{node: {}}}", q(n)),
            WhatIf::Scale {
                kind,
                namespace,
                name,
                replicas,
            } => format!(
                "scale: {{kind: {}, namespace: {}, name: {}, replicas: {replicas}}}",
                q(kind),
                q(namespace),
                q(name)
            ),
            WhatIf::SetImage {
                kind,
                namespace,
                name,
                container,
                image,
            } => format!(
                "setImage: {{kind: {}, namespace: {}, name: {}, container: {}, image: {}}}",
                q(kind),
                q(namespace),
                q(name),
                q(container),
                q(image)
            ),
            WhatIf::AddNodes { pool, count } => {
                format!("addNodes: {{pool: {}, count: {count}}}", q(pool))
            }
        }
    }

    /// A short human description for the timeline list.
    pub fn describe(&self) -> String {
        match self {
            WhatIf::FailNode(n) => format!("fail node {n}"),
            WhatIf::RecoverNode(n) => format!("recover node {n}"),
            WhatIf::Cordon(n) => format!("cordon {n}"),
            WhatIf::Uncordon(n) => format!("uncordon {n}"),
            WhatIf::Drain(n) => format!("drain {n}"),
            WhatIf::Scale {
                kind,
                name,
                replicas,
                ..
            } => format!("scale {kind}/{name} to {replicas}"),
            WhatIf::SetImage {
                kind,
                name,
                container,
                image,
                ..
            } => format!("set image {kind}/{name} {container}={image}"),
            WhatIf::AddNodes { pool, count } => format!("add {count} node(s) to pool {pool}"),
        }
    }
}

/// Why a timeline entry could not be added to the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the scenario has no block-style `spec:` mapping at the top level")]
    NoSpec,
    #[error("`spec:` is empty")]
    EmptySpec,
    #[error("line {0}: spec.timeline is a non-empty flow list; write it as a block list to add actions here")]
    FlowTimeline(usize),
    #[error(
        "line {0}: the scenario has its own spec.scheduler; change its scoring in the YAML editor"
    )]
    HasScheduler(usize),
}

/// NodeResourcesFit's scoring strategies offered as a what-if.
pub const STRATEGIES: [&str; 2] = ["LeastAllocated", "MostAllocated"];

/// Give a scenario without `spec.scheduler` one default profile whose NodeResourcesFit scores
/// with `strategy` (cpu and memory, weight 1 each) and whose NodeResourcesFit and
/// NodeResourcesBalancedAllocation score weights are `fit_weight` and `balanced_weight`
/// (1–100). The configuration holds for the whole run (it is not a timeline action: the
/// scenario format has none for the scheduler), so the run starts over.
pub fn set_scoring(
    text: &str,
    strategy: &str,
    fit_weight: u32,
    balanced_weight: u32,
) -> Result<String, EditError> {
    let lines: Vec<&str> = text.lines().collect();
    let spec = lines
        .iter()
        .position(|l| indent(l) == 0 && strip_comment(l) == "spec:")
        .ok_or(EditError::NoSpec)?;
    let spec_end = (spec + 1..lines.len())
        .find(|&i| is_content(lines[i]) && indent(lines[i]) == 0)
        .unwrap_or(lines.len());
    let child = (spec + 1..spec_end)
        .find(|&i| is_content(lines[i]))
        .map(|i| indent(lines[i]))
        .ok_or(EditError::EmptySpec)?;
    if let Some(k) = (spec + 1..spec_end)
        .find(|&i| indent(lines[i]) == child && lines[i].trim_start().starts_with("scheduler:"))
    {
        return Err(EditError::HasScheduler(k + 1));
    }
    let p = " ".repeat(child);
    let block = format!(
        "{p}scheduler:
{p}  profiles:
{p}  - schedulerName: default-scheduler
{p}    plugins:
{p}      score:
{p}        enabled:
{p}        - {{name: NodeResourcesFit, weight: {fit_weight}}}
{p}        - {{name: NodeResourcesBalancedAllocation, weight: {balanced_weight}}}
{p}    pluginConfig:
{p}    - name: NodeResourcesFit
{p}      args:
{p}        scoringStrategy:
{p}          type: {strategy}
{p}          resources: [{{name: cpu, weight: 1}}, {{name: memory, weight: 1}}]"
    );
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out.insert(spec + 1, block);
    let mut s = out.join("\n");
    s.push('\n');
    Ok(s)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Blank or comment-only lines do not end blocks.
fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The part of a line before a ` #` comment (good enough for the keys looked at here).
fn strip_comment(s: &str) -> &str {
    if s.starts_with('#') {
        return "";
    }
    match s.find(" #") {
        Some(i) => &s[..i],
        None => s,
    }
    .trim_end()
}

/// Append `- at: <at>\n  <action>` to `spec.timeline` (creating it at the end of `spec` when
/// absent). `at` is printed as a Go duration, as the trace prints times.
pub fn append_timeline_entry(
    text: &str,
    at: SimTime,
    action: &WhatIf,
) -> Result<String, EditError> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let spec = lines
        .iter()
        .position(|l| indent(l) == 0 && strip_comment(l) == "spec:")
        .ok_or(EditError::NoSpec)?;
    let spec_end = (spec + 1..lines.len())
        .find(|&i| is_content(&lines[i]) && indent(&lines[i]) == 0)
        .unwrap_or(lines.len());
    let child = (spec + 1..spec_end)
        .find(|&i| is_content(&lines[i]))
        .map(|i| indent(&lines[i]))
        .ok_or(EditError::EmptySpec)?;
    let last_content_before = |lines: &[String], end: usize, floor: usize| {
        (floor..end)
            .rev()
            .find(|&i| is_content(&lines[i]))
            .unwrap_or(floor)
    };
    let key = (spec + 1..spec_end)
        .find(|&i| indent(&lines[i]) == child && lines[i].trim_start().starts_with("timeline:"));
    let (insert_after, item_indent) = match key {
        Some(k) => {
            let rest = strip_comment(lines[k].trim_start()["timeline:".len()..].trim());
            match rest {
                "" => {
                    let end = (k + 1..spec_end)
                        .find(|&i| {
                            is_content(&lines[i])
                                && (indent(&lines[i]) < child
                                    || (indent(&lines[i]) == child
                                        && !lines[i].trim_start().starts_with('-')))
                        })
                        .unwrap_or(spec_end);
                    let items = (k + 1..end)
                        .find(|&i| is_content(&lines[i]))
                        .map_or(child, |i| indent(&lines[i]));
                    (last_content_before(&lines, end, k), items)
                }
                "[]" => {
                    lines[k] = format!("{}timeline:", " ".repeat(child));
                    (k, child)
                }
                _ => return Err(EditError::FlowTimeline(k + 1)),
            }
        }
        None => {
            let at = last_content_before(&lines, spec_end, spec);
            lines.insert(at + 1, format!("{}timeline:", " ".repeat(child)));
            (at + 1, child)
        }
    };
    let pad = " ".repeat(item_indent);
    lines.insert(insert_after + 1, format!("{pad}  {}", action.to_yaml()));
    lines.insert(insert_after + 1, format!("{pad}- at: {at}"));
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellsim_core::scenario::timeline::Action;

    struct Text<'a>(&'a str);
    impl cellsim_core::scenario::Sources for Text<'_> {
        fn read(&self, path: &str) -> Result<String, String> {
            if path == "s.yaml" {
                Ok(self.0.to_string())
            } else {
                cellsim_scenarios::Embedded.read(path)
            }
        }
    }

    fn load(text: &str) -> cellsim_core::scenario::Scenario {
        cellsim_core::scenario::load("s.yaml", &Text(text))
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    const BASE: &str = "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 5m
  cluster:
    nodePools:
    - {name: a, count: 2, allocatable: {cpu: '1', memory: 1Gi}}
";

    #[test]
    fn a_timeline_is_created_at_the_end_of_spec() {
        let out =
            append_timeline_entry(BASE, SimTime(90_500), &WhatIf::FailNode("a-1".into())).unwrap();
        assert!(
            out.ends_with("  timeline:\n  - at: 1m30.5s\n    failNode: {node: \"a-1\"}\n"),
            "{out}"
        );
        let s = load(&out);
        assert_eq!(s.timeline.len(), 1);
        assert_eq!(s.timeline[0].at.as_millis(), 90_500);
        assert!(matches!(&s.timeline[0].action, Action::FailNode(n) if n == "a-1"));
    }

    #[test]
    fn entries_go_after_the_existing_ones_whatever_their_indentation_and_before_the_next_key() {
        for (timeline, next) in [
            (
                "  timeline:\n  - at: 1m\n    cordon: {node: a-0}\n",
                "  expect: []\n",
            ),
            (
                "  timeline:\n    - at: 1m\n      cordon: {node: a-0}\n\n  # c\n",
                "  expect: []\n",
            ),
            ("  timeline: []\n", "  expect: []\n"),
            ("  timeline:   # none yet\n", ""),
        ] {
            let text = format!("{BASE}{timeline}{next}");
            // (`timeline:` with nothing after it is null, which core rejects: it has 0 entries.)
            let before = cellsim_core::scenario::load("s.yaml", &Text(&text))
                .map_or(0, |s| s.timeline.len());
            let out = append_timeline_entry(
                &text,
                SimTime(120_000),
                &WhatIf::Scale {
                    kind: "Deployment".into(),
                    namespace: "default".into(),
                    name: "web".into(),
                    replicas: 4,
                },
            )
            .unwrap();
            let s = load(&out);
            assert_eq!(s.timeline.len(), before + 1, "{out}");
            let last = s.timeline.last().unwrap();
            assert_eq!(last.at.as_millis(), 120_000);
            assert!(
                matches!(&last.action, Action::Scale { target, replicas: 4 } if target.name == "web"),
                "{out}"
            );
            assert_eq!(out.contains("expect: []"), !next.is_empty());
        }
    }

    #[test]
    fn a_scoring_strategy_and_weights_become_the_scenarios_scheduler_profile() {
        let most = set_scoring(BASE, "MostAllocated", 3, 2).unwrap();
        let least = set_scoring(BASE, "LeastAllocated", 1, 1).unwrap();
        load(&most);
        load(&least);
        assert!(most.contains("type: MostAllocated") && most.contains("weight: 3}"));
        // Core validates it: a weight out of range is an error at its line.
        let bad = set_scoring(BASE, "MostAllocated", 101, 1).unwrap();
        assert!(cellsim_core::scenario::load("s.yaml", &Text(&bad)).is_err());
        assert_eq!(
            set_scoring(&most, "LeastAllocated", 1, 1),
            Err(EditError::HasScheduler(5))
        );
    }

    #[test]
    fn a_flow_timeline_and_a_missing_spec_are_reported() {
        let flow = format!("{BASE}  timeline: [{{at: 1m, cordon: {{node: a-0}}}}]\n");
        assert_eq!(
            append_timeline_entry(&flow, SimTime(0), &WhatIf::Cordon("a-0".into())),
            Err(EditError::FlowTimeline(9))
        );
        assert_eq!(
            append_timeline_entry("kind: Scenario\n", SimTime(0), &WhatIf::Cordon("x".into())),
            Err(EditError::NoSpec)
        );
    }

    #[test]
    fn every_action_appended_to_every_built_in_scenario_loads_as_that_action() {
        for path in cellsim_scenarios::scenario_paths() {
            let s0 = cellsim_core::scenario::load(path, &cellsim_scenarios::Embedded).unwrap();
            let n = s0.nodes[0].metadata.name.clone();
            check_every_action(path, &s0, &n);
        }
    }

    fn check_every_action(path: &str, s0: &cellsim_core::scenario::Scenario, n: &str) {
        let actions = [
            WhatIf::FailNode(n.into()),
            WhatIf::RecoverNode(n.into()),
            WhatIf::Cordon(n.into()),
            WhatIf::Uncordon(n.into()),
            WhatIf::Drain(n.into()),
            WhatIf::SetImage {
                kind: "Deployment".into(),
                namespace: "default".into(),
                name: "web".into(),
                container: "c".into(),
                image: "nginx:1.27 #not-a-comment".into(),
            },
        ];
        {
            let mut text = cellsim_scenarios::Embedded.read(path).unwrap();
            for a in &actions {
                text = append_timeline_entry(&text, SimTime(1), a).unwrap();
            }
            let s = cellsim_core::scenario::load(path, &Text2(path, &text))
                .unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
            assert_eq!(
                s.timeline.len(),
                s0.timeline.len() + actions.len(),
                "{path}"
            );
            // The loader orders entries by time (file order within a time): ours are at 1ms.
            assert!(s0.timeline.iter().all(|e| e.at.as_millis() != 1));
            let names: Vec<_> = s
                .timeline
                .iter()
                .filter(|e| e.at.as_millis() == 1)
                .map(|e| e.action.name())
                .collect();
            assert_eq!(
                names,
                [
                    "failNode",
                    "recoverNode",
                    "cordon",
                    "uncordon",
                    "drain",
                    "setImage"
                ],
                "{path}"
            );
            let last = s.timeline.iter().rfind(|e| e.at.as_millis() == 1).unwrap();
            match &last.action {
                Action::SetImage { image, .. } => assert_eq!(image, "nginx:1.27 #not-a-comment"),
                a => panic!("{a:?}"),
            }
        }
    }

    struct Text2<'a>(&'a str, &'a str);
    impl cellsim_core::scenario::Sources for Text2<'_> {
        fn read(&self, path: &str) -> Result<String, String> {
            if path == self.0 {
                Ok(self.1.to_string())
            } else {
                cellsim_scenarios::Embedded.read(path)
            }
        }
    }

    use cellsim_core::scenario::Sources as _;
}
