//! Charts over simulated time, drawn as SVG from the session's samples: allocation (requested
//! over allocatable cpu and memory), pods by state, ready nodes; and one panel per service
//! (request rate, success rate, p50 latency of the traffic model's latest window) for
//! scenarios with `spec.traffic`.

use super::{pct, Panel};
use crate::session::Sample;
use yew::prelude::*;

const W: f64 = 640.0;
const H: f64 = 150.0;
const PAD: f64 = 34.0;

/// One line of a chart: name, colour, and `(t_ms, value)` points.
#[derive(Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub color: &'static str,
    pub points: Vec<(u64, f64)>,
}

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub id: AttrValue,
    pub title: AttrValue,
    pub series: Vec<Series>,
    pub t_end: u64,
    /// The y axis' top; `None`: the largest value (at least 1).
    #[prop_or_default]
    pub y_max: Option<f64>,
    #[prop_or_default]
    pub unit: AttrValue,
}

/// The SVG `points` of a series scaled into the plot area.
pub fn polyline(points: &[(u64, f64)], t_end: u64, y_max: f64) -> String {
    let tx = |t: u64| PAD + (W - PAD - 8.0) * t as f64 / t_end.max(1) as f64;
    let ty = |v: f64| H - 18.0 - (H - 28.0) * (v / y_max.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0);
    points
        .iter()
        .map(|&(t, v)| format!("{:.1},{:.1}", tx(t), ty(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[function_component(LineChart)]
pub fn line_chart(p: &ChartProps) -> Html {
    let y_max = p.y_max.unwrap_or_else(|| {
        p.series
            .iter()
            .flat_map(|s| s.points.iter().map(|x| x.1))
            .fold(1.0, f64::max)
    });
    let end = cellsim_core::time::SimTime(p.t_end);
    html! {
        <figure class="chart" id={p.id.clone()}>
            <figcaption>{p.title.clone()}
                {for p.series.iter().map(|s| html!{
                    <span class="key"><span class="swatch" style={format!("background:{}", s.color)}></span>
                    {format!("{} {}", s.name, s.points.last().map(|x| format!("{:.0}{}", x.1, p.unit)).unwrap_or_default())}</span>
                })}
            </figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none">
                <line x1={PAD.to_string()} y1="10" x2={PAD.to_string()} y2={(H - 18.0).to_string()} class="axis" />
                <line x1={PAD.to_string()} y1={(H - 18.0).to_string()} x2={(W - 8.0).to_string()} y2={(H - 18.0).to_string()} class="axis" />
                <text x="2" y="14" class="tick">{format!("{y_max:.0}{}", p.unit)}</text>
                <text x="2" y={(H - 18.0).to_string()} class="tick">{"0"}</text>
                <text x={PAD.to_string()} y={(H - 4.0).to_string()} class="tick">{"0s"}</text>
                <text x={(W - 60.0).to_string()} y={(H - 4.0).to_string()} class="tick">{end.to_string()}</text>
                {for p.series.iter().map(|s| html!{
                    <polyline points={polyline(&s.points, p.t_end, y_max)} fill="none" stroke={s.color} stroke-width="1.5" />
                })}
            </svg>
        </figure>
    }
}

/// Samples are taken when something happened, and values hold until the next one: draw
/// steps (each new value starts where the previous one ends), not slopes.
pub fn steps(points: impl IntoIterator<Item = (u64, f64)>) -> Vec<(u64, f64)> {
    let mut out: Vec<(u64, f64)> = Vec::new();
    for (t, v) in points {
        if let Some(&(_, prev)) = out.last() {
            if prev != v {
                out.push((t, prev));
            }
        }
        out.push((t, v));
    }
    out
}

fn series(
    samples: &[Sample],
    name: &'static str,
    color: &'static str,
    f: impl Fn(&Sample) -> f64,
) -> Series {
    Series {
        name,
        color,
        points: steps(samples.iter().map(|s| (s.t_ms, f(s)))),
    }
}

#[function_component(ChartsPanel)]
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn charts_panel(p: &Panel) -> Html {
    let Some(session) = p.state.session.clone() else {
        return html! {};
    };
    let s = session.borrow();
    let samples = s.samples();
    let t_end = s.end().millis();
    let alloc = vec![
        series(samples, "cpu", "#d9822b", |x| {
            pct(x.totals.req_milli_cpu, x.totals.alloc_milli_cpu)
        }),
        series(samples, "memory", "#2b7bd9", |x| {
            pct(x.totals.req_memory, x.totals.alloc_memory)
        }),
    ];
    let pods = vec![
        series(samples, "running", "#2e9e4f", |x| x.totals.running as f64),
        series(samples, "pending", "#d92b2b", |x| x.totals.pending as f64),
        series(samples, "creating", "#b59b19", |x| x.totals.creating as f64),
        series(samples, "terminating", "#888", |x| {
            x.totals.terminating as f64
        }),
    ];
    let nodes = vec![
        series(samples, "nodes", "#555", |x| x.totals.nodes as f64),
        series(samples, "ready", "#2e9e4f", |x| x.totals.ready_nodes as f64),
    ];
    let services: cellsim_core::collections::OrdSet<&String> =
        samples.iter().flat_map(|x| x.services.keys()).collect();
    html! {
        <section class="charts" id="charts">
            <LineChart id="chart-alloc" title="Allocation (requested / allocatable)" series={alloc} t_end={t_end} y_max={Some(100.0)} unit="%" />
            <LineChart id="chart-pods" title="Pods" series={pods} t_end={t_end} />
            <LineChart id="chart-nodes" title="Nodes" series={nodes} t_end={t_end} />
            <h3>{"Services"}</h3>
            if services.is_empty() {
                <div class="msg" id="services-none">{"No per-service series: this scenario sends no traffic (add spec.traffic to see request rate, success rate and latency per service)."}</div>
            }
            {for services.iter().map(|name| {
                let pick = |f: fn(&crate::session::ServicePoint) -> f64| -> Vec<(u64, f64)> {
                    steps(samples.iter().filter_map(|x| x.services.get(*name).map(|p| (x.t_ms, f(p)))))
                };
                html! {
                    <div class="service">
                        <LineChart id={format!("chart-svc-{name}-rps")} title={format!("{name}: requests/s")}
                            series={vec![Series { name: "rps", color: "#2b7bd9", points: pick(|p| p.milli_rps as f64 / 1000.0) }]} t_end={t_end} />
                        <LineChart id={format!("chart-svc-{name}-success")} title={format!("{name}: success")} unit="%" y_max={Some(100.0)}
                            series={vec![Series { name: "success", color: "#2e9e4f", points: pick(|p| p.success_permille as f64 / 10.0) }]} t_end={t_end} />
                        <LineChart id={format!("chart-svc-{name}-latency")} title={format!("{name}: latency")} unit="ms"
                            series={vec![Series { name: "latency", color: "#d9822b", points: pick(|p| p.latency_ms as f64) }]} t_end={t_end} />
                    </div>
                }
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_hold_until_the_next_sample() {
        assert_eq!(
            steps([(0, 1.0), (10, 1.0), (20, 3.0), (30, 2.0)]),
            [
                (0, 1.0),
                (10, 1.0),
                (20, 1.0),
                (20, 3.0),
                (30, 3.0),
                (30, 2.0)
            ]
        );
        assert!(steps([]).is_empty());
    }

    #[test]
    fn polylines_scale_time_and_value_into_the_plot() {
        let pts = polyline(
            &[(0, 0.0), (500, 50.0), (1000, 100.0), (1000, 500.0)],
            1000,
            100.0,
        );
        let xy: Vec<(f64, f64)> = pts
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(xy[0], (PAD, H - 18.0));
        assert_eq!(xy[2], (W - 8.0, 10.0));
        assert!((xy[1].0 - (PAD + W - 8.0) / 2.0).abs() < 0.1);
        assert_eq!(xy[3].1, 10.0, "clamped to the top");
        assert_eq!(polyline(&[], 0, 0.0), "");
    }
}
