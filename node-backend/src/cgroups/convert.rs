//! Resource conversions, exactly as the kubelet and runc compute them.

/// kubelet pkg/kubelet/cm/helpers_linux.go: `MinShares`, `MaxShares`, `SharesPerCPU`,
/// `MilliCPUToCPU`, `QuotaPeriod` (100 ms in µs), `MinQuotaPeriod` (1 ms in µs).
pub const MIN_SHARES: u64 = 2;
pub const MAX_SHARES: u64 = 262_144;
pub const SHARES_PER_CPU: u64 = 1024;
pub const MILLI_CPU_TO_CPU: u64 = 1000;
pub const QUOTA_PERIOD_US: u64 = 100_000;
pub const MIN_QUOTA_PERIOD_US: i64 = 1000;

/// kubelet `MilliCPUToShares`: cpu request (millicores) → cgroup v1 `cpu.shares`.
pub fn milli_cpu_to_shares(milli_cpu: i64) -> u64 {
    if milli_cpu <= 0 {
        return MIN_SHARES;
    }
    let shares = (milli_cpu as u64).saturating_mul(SHARES_PER_CPU) / MILLI_CPU_TO_CPU;
    shares.clamp(MIN_SHARES, MAX_SHARES)
}

/// kubelet `MilliCPUToQuota`: cpu limit (millicores) → CFS quota in µs for `period` µs;
/// 0 means no limit.
pub fn milli_cpu_to_quota(milli_cpu: i64, period: u64) -> i64 {
    if milli_cpu <= 0 {
        return 0;
    }
    let quota = milli_cpu.saturating_mul(period as i64) / MILLI_CPU_TO_CPU as i64;
    quota.max(MIN_QUOTA_PERIOD_US)
}

/// cgroup v2 `cpu.weight` from v1 shares: runc libcontainer/cgroups
/// `ConvertCPUSharesToCgroupV2Value` (the same formula as the kubelet's
/// `CpuSharesToCpuWeight` in pkg/kubelet/cm/cgroup_manager_linux.go and crun's
/// `convert_shares_to_weight`): `1 + ((shares - 2) * 9999) / 262142`; 0 stays unset.
pub fn shares_to_weight(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    1 + (shares.saturating_sub(2) * 9999) / 262_142
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_kubelet() {
        // pkg/kubelet/cm/helpers_linux_test.go TestMilliCPUToShares-style rows.
        for (milli, shares) in [
            (0, 2),
            (1, 2),
            (2, 2),
            (100, 102),
            (250, 256),
            (1000, 1024),
            (1500, 1536),
            (300_000, 262_144),
        ] {
            assert_eq!(milli_cpu_to_shares(milli), shares, "milli {milli}");
        }
    }

    #[test]
    fn quota_has_a_floor_and_scales_with_the_period() {
        assert_eq!(milli_cpu_to_quota(0, QUOTA_PERIOD_US), 0);
        assert_eq!(milli_cpu_to_quota(5, QUOTA_PERIOD_US), 1000);
        assert_eq!(milli_cpu_to_quota(10, QUOTA_PERIOD_US), 1000);
        assert_eq!(milli_cpu_to_quota(200, QUOTA_PERIOD_US), 20_000);
        assert_eq!(milli_cpu_to_quota(1500, QUOTA_PERIOD_US), 150_000);
        assert_eq!(milli_cpu_to_quota(500, 50_000), 25_000);
    }

    #[test]
    fn weight_maps_the_share_range_onto_1_to_10000() {
        assert_eq!(shares_to_weight(0), 0);
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
    }
}
