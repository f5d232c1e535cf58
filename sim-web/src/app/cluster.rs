//! The cluster view: nodes grouped by pool and zone, each with cpu / memory / pods allocation
//! bars and its pods as blocks coloured by workload (hue) and state (fill and outline); the
//! pending pods with the scheduler's message. Clicking a pod selects it (one delegated
//! handler for every block).

use super::{cpu_label, dom, hue, mem_label, pct, Msg, Panel};
use cellsim_core::sim::view::{NodeView, PodState, PodView};
use yew::prelude::*;

/// Groups start collapsed when the cluster has more nodes than this.
pub const EXPAND_MAX_NODES: usize = 60;
/// At most this many nodes of an expanded group are drawn.
pub const GROUP_MAX_NODES: usize = 100;
/// At most this many pending pods are listed.
pub const PENDING_MAX: usize = 100;

fn bar(label: &str, used: f64, text: String) -> Html {
    let w = used.clamp(0.0, 100.0);
    let class = if used > 90.0 { "fill hot" } else { "fill" };
    html! {
        <div class="bar" title={format!("{label}: {text} ({used:.0}%)")}>
            <span class="bar-label">{label.to_string()}</span>
            <span class="track"><span class={class} style={format!("width:{w:.1}%")}></span></span>
            <span class="bar-text">{text}</span>
        </div>
    }
}

fn pod_block(p: &PodView, selected: Option<&str>) -> Html {
    let h = hue(&p.workload);
    let sel = selected == Some(p.key.as_str());
    html! {
        <span class={classes!("pod", p.state.as_str(), (!p.ready && p.state == PodState::Running).then_some("unready"), sel.then_some("selected"))}
            style={format!("--h:{h}")} data-pod={p.key.clone()}
            title={format!("{} · {} · {}{}", p.key, p.workload, p.state.as_str(), if p.restarts > 0 { format!(" · {} restarts", p.restarts) } else { String::new() })}>
        </span>
    }
}

fn node_card(n: &NodeView, selected: Option<&str>) -> Html {
    let active = n.active_pods();
    html! {
        <div class={classes!("node", (!n.ready).then_some("notready"), n.unschedulable.then_some("cordoned"))}
            id={format!("node-{}", n.name)} data-node={n.name.clone()}>
            <div class="node-head">
                <span class="node-name">{n.name.clone()}</span>
                if !n.ready { <span class="badge bad">{"NotReady"}</span> }
                if n.unschedulable { <span class="badge">{"cordoned"}</span> }
            </div>
            {bar("cpu", pct(n.req_milli_cpu, n.alloc_milli_cpu), format!("{}/{}", cpu_label(n.req_milli_cpu), cpu_label(n.alloc_milli_cpu)))}
            {bar("mem", pct(n.req_memory, n.alloc_memory), format!("{}/{}", mem_label(n.req_memory), mem_label(n.alloc_memory)))}
            {bar("pods", pct(active, n.alloc_pods), format!("{active}/{}", n.alloc_pods))}
            <div class="pods">{for n.pods.iter().map(|p| pod_block(p, selected))}</div>
        </div>
    }
}

#[function_component(ClusterPanel)]
pub fn cluster_panel(p: &Panel) -> Html {
    let state = &p.state;
    let view = state.view.clone();
    let selected = state.selected_pod.as_deref();
    let click = {
        let d = state.dispatcher();
        move |e: MouseEvent| {
            if let Some(pod) = dom::clicked_pod(&e) {
                d.dispatch(Msg::SelectPod(Some(pod)));
            }
        }
    };
    let big = view.nodes.len() > EXPAND_MAX_NODES;
    let groups = view.groups();
    let legend = [
        PodState::Pending,
        PodState::Creating,
        PodState::Running,
        PodState::Terminating,
        PodState::Succeeded,
        PodState::Failed,
    ];
    html! {
        <section class="cluster" id="cluster" onclick={click}>
            <div class="legend">
                {for legend.iter().map(|s| html!{ <span><span class={classes!("pod", s.as_str())} style="--h:210"></span>{s.as_str()}</span> })}
                <span class="hint">{"colour = workload · click a pod for its scheduling decision"}</span>
            </div>
            {for groups.iter().map(|((pool, zone), nodes)| {
                let open = big == state.expanded.contains(&(pool.clone(), zone.clone()));
                let (rc, ac, rm, am, np, ap) = nodes.iter().fold((0, 0, 0, 0, 0, 0), |a, n| (
                    a.0 + n.req_milli_cpu, a.1 + n.alloc_milli_cpu, a.2 + n.req_memory, a.3 + n.alloc_memory,
                    a.4 + n.active_pods(), a.5 + n.alloc_pods));
                let toggle = {
                    let d = state.dispatcher();
                    let (pool, zone) = (pool.clone(), zone.clone());
                    move |e: MouseEvent| { e.stop_propagation(); d.dispatch(Msg::ToggleGroup(pool.clone(), zone.clone())) }
                };
                let title = format!("pool {} · zone {}", if pool.is_empty() { "(none)" } else { pool }, if zone.is_empty() { "(none)" } else { zone });
                html! {
                    <div class="group" data-pool={pool.clone()} data-zone={zone.clone()}>
                        <div class="group-head" onclick={toggle}>
                            <span class="caret">{if open { "▾ " } else { "▸ " }}</span>
                            <b>{title}</b>{format!(" · {} nodes ({} ready)", nodes.len(), nodes.iter().filter(|n| n.ready).count())}
                            <div class="group-bars">
                                {bar("cpu", pct(rc, ac), format!("{}/{}", cpu_label(rc), cpu_label(ac)))}
                                {bar("mem", pct(rm, am), format!("{}/{}", mem_label(rm), mem_label(am)))}
                                {bar("pods", pct(np, ap), format!("{np}/{ap}"))}
                            </div>
                        </div>
                        if open {
                            <div class="nodes">
                                {for nodes.iter().take(GROUP_MAX_NODES).map(|n| node_card(n, selected))}
                                if nodes.len() > GROUP_MAX_NODES {
                                    <div class="more">{format!("… {} more nodes", nodes.len() - GROUP_MAX_NODES)}</div>
                                }
                            </div>
                        }
                    </div>
                }
            })}
            <h3 id="pending-title">{format!("Pending pods ({})", view.pending.len())}</h3>
            <table class="pending" id="pending">
                {for view.pending.iter().take(PENDING_MAX).map(|pp| html! {
                    <tr data-pod={pp.pod.key.clone()} class={classes!((selected == Some(pp.pod.key.as_str())).then_some("selected"))}>
                        <td>{pod_block(&pp.pod, selected)}{pp.pod.key.clone()}</td>
                        <td class="msg">{if pp.message.is_empty() { "(not attempted yet)".to_string() } else { pp.message.clone() }}</td>
                    </tr>
                })}
            </table>
            if view.pending.len() > PENDING_MAX {
                <div class="more">{format!("… {} more", view.pending.len() - PENDING_MAX)}</div>
            }
        </section>
    }
}
