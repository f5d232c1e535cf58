//! The report: summary numbers (always shown, with stable ids the browser tests read) and
//! the full JSON report (`cellsim run --json`'s contract) with the expectations.

use super::Panel;
use yew::prelude::*;

#[function_component(Summary)]
pub fn summary(p: &Panel) -> Html {
    let Some(session) = p.state.session.clone() else {
        return html! {};
    };
    let s = session.borrow();
    let sim = s.sim();
    // Pods by phase, as the JSON report's `pods` counts them: kept by the view cache (a walk
    // of 30,000 pods here cost a frame's worth at every render), as of the view shown.
    let ph = p.state.view.phases;
    let (pending, running, succeeded, failed) = (ph.pending, ph.running, ph.succeeded, ph.failed);
    let st = &sim.scheduler.stats;
    let item = |id: &str, label: &str, v: u64| {
        html! { <span class="num"><b id={id.to_string()}>{v}</b>{format!(" {label}")}</span> }
    };
    html! {
        <div class="summary" id="summary">
            {item("sum-running", "running", running)}
            {item("sum-pending", "pending", pending)}
            {item("sum-succeeded", "succeeded", succeeded)}
            {item("sum-failed", "failed", failed)}
            {item("sum-events", "events", sim.trace.events())}
            {item("sum-attempts", "attempts", st.attempts)}
            {item("sum-scheduled", "scheduled", st.scheduled)}
            {item("sum-unschedulable", "unschedulable", st.unschedulable)}
            {item("sum-preemptions", "preemptions", st.preemptions)}
        </div>
    }
}

#[function_component(ReportPanel)]
pub fn report_panel(p: &Panel) -> Html {
    let state = &p.state;
    let Some(json) = state.report_json.clone() else {
        return html! { <section class="report"><div class="msg">{"the report is shown when the run is paused or finished"}</div></section> };
    };
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let exps = v["expectations"].as_array().cloned().unwrap_or_default();
    html! {
        <section class="report" id="report">
            <h3>{"Expectations"}</h3>
            <table class="expectations">
                {for exps.iter().map(|e| {
                    let ok = e["passed"].as_bool().unwrap_or(false);
                    html!{ <tr class={if ok { "ok" } else { "bad" }}>
                        <td>{if ok { "✔" } else { "✘" }}</td>
                        <td>{e["description"].as_str().unwrap_or_default().to_string()}</td>
                        <td>{e["detail"].as_str().unwrap_or_default().to_string()}</td>
                    </tr> }
                })}
            </table>
            <h3>{"JSON report"}</h3>
            <pre id="report-json">{(*json).clone()}</pre>
        </section>
    }
}
