//! Run controls and the status line: play, pause, step to the next event, speed, jump to a
//! time, reset; the simulated time, the state of the run and the trace hash.

use super::{Live, Mode, Msg, SPEEDS};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[function_component(Controls)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn controls(p: &Live) -> Html {
    let state = &p.state;
    let Some(session) = state.session.clone() else {
        let what = match state.opening {
            Some(super::Stage::Start | super::Stage::Gallery | super::Stage::Parse) => {
                "reading the scenario…"
            }
            Some(_) => "building the run…",
            None => "no scenario loaded",
        };
        return html! { <div class="controls" id="controls-empty">{what}</div> };
    };
    let s = session.borrow();
    let d = state.dispatcher();
    let finished = s.finished();
    let run_state = if finished {
        "finished"
    } else {
        match state.mode {
            Mode::Paused => "paused",
            Mode::Playing => "playing",
            Mode::Seeking(_) => "seeking",
        }
    };
    let shown_time = match (state.mode, super::SPEEDS[state.speed].1) {
        (Mode::Playing, Some(_)) => cellsim_core::time::SimTime(
            (state.clock as u64).clamp(s.now().millis(), s.end().millis()),
        ),
        _ => s.now(),
    };
    let on = |m: fn() -> Msg| {
        let d = d.clone();
        move |_: MouseEvent| d.dispatch(m())
    };
    let speed = {
        let d = d.clone();
        move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            d.dispatch(Msg::SetSpeed(v.parse().unwrap_or(0)));
        }
    };
    let jump_input = {
        let d = d.clone();
        move |e: InputEvent| {
            d.dispatch(Msg::SetJump(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        }
    };
    let jump_key = {
        let d = d.clone();
        move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                d.dispatch(Msg::Jump)
            }
        }
    };
    let stats = &state.stats;
    let avg = if stats.frames > 0 {
        stats.total_ms / stats.frames as f64
    } else {
        0.0
    };
    html! {
        <div class="controls">
            if state.mode == Mode::Paused {
                <button id="play" disabled={finished} onclick={on(|| Msg::Play)}>{"▶ play"}</button>
            } else {
                <button id="pause" onclick={on(|| Msg::Pause)}>{"⏸ pause"}</button>
            }
            <button id="step" disabled={finished} onclick={on(|| Msg::StepEvent)} title="process every event of the next instant">{"⏭ step"}</button>
            <label>{"speed "}
                <select id="speed" onchange={speed}>
                    {for SPEEDS.iter().enumerate().map(|(i, (name, _))| html!{
                        <option value={i.to_string()} selected={i == state.speed}>{*name}</option>
                    })}
                </select>
            </label>
            <input id="jump" class="short" placeholder="jump to, e.g. 5m" value={state.jump_input.clone()}
                oninput={jump_input} onkeydown={jump_key} />
            <button id="jump-go" onclick={on(|| Msg::Jump)}>{"go"}</button>
            <button id="reset" onclick={on(|| Msg::Reset)}>{"⟲ reset"}</button>
            <span class="status">
                <span id="sim-time" data-ms={shown_time.millis().to_string()}>{format!("t = {shown_time}")}</span>
                if s.in_instant() {
                    // The run stopped part-way through this instant (`Sim::step_budget`): the
                    // clock shows the instant being worked on, the charts its last boundary.
                    <span id="in-instant" title="part-way through this instant: its events and the control plane's reactions are not all done">{" (in progress)"}</span>
                }
                {format!(" / {} · ", s.end())}
                <span id="run-state">{run_state}</span>
                {format!(" · {} events · seed {}", s.sim().trace.events(), s.effective_seed())}
                <span id="frame-stats" data-frames={stats.frames.to_string()}
                    data-avg-ms={format!("{avg:.1}")} data-max-ms={format!("{:.1}", stats.max_ms)}
                    data-run-ms={stats.run_wall_ms.map(|m| format!("{m:.0}")).unwrap_or_default()}
                    data-step-ms={format!("{:.0}", stats.step_ms)} data-view-ms={format!("{:.0}", stats.view_ms)}
                    data-long-frames={stats.long_frames.to_string()} data-worst={stats.worst.iter().map(|w| w.1.as_str()).collect::<Vec<_>>().join(" | ")}>
                    {match stats.run_wall_ms {
                        Some(ms) => format!(" · ran in {:.2} s, frame avg {avg:.1} ms max {:.1} ms", ms / 1000.0, stats.max_ms),
                        None if stats.frames > 0 => format!(" · frame {:.1} ms", stats.last_ms),
                        None => String::new(),
                    }}
                </span>
            </span>
            <div class="hash">{"trace "}<code id="trace-hash" data-finished={finished.to_string()}>{s.trace_hash()}</code></div>
        </div>
    }
}
