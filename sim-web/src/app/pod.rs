//! The selected pod: what it is, its scheduling decisions (filtered nodes with reasons,
//! per-plugin normalized scores and weighted totals, as `cellsim run --explain` reports them)
//! and its events from the trace.

use super::{cpu_label, mem_label, Msg, Panel};
use cellsim_core::sched::Decision;
use yew::prelude::*;

/// At most this many scored nodes are listed per decision (highest totals first).
pub const SCORES_MAX: usize = 12;

#[cfg_attr(target_arch = "wasm32", optimize(size))]
fn decision_view(d: &Decision, i: usize) -> Html {
    let mut scored: Vec<(&String, &cellsim_core::collections::OrdMap<String, i64>)> =
        d.scores.iter().collect();
    // core's one compiled stable sort (docs/benchmarks.md, "Bundle size"); node names are
    // the map's keys, all distinct, so any sort gives this order.
    cellsim_core::sort::sort_by(&mut scored, |a, b| {
        b.1.get("total")
            .cmp(&a.1.get("total"))
            .then_with(|| a.0.cmp(b.0))
    });
    let plugins: Vec<&String> = scored
        .first()
        .map(|(_, m)| m.keys().filter(|k| *k != "total").collect())
        .unwrap_or_default();
    html! {
        <div class="decision" id={format!("decision-{i}")}>
            <div class="decision-head">
                {format!("attempt at {}: ", d.at)}
                {match &d.node {
                    Some(n) => html!{ <b class="ok">{format!("→ {n}")}</b> },
                    None => html!{ <b class="bad">{"unschedulable"}</b> },
                }}
            </div>
            if let Some(m) = &d.message { <div class="msg">{m.clone()}</div> }
            if !d.filtered.is_empty() {
                <table class="filtered">
                    <tr><th>{"filtered out"}</th><th>{"reason"}</th></tr>
                    {for d.filtered.iter().map(|(n, r)| html!{ <tr><td>{n.clone()}</td><td>{r.clone()}</td></tr> })}
                </table>
            }
            if !scored.is_empty() {
                <table class="scores">
                    <tr><th>{"node"}</th>{for plugins.iter().map(|p| html!{ <th title={p.to_string()}>{short(p)}</th> })}<th>{"total"}</th></tr>
                    {for scored.iter().take(SCORES_MAX).map(|(n, m)| html!{
                        <tr class={classes!((d.node.as_ref() == Some(*n)).then_some("chosen"))}>
                            <td>{n.to_string()}</td>
                            {for plugins.iter().map(|p| html!{ <td>{m.get(*p).map(|v| v.to_string()).unwrap_or_default()}</td> })}
                            <td><b>{m.get("total").map(|v| v.to_string()).unwrap_or_default()}</b></td>
                        </tr>
                    })}
                </table>
                if scored.len() > SCORES_MAX { <div class="more">{format!("… {} more scored nodes", scored.len() - SCORES_MAX)}</div> }
            }
        </div>
    }
}

/// `NodeResourcesBalancedAllocation` → `NRBA`-style abbreviations for table headers.
fn short(plugin: &str) -> String {
    let caps: String = plugin.chars().filter(|c| c.is_ascii_uppercase()).collect();
    if caps.len() >= 2 {
        caps
    } else {
        plugin.to_string()
    }
}

#[function_component(PodPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn pod_panel(p: &Panel) -> Html {
    let state = &p.state;
    let (Some(key), Some(session)) = (state.selected_pod.clone(), state.session.clone()) else {
        return html! {};
    };
    let s = session.borrow();
    let view = &state.view;
    let found = view
        .nodes
        .iter()
        .flat_map(|n| n.pods.iter().map(move |p| (Some(n.name.as_str()), &**p)))
        .chain(view.pending.iter().map(|pp| (None, &pp.pod)))
        .find(|(_, p)| p.key == key);
    let decisions: Vec<&Decision> = s.sim().decisions_of(&key).collect();
    let events = s.object_events(&format!("Pod/{key}"), 200);
    let close = {
        let d = state.dispatcher();
        move |_| d.dispatch(Msg::SelectPod(None))
    };
    html! {
        <aside class="right panel" id="pod-panel" data-pod={key.clone()}>
            <div class="row"><h2>{"Pod"}</h2><button id="pod-close" onclick={close}>{"×"}</button></div>
            <div class="podkey">{key.clone()}</div>
            {match found {
                Some((node, p)) => html!{
                    <dl class="facts">
                        <dt>{"workload"}</dt><dd>{p.workload.clone()}</dd>
                        <dt>{"state"}</dt><dd id="pod-state">{p.state.as_str()}{if p.ready { " (ready)" } else { "" }}</dd>
                        <dt>{"node"}</dt><dd>{node.unwrap_or("—").to_string()}</dd>
                        <dt>{"requests"}</dt><dd>{format!("cpu {} · memory {}", cpu_label(p.milli_cpu), mem_label(p.memory))}</dd>
                        <dt>{"restarts"}</dt><dd>{p.restarts}</dd>
                    </dl>
                },
                None => html!{ <div class="msg">{"not in the cluster now (deleted or not created yet at this time)"}</div> },
            }}
            <h3>{format!("Scheduling decisions ({})", decisions.len())}</h3>
            if !s.explain() {
                <div class="msg">{"decisions are not being recorded: tick “record decisions” (the run starts over)"}</div>
            }
            <div id="decisions">
                {for decisions.iter().enumerate().rev().take(5).map(|(i, d)| decision_view(d, i))}
            </div>
            <h3>{format!("Events ({})", events.len())}</h3>
            <table class="events" id="pod-events">
                {for events.iter().map(|e| html!{
                    <tr><td class="t">{e.t.clone()}</td><td class="type">{e.kind.clone()}</td><td>{e.message.clone()}</td></tr>
                })}
            </table>
        </aside>
    }
}
