//! Rollout progress: the Progressing condition and the progress-deadline check on a timer.
//!
//! Upstream: pkg/controller/deployment/progress.go (`syncRolloutStatus`,
//! `requeueStuckDeployment`).

use super::sync::{calculate_status, write_deployment};
use super::util::*;
use crate::api::apps::{Deployment, ReplicaSet};
use crate::sim::ctx::Ctx;
use crate::time::SimTime;

/// When to look at the Deployment again for its progress deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recheck {
    /// `enqueueAfter`.
    At(SimTime),
    /// `enqueueRateLimited`: as soon as the controller's rate limiter allows.
    RateLimited,
}

/// `syncRolloutStatus`: the status, with the Progressing condition moved on when the new
/// ReplicaSet completes (NewReplicaSetAvailable), makes progress (ReplicaSetUpdated: its last
/// update time restarts the deadline) or missed the deadline (ProgressDeadlineExceeded).
/// Returns when to check the deadline again (`requeueStuckDeployment`), if needed.
pub fn sync_rollout_status(
    ctx: &mut Ctx,
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    d: &mut Deployment,
) -> Option<Recheck> {
    let now = ctx.now.millis();
    let mut s = calculate_status(all, new_rs, d, now);
    let deadline = progress_deadline(d);
    if deadline.is_none() {
        remove_condition(&mut s, PROGRESSING);
    }
    let current = d.status.condition(PROGRESSING).cloned();
    // Only one replica set active and complete: a resync, no progress to estimate.
    let complete = s.replicas == s.updated_replicas
        && current
            .as_ref()
            .is_some_and(|c| c.reason == NEW_REPLICA_SET_AVAILABLE);
    if deadline.is_some() && !complete {
        let name = |what: &str| match new_rs {
            Some(rs) => format!("ReplicaSet {:?} {what}", rs.metadata.name),
            None => format!("Deployment {:?} {what}", d.metadata.name),
        };
        if deployment_complete(d, &s) {
            let c = condition(
                PROGRESSING,
                "True",
                NEW_REPLICA_SET_AVAILABLE,
                name("has successfully progressed."),
                now,
            );
            set_condition(&mut s, c);
        } else if deployment_progressing(d, &s) {
            let mut c = condition(
                PROGRESSING,
                "True",
                REPLICA_SET_UPDATED,
                name("is progressing."),
                now,
            );
            // Update everything but the transition time (even with the same reason).
            if let Some(cur) = &current {
                if cur.status == "True" {
                    c.last_transition_time = cur.last_transition_time;
                }
                remove_condition(&mut s, PROGRESSING);
            }
            set_condition(&mut s, c);
        } else if deployment_timed_out(d, &s, now) {
            let c = condition(
                PROGRESSING,
                "False",
                TIMED_OUT,
                name("has timed out progressing."),
                now,
            );
            set_condition(&mut s, c);
        }
    }
    // ReplicaFailure conditions come from ReplicaSet conditions, which cellsim's ReplicaSet
    // controller does not set (a failed pod creation is a FailedCreate event only).
    if s == d.status {
        return requeue_stuck(d, &s, now);
    }
    d.status = s;
    write_deployment(ctx, d);
    None
}

/// `requeueStuckDeployment`: a rollout still in progress is checked again when its deadline
/// passes — `lastUpdateTime + progressDeadlineSeconds`, plus upstream's one second "to avoid
/// milliseconds skew in AddAfter"; within a second of it (or past it: a Deployment that lost
/// availability after completing), a rate-limited requeue.
fn requeue_stuck(
    d: &Deployment,
    s: &crate::api::apps::DeploymentStatus,
    now: u64,
) -> Option<Recheck> {
    let deadline = progress_deadline(d)?;
    let current = d.status.condition(PROGRESSING)?;
    if deployment_complete(d, s) || current.reason == TIMED_OUT {
        return None;
    }
    let due = current.last_update_time + deadline.max(0) as u64 * 1000;
    if due < now + 1000 {
        return Some(Recheck::RateLimited);
    }
    Some(Recheck::At(SimTime(due + 1000)))
}

/// The Deployment controller's queue rate limiter, `workqueue.DefaultControllerRateLimiter`:
/// the larger of a per-item exponential backoff from 5 ms (forgotten after every successful
/// sync, so always 5 ms here) and a token bucket shared by all items, 10 per second with a
/// burst of 100 (golang.org/x/time/rate, starting full).
#[derive(Clone, Debug)]
pub struct RateLimiter {
    /// Tokens × 1000 at `last`.
    milli_tokens: i64,
    last: u64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            milli_tokens: BURST * 1000,
            last: 0,
        }
    }
}

const BURST: i64 = 100;
/// Tokens per second, i.e. milli-tokens per millisecond ÷ 1000 × 1000.
const MILLI_TOKENS_PER_MS: i64 = 10;
const BASE_DELAY_MS: u64 = 5;

impl RateLimiter {
    /// `AddRateLimited` at `now`: when the item is added.
    pub fn when(&mut self, now: u64) -> SimTime {
        let elapsed = now.saturating_sub(self.last) as i64;
        self.milli_tokens = (self.milli_tokens + elapsed * MILLI_TOKENS_PER_MS).min(BURST * 1000);
        self.last = now;
        self.milli_tokens -= 1000;
        let bucket_wait = if self.milli_tokens >= 0 {
            0
        } else {
            ((-self.milli_tokens) as u64).div_ceil(MILLI_TOKENS_PER_MS as u64)
        };
        SimTime(now + bucket_wait.max(BASE_DELAY_MS))
    }
}
