//! Share and export: a link with the scenario (deflated) and seed, and downloads of the
//! scenario YAML (what-ifs included), the JSON report and the trace.

use super::{dom, Msg, Panel};
use yew::prelude::*;

#[function_component(ExportPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn export_panel(p: &Panel) -> Html {
    let state = &p.state;
    let Some(session) = state.session.clone() else {
        return html! {};
    };
    let stem = {
        let s = session.borrow();
        s.path()
            .rsplit('/')
            .next()
            .unwrap_or("scenario.yaml")
            .trim_end_matches(".yaml")
            .to_string()
    };
    let seed = session.borrow().effective_seed();
    let yaml = {
        let s = session.clone();
        let name = format!("{stem}.yaml");
        move |_| dom::download(&name, "application/yaml", s.borrow().text().as_bytes())
    };
    let report = {
        let s = session.clone();
        let name = format!("{stem}-seed{seed}-report.json");
        move |_| {
            dom::download(
                &name,
                "application/json",
                s.borrow().report_json().as_bytes(),
            )
        }
    };
    let trace = {
        let s = session.clone();
        let name = format!("{stem}-seed{seed}-trace.jsonl");
        move |_| dom::download(&name, "application/x-ndjson", s.borrow().trace_bytes())
    };
    let share = {
        let d = state.dispatcher();
        move |_| d.dispatch(Msg::Share)
    };
    html! {
        <section class="panel export" id="export">
            <h2>{"Share & export"}</h2>
            <div class="row buttons">
                <button id="share" onclick={share}>{"share link"}</button>
                <button id="dl-yaml" onclick={yaml}>{"scenario.yaml"}</button>
                <button id="dl-report" onclick={report}>{"report.json"}</button>
                <button id="dl-trace" onclick={trace}>{"trace.jsonl"}</button>
            </div>
            if let Some(url) = &state.share_url {
                <input id="share-url" readonly=true value={url.clone()} />
            }
            <div class="note">{format!("replay: cellsim run {stem}.yaml --seed {seed}")}</div>
        </section>
    }
}
