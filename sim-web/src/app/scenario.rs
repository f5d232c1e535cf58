//! The scenario panel: the gallery of built-in scenarios, the YAML editor (errors at their
//! line and column), loading a file from disk, the seed, and whether decisions are recorded.

use super::{dom, Msg, Panel};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

thread_local! {
    static GALLERY: Rc<Vec<(String, String, String)>> = Rc::new(crate::session::gallery());
}

#[function_component(ScenarioPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn scenario_panel(p: &Panel) -> Html {
    let state = &p.state;
    let d = state.dispatcher();
    // Not in the page's first render: read in a frame of its own (`Stage::Gallery`).
    let gallery = if matches!(state.opening, Some(super::Stage::Start)) {
        Rc::new(Vec::new())
    } else {
        GALLERY.with(Rc::clone)
    };
    let current = state
        .session
        .as_ref()
        .map(|s| s.borrow().path().to_string())
        .unwrap_or_default();
    let open = use_state(|| false);
    let toggle = {
        let open = open.clone();
        move |_| open.set(!*open)
    };
    let edit = {
        let d = d.clone();
        move |e: InputEvent| {
            d.dispatch(Msg::EditText(
                e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            ))
        }
    };
    let apply = {
        let d = d.clone();
        move |_| d.dispatch(Msg::ApplyText)
    };
    let file = {
        let d = d.clone();
        move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let d = d.clone();
            dom::read_file(&input, move |name, text| {
                d.dispatch(Msg::LoadFile { name, text })
            });
        }
    };
    let seed = {
        let d = d.clone();
        move |e: Event| {
            d.dispatch(Msg::SetSeed(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        }
    };
    let explain_on = state.session.as_ref().is_some_and(|s| s.borrow().explain());
    let explain = {
        let d = d.clone();
        move |e: Event| {
            d.dispatch(Msg::SetExplain(
                e.target_unchecked_into::<HtmlInputElement>().checked(),
            ))
        }
    };
    let error = state.editor_error.as_ref().map(|e| {
        let line = state
            .editor_text
            .lines()
            .nth(e.line.saturating_sub(1) as usize)
            .unwrap_or("");
        let caret = format!("{}^", " ".repeat(e.column.saturating_sub(1) as usize));
        html! {
            <div class="editor-error" id="editor-error" data-line={e.line.to_string()} data-column={e.column.to_string()}>
                <div>{format!("line {}, column {}: {}", e.line, e.column, e.message)}</div>
                <pre>{format!("{:>4} | {line}\n     | {caret}", e.line)}</pre>
            </div>
        }
    });
    html! {
        <section class="panel scenario">
            <h2>{"Scenario"}</h2>
            <div class="gallery" id="gallery">
                {for gallery.iter().map(|(stem, name, desc)| {
                    let d = d.clone();
                    let s = stem.clone();
                    let active = current == format!("scenarios/{stem}.yaml");
                    html! {
                        <button class={classes!("card", active.then_some("active"))} id={format!("gallery-{stem}")}
                            title={desc.clone()} onclick={move |_| d.dispatch(Msg::SelectScenario(s.clone()))}>
                            {name.clone()}
                        </button>
                    }
                })}
            </div>
            <div class="row">
                <label>{"seed "}<input id="seed" class="short" type="number" min="0" placeholder="scenario's"
                    value={state.seed_input.clone()} onchange={seed} /></label>
                <label title="record every scheduling decision (filtered nodes, per-plugin scores) for the pod panel">
                    <input id="explain" type="checkbox" checked={explain_on} onchange={explain} />{" record decisions"}
                </label>
            </div>
            <div class="row">
                <label class="file">{"open file… "}<input id="file" type="file" accept=".yaml,.yml" onchange={file} /></label>
                <button id="edit-toggle" onclick={toggle}>{if *open { "hide YAML" } else { "edit YAML" }}</button>
            </div>
            if *open || state.editor_error.is_some() {
                <textarea id="editor" spellcheck="false" value={state.editor_text.clone()} oninput={edit} />
                <button id="apply" onclick={apply}>{"load edited scenario"}</button>
            }
            {error.unwrap_or_default()}
            <div class="path">{current}</div>
        </section>
    }
}
