//! The report: summary numbers (always shown, with stable ids the browser tests read) and
//! the full JSON report (`cellsim run --json`'s contract) with the expectations.

use super::Panel;
use cellsim_core::report::ExpectationResult;
use yew::prelude::*;

/// The report as the Report tab shows it: the expectations' results as the core gives them
/// (the panel used to parse them back out of the JSON, which put serde_json's text parser in
/// the wasm module) and the JSON text for the page and the browser tests.
#[derive(Debug, PartialEq)]
pub struct ShownReport {
    pub expectations: Vec<ExpectationResult>,
    pub json: String,
}

impl ShownReport {
    pub fn of(session: &crate::session::Session) -> ShownReport {
        let report = session.report();
        let json = crate::session::report_text(&report);
        ShownReport {
            expectations: report.expectations,
            json,
        }
    }
}

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
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn report_panel(p: &Panel) -> Html {
    let state = &p.state;
    let Some(shown) = state.report.clone() else {
        return html! { <section class="report"><div class="msg">{"the report is shown when the run is paused or finished"}</div></section> };
    };
    html! {
        <section class="report" id="report">
            <h3>{"Expectations"}</h3>
            <table class="expectations">
                {for shown.expectations.iter().map(|e| {
                    let ok = e.passed;
                    html!{ <tr class={if ok { "ok" } else { "bad" }}>
                        <td>{if ok { "✔" } else { "✘" }}</td>
                        <td>{e.description.clone()}</td>
                        <td>{e.detail.clone()}</td>
                    </tr> }
                })}
            </table>
            <h3>{"JSON report"}</h3>
            <pre id="report-json">{shown.json.clone()}</pre>
        </section>
    }
}
