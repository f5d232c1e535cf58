//! How long a playing frame may step the simulation: what is left of the frame's script time
//! after the render it will need.
//!
//! A frame that steps for `STEP_BUDGET_MS` and then renders a rebuilt cluster view (1,000
//! nodes) ran its script for about 32 ms; with the browser's style, layout and paint after
//! it, it missed the second 60 Hz refresh and took three (50 ms: docs/benchmarks.md,
//! "Frames"). Frames that rebuild the view and frames that do not render very differently,
//! so each kind keeps its own estimate of its render time (the longest recent one, decaying),
//! and stepping stops early enough for the frame's script to end by `FRAME_SCRIPT_MS`. View
//! frames come once a second at most, so the run loses little stepping.

use super::STEP_BUDGET_MS;

/// A frame's script (view, stepping, update and render) fits in this, leaving the rest of two
/// refresh periods (33.3 ms) to the browser's style, layout and paint.
pub const FRAME_SCRIPT_MS: f64 = 26.0;
/// Every playing frame steps at least this long, however slow its render was.
pub const MIN_STEP_MS: f64 = 8.0;
/// An estimate forgets a slow render by this factor per frame of its kind.
const DECAY: f64 = 0.95;

/// Render time estimates (ms) for frames without and with a rebuilt view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameBudget {
    render_ms: [f64; 2],
}

impl Default for FrameBudget {
    fn default() -> Self {
        // Until measured: what 1,000-node frames took (docs/benchmarks.md, "Frames"); the first
        // view with t=0's pods renders them all for the first time (16 ms in the page).
        FrameBudget {
            render_ms: [2.0, 16.0],
        }
    }
}

impl FrameBudget {
    /// A frame's render took `ms` (from the end of its update to its committed render).
    pub fn observe(&mut self, with_view: bool, ms: f64) {
        if !ms.is_finite() || ms < 0.0 {
            return;
        }
        let e = &mut self.render_ms[usize::from(with_view)];
        *e = ms.max(*e * DECAY);
    }

    /// Milliseconds after the frame's start until which it may step (a frame that rebuilds
    /// its view spends part of this on it before stepping): never more than
    /// `STEP_BUDGET_MS`, never less than `MIN_STEP_MS`.
    pub fn step_until(&self, with_view: bool) -> f64 {
        (FRAME_SCRIPT_MS - self.render_ms[usize::from(with_view)])
            .clamp(MIN_STEP_MS, STEP_BUDGET_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_render_shortens_the_stepping_of_its_kind_only() {
        let mut b = FrameBudget::default();
        assert_eq!(b.step_until(false), STEP_BUDGET_MS);
        assert_eq!(b.step_until(true), FRAME_SCRIPT_MS - 16.0);
        b.observe(true, 17.0);
        assert_eq!(b.step_until(true), FRAME_SCRIPT_MS - 17.0);
        assert_eq!(
            b.step_until(false),
            STEP_BUDGET_MS,
            "plain frames keep their budget"
        );
        b.observe(false, 5.0);
        assert_eq!(b.step_until(false), FRAME_SCRIPT_MS - 5.0);
    }

    #[test]
    fn the_estimate_decays_back_after_one_slow_render_and_stays_in_bounds() {
        let mut b = FrameBudget::default();
        b.observe(true, 40.0);
        assert_eq!(b.step_until(true), MIN_STEP_MS, "at least MIN_STEP_MS");
        for _ in 0..200 {
            b.observe(true, 3.0);
        }
        assert_eq!(b.step_until(true), FRAME_SCRIPT_MS - 3.0);
        b.observe(true, f64::NAN);
        b.observe(true, -1.0);
        assert_eq!(
            b.step_until(true),
            FRAME_SCRIPT_MS - 3.0,
            "nonsense ignored"
        );
    }
}
