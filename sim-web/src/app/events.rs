//! The event log: the trace's latest events, filtered by words (every word must appear in
//! the line: type, object, node or message).

use super::{Msg, Panel};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How many of the latest matching events are shown.
pub const EVENTS_MAX: usize = 300;

#[function_component(EventsPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn events_panel(p: &Panel) -> Html {
    let state = &p.state;
    let Some(session) = state.session.clone() else {
        return html! {};
    };
    let events = session.borrow().events(&state.event_filter, EVENTS_MAX);
    let filter = {
        let d = state.dispatcher();
        move |e: InputEvent| {
            d.dispatch(Msg::SetFilter(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        }
    };
    let click = {
        let d = state.dispatcher();
        move |e: MouseEvent| {
            if let Some(pod) = super::dom::clicked_pod(&e) {
                d.dispatch(Msg::SelectPod(Some(pod)));
            }
        }
    };
    html! {
        <section class="events-panel">
            <input id="event-filter" placeholder="filter, e.g. FailedScheduling or Pod/default/web" value={state.event_filter.clone()} oninput={filter} />
            <span class="count" id="event-count">{format!(" {} shown (latest {EVENTS_MAX} at most)", events.len())}</span>
            <table class="events" id="event-log" onclick={click}>
                <tr><th>{"t"}</th><th>{"type"}</th><th>{"object"}</th><th>{"node"}</th><th>{"message"}</th></tr>
                {for events.iter().map(|e| {
                    let pod = e.object.strip_prefix("Pod/").map(str::to_string);
                    html!{
                        <tr data-pod={pod}>
                            <td class="t">{e.t.clone()}</td><td class="type">{e.kind.clone()}</td>
                            <td>{e.object.clone()}</td><td>{e.node.clone().unwrap_or_default()}</td><td>{e.message.clone()}</td>
                        </tr>
                    }
                })}
            </table>
        </section>
    }
}
