//! The capacity planning panel: `plan` (fewest nodes of a pool, with node or zone headroom),
//! `compact` (over N seeds: p90 with min–max) and `compare` (two scheduler configurations,
//! editable YAML, side by side) on the scenario in the editor. The search runs in the app's
//! frame loop, one simulation at a time (`crate::planner`), and every probe is listed as it
//! completes; the answer is shown with the CLI's fields.

use super::{Msg, Panel};
use crate::planner::{
    compact_headline, compare_table, pct, plan_headline, utilization_line, Answer, Job,
    BEST_FIT_YAML, RANDOM_YAML,
};
use cellsim_core::plan::Headroom;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

fn input_value(e: &Event) -> String {
    if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
        i.value()
    } else if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
        s.value()
    } else if let Some(t) = e.target_dyn_into::<HtmlTextAreaElement>() {
        t.value()
    } else {
        String::new()
    }
}

fn setter(h: &UseStateHandle<String>) -> Callback<Event> {
    let h = h.clone();
    Callback::from(move |e: Event| h.set(input_value(&e)))
}

#[function_component(PlanningPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn planning_panel(p: &Panel) -> Html {
    let state = &p.state;
    let pools = state
        .session
        .as_ref()
        .map(|s| s.borrow().pools())
        .unwrap_or_default();
    let kind = use_state(|| "plan".to_string());
    let pool = use_state(String::new);
    let headroom = use_state(|| "none".to_string());
    let k = use_state(|| "1".to_string());
    let seeds = use_state(|| cellsim_core::plan::compaction::DEFAULT_SEEDS.to_string());
    let yaml_a = use_state(|| RANDOM_YAML.to_string());
    let yaml_b = use_state(|| BEST_FIT_YAML.to_string());
    let chosen_pool = if pools.contains(&*pool) {
        (*pool).clone()
    } else {
        pools.first().cloned().unwrap_or_default()
    };
    let seed = state.seed_input.trim().parse::<u64>().ok();
    let job = match kind.as_str() {
        "compact" => Job::Compact {
            seeds: seeds.trim().parse().unwrap_or(0),
            seed,
        },
        "compare" => Job::Compare {
            configs: vec![
                ("random.yaml".into(), (*yaml_a).clone()),
                ("best-fit.yaml".into(), (*yaml_b).clone()),
            ],
            seed,
        },
        _ => Job::Plan {
            pool: chosen_pool.clone(),
            headroom: match headroom.as_str() {
                "nodes" => Headroom::Nodes {
                    nodes: k.trim().parse().unwrap_or(1),
                },
                "zone" => Headroom::Zone,
                _ => Headroom::None,
            },
            seed,
        },
    };
    let run = {
        let d = state.dispatcher();
        move |_| d.dispatch(Msg::StartPlan(job.clone()))
    };
    let stop = {
        let d = state.dispatcher();
        move |_| d.dispatch(Msg::StopPlan)
    };
    let planner = state.planner.clone();
    let pl = planner.as_ref().map(|p| p.borrow());
    let running = pl.as_ref().is_some_and(|p| !p.finished());
    let status = match (&pl, &state.plan_error) {
        (_, Some(e)) => format!("error: {e}"),
        (None, None) => "idle".into(),
        (Some(p), None) if p.finished() => format!("done · {} simulations", p.simulations),
        (Some(p), None) => format!("running · {} simulations so far", p.simulations),
    };
    let form = match kind.as_str() {
        "compact" => html! {
            <label>{"trials (seeds) "}<input id="plan-seeds" type="number" min="1" value={(*seeds).clone()} onchange={setter(&seeds)} /></label>
        },
        "compare" => html! {
            <div class="compare-edit">
                <label>{"configuration A (random.yaml)"}<textarea id="compare-a" spellcheck="false" value={(*yaml_a).clone()} onchange={setter(&yaml_a)} /></label>
                <label>{"configuration B (best-fit.yaml)"}<textarea id="compare-b" spellcheck="false" value={(*yaml_b).clone()} onchange={setter(&yaml_b)} /></label>
            </div>
        },
        _ => html! {
            <>
                <label>{"pool "}
                    <select id="plan-pool" onchange={setter(&pool)}>
                        {for pools.iter().map(|p| html!{ <option value={p.clone()} selected={*p == chosen_pool}>{p.clone()}</option> })}
                    </select>
                </label>
                <label>{" headroom "}
                    <select id="plan-headroom" onchange={setter(&headroom)}>
                        <option value="none" selected={*headroom == "none"}>{"none"}</option>
                        <option value="nodes" selected={*headroom == "nodes"}>{"lose K nodes"}</option>
                        <option value="zone" selected={*headroom == "zone"}>{"lose a zone"}</option>
                    </select>
                </label>
                if *headroom == "nodes" {
                    <label>{" K "}<input id="plan-headroom-k" type="number" min="1" value={(*k).clone()} onchange={setter(&k)} /></label>
                }
            </>
        },
    };
    html! {
        <section class="planning" id="planning">
            <div class="plan-form">
                <label>{"question "}
                    <select id="plan-kind" onchange={setter(&kind)}>
                        <option value="plan" selected={*kind == "plan"}>{"plan: fewest nodes of a pool"}</option>
                        <option value="compact" selected={*kind == "compact"}>{"compact: smallest cell over seeds"}</option>
                        <option value="compare" selected={*kind == "compare"}>{"compare two schedulers"}</option>
                    </select>
                </label>
                {form}
                <button id="plan-run" disabled={running || state.session.is_none()} onclick={run}>{"Run"}</button>
                if running { <button id="plan-stop" onclick={stop}>{"Stop"}</button> }
                <span class="hint">{" on the scenario in the editor (what-ifs included), seed from the seed field"}</span>
            </div>
            <div class="plan-status" id="plan-status">{status}</div>
            if let Some(p) = &pl {
                {answer(p.answer.as_ref())}
                <h3>{"Probes"}</h3>
                <table class="probes" id="plan-probes">
                    <tr><th>{"RUN"}</th><th>{"SIZE"}</th><th>{"FITS"}</th><th>{"WHY NOT"}</th></tr>
                    {for p.probes.iter().rev().map(|x| html!{
                        <tr class={classes!(x.settled.then_some("settled"), if x.fits { "ok" } else { "bad" })}>
                            <td>{x.what.clone()}</td><td>{x.size}</td>
                            <td>{if x.fits { "yes" } else { "no" }}</td><td class="msg">{x.reason.clone()}</td>
                        </tr>
                    })}
                </table>
            }
        </section>
    }
}

