//! What-if: fail / recover a node, cordon / uncordon / drain it, scale a workload or set its
//! image, add nodes to a pool. Each becomes a timeline entry at the current simulated time in
//! the scenario text (see `timeline_edit`); the run replays from t=0 to that time, so the
//! modified scenario exported from here replays identically with `cellsim run`.

use super::{Mode, Msg, Panel};
use crate::timeline_edit::WhatIf;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

#[derive(Properties, PartialEq)]
struct NodeSelectProps {
    /// Shared with the model, which makes a new list only when the nodes change.
    names: Rc<Vec<String>>,
    selected: String,
    choice: UseStateHandle<String>,
}

/// Above this many nodes the node menu holds only the chosen node until the pointer or the
/// keyboard comes to it (`NodeSelect`).
pub const NODE_MENU_EAGER: usize = 200;

/// The node menu, a component of its own so that its options (one per node: 1000 in a big
/// cluster) are not built and diffed again each time the panel renders: Yew skips it while
/// the names and the selection are the same. In a big cluster the options are made only when
/// the pointer enters the menu or it gets the focus, before it can open: 1,000 options (and
/// the menu's layout, which measures each) were a third of the frame that first showed a
/// 1,000-node cluster, 20–50 ms (docs/benchmarks.md, "the page's start").
#[function_component(NodeSelect)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
fn node_select(p: &NodeSelectProps) -> Html {
    let full = use_state(|| false);
    let on_node = {
        let node = p.choice.clone();
        move |e: Event| node.set(select_value(&e))
    };
    let fill_on_focus = {
        let full = full.clone();
        move |_: FocusEvent| full.set(true)
    };
    let fill_on_pointer = {
        let full = full.clone();
        move |_: PointerEvent| full.set(true)
    };
    let all = *full || p.names.len() <= NODE_MENU_EAGER;
    html! {
        <select id="wi-node" onchange={on_node} onfocus={fill_on_focus} onpointerenter={fill_on_pointer}
            data-options={if all { "all" } else { "chosen" }}>
            if all {
                {for p.names.iter().map(|n| html!{ <option value={n.clone()} selected={*n == p.selected}>{n.clone()}</option> })}
            } else {
                <option value={p.selected.clone()} selected=true>{p.selected.clone()}</option>
            }
        </select>
    }
}

