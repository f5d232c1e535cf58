//! IPv4 addresses and CIDR blocks, as integers (the only address family modelled).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4(pub u32);

impl Ipv4 {
    /// Dotted quad; `None` for anything else (no leading zeros, four octets 0..=255).
    pub fn parse(s: &str) -> Option<Ipv4> {
        let mut v: u32 = 0;
        let mut n = 0;
        for part in s.split('.') {
            if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.starts_with('0')) {
                return None;
            }
            let o: u32 = part.parse().ok()?;
            if o > 255 {
                return None;
            }
            v = (v << 8) | o;
            n += 1;
        }
        (n == 4).then_some(Ipv4(v))
    }
}

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.to_be_bytes();
        write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    }
}

/// An IPv4 block `base/prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub base: Ipv4,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, p) = s.split_once('/')?;
        let prefix: u8 = p.parse().ok().filter(|p| *p <= 32)?;
        let ip = Ipv4::parse(ip)?;
        let mask = Self::mask(prefix);
        (ip.0 & !mask == 0).then_some(Cidr { base: ip, prefix })
    }

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        }
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix)
    }

    pub fn contains(&self, ip: Ipv4) -> bool {
        ip.0 & Self::mask(self.prefix) == self.base.0
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        assert_eq!(Ipv4::parse("10.96.0.1").unwrap().to_string(), "10.96.0.1");
        for bad in [
            "10.96.0",
            "10.96.0.256",
            "a.b.c.d",
            "10.096.0.1",
            "",
            "1.2.3.4.5",
        ] {
            assert_eq!(Ipv4::parse(bad), None, "{bad}");
        }
        let c = Cidr::parse("10.96.0.0/12").unwrap();
        assert_eq!(c.size(), 1 << 20);
        assert!(c.contains(Ipv4::parse("10.111.255.254").unwrap()));
        assert!(!c.contains(Ipv4::parse("10.112.0.1").unwrap()));
        assert_eq!(Cidr::parse("10.96.0.1/12"), None, "host bits set");
    }
}