#[cfg_attr(target_arch = "wasm32", optimize(size))]
fn answer(a: Option<&Answer>) -> Html {
    match a {
        None => html! {},
        Some(Answer::Plan(Err(e)) | Answer::Compact(Err(e))) => {
            html! { <div class="plan-answer bad" id="plan-answer">{e.to_string()}</div> }
        }
        Some(Answer::Plan(Ok(r))) => html! {
            <div class="plan-answer" id="plan-answer">
                <div class="headline">{plan_headline(r)}</div>
                <div>{"fewest nodes: "}<b id="plan-nodes">{r.nodes}</b></div>
                <div>{format!("utilization at {} nodes: {}", r.nodes, utilization_line(&r.utilization))}</div>
                <div>{format!("simulations: {}", r.simulations)}</div>
                <table class="result">
                    <tr><th>{"NODES"}</th><th>{"FITS"}</th><th>{"WHY NOT"}</th></tr>
                    {for r.tried.iter().map(|t| html!{
                        <tr><td>{t.nodes}</td><td>{if t.fits { "yes" } else { "no" }}</td><td class="msg">{t.reason.clone()}</td></tr>
                    })}
                </table>
            </div>
        },
        Some(Answer::Compact(Ok(r))) => html! {
            <div class="plan-answer" id="plan-answer">
                <div class="headline">{compact_headline(r)}</div>
                <div>{"p90: "}<b id="compact-p90">{r.p90}</b>{format!(" machines (min {}, max {})", r.min, r.max)}</div>
                <div>{format!("{} trials, {} simulations", r.trials.len(), r.simulations)}</div>
                <table class="result">
                    <tr><th>{"SEED"}</th><th>{"MACHINES"}</th><th>{"CPU"}</th><th>{"MEMORY"}</th><th>{"SIMULATIONS"}</th></tr>
                    {for r.trials.iter().map(|t| html!{
                        <tr><td>{t.seed}</td><td>{t.machines}</td><td>{pct(t.utilization.cpu)}</td>
                            <td>{pct(t.utilization.memory)}</td><td>{t.simulations}</td></tr>
                    })}
                </table>
            </div>
        },
        Some(Answer::Compare(r)) => {
            let (names, cols) = compare_table(r);
            html! {
                <div class="plan-answer" id="plan-answer">
                    <div class="headline">{format!("scenario {}  seed {}", r.scenario, r.seed)}</div>
                    <table class="result" id="compare-table">
                        <tr><th>{"METRIC"}</th>
                            {for r.schedulers.iter().map(|c| html!{ <th class="compare-col">{c.scheduler.clone()}</th> })}
                        </tr>
                        {for names.iter().enumerate().map(|(i, n)| html!{
                            <tr><td>{n.clone()}</td>
                                {for cols.iter().map(|c| html!{ <td>{c.get(i).cloned().unwrap_or_default()}</td> })}
                            </tr>
                        })}
                    </table>
                    {for r.schedulers.iter().filter(|c| !c.fits).map(|c| html!{ <div class="msg">{format!("{}: {}", c.scheduler, c.reason)}</div> })}
                </div>
            }
        }
    }
}