#[function_component(WhatIfPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn whatif_panel(p: &Panel) -> Html {
    let state = &p.state;
    let node = use_state(String::new);
    let workload = use_state(String::new);
    let replicas = use_state(|| "1".to_string());
    let container = use_state(String::new);
    let image = use_state(String::new);
    let pool = use_state(String::new);
    let count = use_state(|| "1".to_string());
    let strategy = use_state(|| crate::timeline_edit::STRATEGIES[1].to_string());
    let fit_w = use_state(|| "1".to_string());
    let bal_w = use_state(|| "1".to_string());
    let Some(session) = state.session.clone() else {
        return html! {};
    };
    let s = session.borrow();
    let nodes = state.node_names.clone();
    let workloads = s.workloads();
    let pools = s.pools();
    let busy = matches!(state.mode, Mode::Seeking(_));
    let d = state.dispatcher();

    let cur_node = if nodes.contains(&node) {
        (*node).clone()
    } else {
        nodes.first().cloned().unwrap_or_default()
    };
    let wkey = |w: &crate::session::Workload| format!("{}/{}/{}", w.kind, w.namespace, w.name);
    let cur_w = workloads
        .iter()
        .find(|w| wkey(w) == *workload)
        .or_else(|| workloads.first())
        .cloned();
    let cur_container = cur_w
        .as_ref()
        .and_then(|w| {
            w.containers
                .iter()
                .find(|c| **c == *container)
                .or(w.containers.first())
                .cloned()
        })
        .unwrap_or_default();
    let cur_pool = if pools.contains(&pool) {
        (*pool).clone()
    } else {
        pools.first().cloned().unwrap_or_default()
    };

    let node_action = |label: &'static str, id: &'static str, make: fn(String) -> WhatIf| {
        let d = d.clone();
        let n = cur_node.clone();
        html! { <button id={id} disabled={busy || n.is_empty()} onclick={move |_| d.dispatch(Msg::WhatIf(make(n.clone())))}>{label}</button> }
    };
    let on_w = {
        let workload = workload.clone();
        move |e: Event| workload.set(select_value(&e))
    };
    let on_c = {
        let container = container.clone();
        move |e: Event| container.set(select_value(&e))
    };
    let on_pool = {
        let pool = pool.clone();
        move |e: Event| pool.set(select_value(&e))
    };
    let on_replicas = {
        let replicas = replicas.clone();
        move |e: InputEvent| replicas.set(input_value(&e))
    };
    let on_image = {
        let image = image.clone();
        move |e: InputEvent| image.set(input_value(&e))
    };
    let on_count = {
        let count = count.clone();
        move |e: InputEvent| count.set(input_value(&e))
    };

    let scale = {
        let d = d.clone();
        let w = cur_w.clone();
        let r = replicas.trim().parse::<i32>().ok().filter(|r| *r >= 0);
        move |_| {
            if let (Some(w), Some(r)) = (&w, r) {
                d.dispatch(Msg::WhatIf(WhatIf::Scale {
                    kind: w.kind.clone(),
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    replicas: r,
                }));
            } else {
                d.dispatch(Msg::Notice(Some(
                    "scale: replicas must be a whole number ≥ 0".into(),
                )));
            }
        }
    };
    let set_image = {
        let d = d.clone();
        let w = cur_w.clone();
        let (c, img) = (cur_container.clone(), image.trim().to_string());
        move |_| {
            if let (Some(w), false) = (&w, img.is_empty()) {
                d.dispatch(Msg::WhatIf(WhatIf::SetImage {
                    kind: w.kind.clone(),
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    container: c.clone(),
                    image: img.clone(),
                }));
            } else {
                d.dispatch(Msg::Notice(Some(
                    "set image: type an image, e.g. nginx:1.27".into(),
                )));
            }
        }
    };
    let add = {
        let d = d.clone();
        let p = cur_pool.clone();
        let n = count
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1 && *n <= 1000);
        move |_| match n {
            Some(n) => d.dispatch(Msg::WhatIf(WhatIf::AddNodes {
                pool: p.clone(),
                count: n,
            })),
            None => d.dispatch(Msg::Notice(Some(
                "add nodes: a count from 1 to 1000".into(),
            ))),
        }
    };
    let on_strategy = {
        let strategy = strategy.clone();
        move |e: Event| strategy.set(select_value(&e))
    };
    let on_fit = {
        let fit_w = fit_w.clone();
        move |e: InputEvent| fit_w.set(input_value(&e))
    };
    let on_bal = {
        let bal_w = bal_w.clone();
        move |e: InputEvent| bal_w.set(input_value(&e))
    };
    let rescore = {
        let d = d.clone();
        let st = (*strategy).clone();
        let w = (
            fit_w.trim().parse::<u32>().ok(),
            bal_w.trim().parse::<u32>().ok(),
        );
        move |_| match w {
            (Some(fit), Some(balanced)) => d.dispatch(Msg::SetScoring {
                strategy: st.clone(),
                fit,
                balanced,
            }),
            _ => d.dispatch(Msg::Notice(Some(
                "scoring: weights are whole numbers 1–100".into(),
            ))),
        }
    };
    html! {
        <section class="panel whatif" id="whatif">
            <h2>{"What if…"}</h2>
            <div class="note">{format!("actions are added to the timeline at t = {} and the run replays to there", s.now())}</div>
            <div class="row">
                <NodeSelect names={nodes.clone()} selected={cur_node.clone()} choice={node.clone()} />
            </div>
            <div class="row buttons">
                {node_action("fail", "wi-fail", WhatIf::FailNode)}
                {node_action("recover", "wi-recover", WhatIf::RecoverNode)}
                {node_action("cordon", "wi-cordon", WhatIf::Cordon)}
                {node_action("uncordon", "wi-uncordon", WhatIf::Uncordon)}
                {node_action("drain", "wi-drain", WhatIf::Drain)}
            </div>
            if !workloads.is_empty() {
                <div class="row">
                    <select id="wi-workload" onchange={on_w}>
                        {for workloads.iter().map(|w| html!{
                            <option value={wkey(w)} selected={cur_w.as_ref() == Some(w)}>
                                {format!("{}/{}{}", w.kind, w.name, w.replicas.map(|r| format!(" ({r})")).unwrap_or_default())}
                            </option>
                        })}
                    </select>
                </div>
                if cur_w.as_ref().is_some_and(|w| w.replicas.is_some()) {
                    <div class="row">
                        <input id="wi-replicas" class="short" type="number" min="0" value={(*replicas).clone()} oninput={on_replicas} />
                        <button id="wi-scale" disabled={busy} onclick={scale}>{"scale"}</button>
                    </div>
                }
                <div class="row">
                    <select id="wi-container" onchange={on_c}>
                        {for cur_w.iter().flat_map(|w| w.containers.clone()).map(|c| html!{ <option value={c.clone()} selected={c == cur_container}>{c.clone()}</option> })}
                    </select>
                    <input id="wi-image" placeholder="image, e.g. nginx:1.27" value={(*image).clone()} oninput={on_image} />
                    <button id="wi-set-image" disabled={busy} onclick={set_image}>{"set image"}</button>
                </div>
            }
            if !pools.is_empty() {
                <div class="row">
                    <select id="wi-pool" onchange={on_pool}>
                        {for pools.iter().map(|p| html!{ <option value={p.clone()} selected={*p == cur_pool}>{p.clone()}</option> })}
                    </select>
                    <input id="wi-count" class="short" type="number" min="1" value={(*count).clone()} oninput={on_count} />
                    <button id="wi-add-nodes" disabled={busy} onclick={add}>{"add nodes"}</button>
                </div>
            }
            <div class="row" title="NodeResourcesFit's scoring strategy and the score weights of NodeResourcesFit and NodeResourcesBalancedAllocation; a scheduler configuration holds for the whole run, so it starts over">
                <select id="wi-strategy" onchange={on_strategy}>
                    {for crate::timeline_edit::STRATEGIES.iter().map(|x| html!{ <option value={*x} selected={*x == *strategy}>{*x}</option> })}
                </select>
                <input id="wi-fit-weight" class="tiny" type="number" min="1" max="100" value={(*fit_w).clone()} oninput={on_fit} title="NodeResourcesFit weight" />
                <input id="wi-balanced-weight" class="tiny" type="number" min="1" max="100" value={(*bal_w).clone()} oninput={on_bal} title="NodeResourcesBalancedAllocation weight" />
                <button id="wi-scoring" disabled={busy} onclick={rescore}>{"rescore from 0s"}</button>
            </div>
            if !s.whatifs().is_empty() {
                <ol class="whatifs" id="whatif-list">
                    {for s.whatifs().iter().map(|(t, w)| html!{ <li>{format!("{t}: {}", w.describe())}</li> })}
                </ol>
            }
        </section>
    }
}
