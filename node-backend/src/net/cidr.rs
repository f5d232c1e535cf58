//! IPv4 prefixes, the per-node pod CIDRs and a node's pod address allocator.
//!
//! Node CIDRs are cut from the cluster CIDR in node order, as kube-controller-manager's range
//! allocator does (`--allocate-node-cidrs`, `--cluster-cidr=10.244.0.0/16`,
//! `--node-cidr-mask-size=24`: node i gets the i-th /24). Pod addresses come from the node's
//! CIDR lowest-free-first, skipping the network address, the gateway (`.1`, on `cbr0`) and
//! the broadcast address, as CNI `host-local` IPAM hands them out (`plugins/ipam/host-local`
//! range allocator; it starts after the last reserved address, this one at the lowest free,
//! which makes addresses predictable in tests).

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// An IPv4 prefix `addr/prefix` (the address is the network address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Net {
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Result<Ipv4Net> {
        if prefix > 32 {
            return Err(Error::Invalid(format!("prefix length {prefix} > 32")));
        }
        let net = Ipv4Net { addr, prefix };
        if u32::from(addr) & !net.mask() != 0 {
            return Err(Error::Invalid(format!(
                "{addr}/{prefix} has host bits set (the network is {}/{prefix})",
                Ipv4Addr::from(u32::from(addr) & net.mask())
            )));
        }
        Ok(net)
    }

    pub fn parse(s: &str) -> Result<Ipv4Net> {
        let bad = || Error::Invalid(format!("invalid IPv4 CIDR {s:?}: expected A.B.C.D/N"));
        let (a, p) = s.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
        let prefix: u8 = p.parse().map_err(|_| bad())?;
        Ipv4Net::new(addr, prefix)
    }

    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.addr)
    }

    /// The `i`-th address of the prefix (0 = the network address).
    pub fn nth(&self, i: u64) -> Option<Ipv4Addr> {
        (i < self.size()).then(|| Ipv4Addr::from(u32::from(self.addr) + i as u32))
    }

    /// The `i`-th subnet of length `prefix` inside this prefix.
    pub fn subnet(&self, prefix: u8, i: u64) -> Result<Ipv4Net> {
        if prefix < self.prefix || prefix > 32 {
            return Err(Error::Invalid(format!("/{prefix} does not fit in {self}")));
        }
        let count = 1u64 << (prefix - self.prefix);
        if i >= count {
            return Err(Error::Invalid(format!(
                "{self} has room for {count} /{prefix} subnets; subnet {i} asked"
            )));
        }
        Ipv4Net::new(
            Ipv4Addr::from(u32::from(self.addr) + (i << (32 - prefix)) as u32),
            prefix,
        )
    }
}

impl std::fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A node's pod address allocator (host-local IPAM over one range).
#[derive(Clone, Debug)]
pub struct Ipam {
    pub range: Ipv4Net,
    /// address -> owner (a pod uid).
    used: BTreeMap<Ipv4Addr, String>,
}

impl Ipam {
    pub fn new(range: Ipv4Net) -> Ipam {
        Ipam {
            range,
            used: BTreeMap::new(),
        }
    }

    /// The gateway: the range's first address (on the node's bridge).
    pub fn gateway(&self) -> Ipv4Addr {
        self.range
            .nth(1)
            .expect("a pod range has at least 4 addresses")
    }

    /// An address for `owner`: the one it holds already, else the lowest free one.
    pub fn allocate(&mut self, owner: &str) -> Result<Ipv4Addr> {
        if let Some((ip, _)) = self.used.iter().find(|(_, o)| *o == owner) {
            return Ok(*ip);
        }
        let last = self.range.size().saturating_sub(1);
        for i in 2..last {
            let ip = self.range.nth(i).expect("in range");
            if let std::collections::btree_map::Entry::Vacant(e) = self.used.entry(ip) {
                e.insert(owner.to_string());
                return Ok(ip);
            }
        }
        Err(Error::Net(format!("no free pod address in {}", self.range)))
    }

    /// Record an address found in use (a pod re-adopted after a restart).
    pub fn reserve(&mut self, ip: Ipv4Addr, owner: &str) -> Result<()> {
        if !self.range.contains(ip) {
            return Err(Error::Net(format!("{ip} is not in {}", self.range)));
        }
        self.used.insert(ip, owner.to_string());
        Ok(())
    }

    /// Release whatever `owner` holds.
    pub fn release(&mut self, owner: &str) -> Option<Ipv4Addr> {
        let ip = self
            .used
            .iter()
            .find(|(_, o)| *o == owner)
            .map(|(ip, _)| *ip)?;
        self.used.remove(&ip);
        Some(ip)
    }

    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_print_and_split() {
        let c = Ipv4Net::parse("10.244.0.0/16").unwrap();
        assert_eq!(c.to_string(), "10.244.0.0/16");
        assert_eq!(c.subnet(24, 3).unwrap().to_string(), "10.244.3.0/24");
        assert!(c.subnet(24, 256).is_err());
        assert!(Ipv4Net::parse("10.244.0.1/16")
            .unwrap_err()
            .to_string()
            .contains("host bits"));
        assert!(Ipv4Net::parse("10.244.0.0").is_err());
        let n = Ipv4Net::parse("10.244.3.0/24").unwrap();
        assert!(n.contains("10.244.3.77".parse().unwrap()));
        assert!(!n.contains("10.244.4.1".parse().unwrap()));
    }

    #[test]
    fn ipam_hands_out_lowest_free_skipping_network_gateway_broadcast() {
        let mut a = Ipam::new(Ipv4Net::parse("10.244.1.0/29").unwrap());
        assert_eq!(a.gateway().to_string(), "10.244.1.1");
        let got: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|o| a.allocate(o).unwrap().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "10.244.1.2",
                "10.244.1.3",
                "10.244.1.4",
                "10.244.1.5",
                "10.244.1.6"
            ]
        );
        assert!(a.allocate("f").is_err(), ".7 is the broadcast address");
        assert_eq!(
            a.allocate("c").unwrap().to_string(),
            "10.244.1.4",
            "idempotent per owner"
        );
        assert_eq!(a.release("b").unwrap().to_string(), "10.244.1.3");
        assert_eq!(a.allocate("g").unwrap().to_string(), "10.244.1.3");
        assert!(a.reserve("10.0.0.1".parse().unwrap(), "x").is_err());
        assert_eq!(a.in_use(), 5);
    }
}
