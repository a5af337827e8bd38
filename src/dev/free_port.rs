//! A port for the app (and its callback) that nothing else will take before the app binds it.
//!
//! `dev` picks the port, releases it and hands it to the app, which binds it a moment later. A port the
//! kernel chose (binding port 0) lies in its ephemeral range, from which it also numbers every other
//! process's outgoing connections and port-0 listeners, so on a busy machine one of those can take it in
//! that moment and the app fails with "address in use" (seen when many tests start `dev` at once). Ports
//! below the ephemeral range are handed out only to programs that ask for them by number, so `dev` picks
//! one of those at random, and checks that it is free, before falling back to the kernel's choice.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::ops::Range;

/// Where the kernel's ephemeral range starts when it does not say (Linux's default, and IANA's).
const EPHEMERAL_START: u16 = 32768;
/// The lowest port picked: above the well-known and the usual development ports (3000, 5000, 8000, 8080).
const LOWEST: u16 = 10000;
const TRIES: usize = 64;

/// A free loopback port below the ephemeral range, else one the kernel chooses.
pub(super) fn free_port() -> io::Result<u16> {
    let range = LOWEST..ephemeral_start().max(LOWEST.saturating_add(1000));
    let random = RandomState::new();
    for attempt in 0..TRIES {
        let port = pick(&range, random.hash_one(attempt));
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr().map(|a| a.port())
}

/// The first port of Linux's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), where it can be read.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(EPHEMERAL_START)
}

fn pick(range: &Range<u16>, random: u64) -> u16 {
    let span = u64::from(range.end.saturating_sub(range.start)).max(1);
    let offset = random.checked_rem(span).and_then(|r| u16::try_from(r).ok()).unwrap_or(0);
    range.start.saturating_add(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_below_the_ephemeral_range_and_free() {
        let start = ephemeral_start();
        for _ in 0..20 {
            let port = free_port().unwrap();
            assert!(port >= LOWEST, "{port}");
            assert!(
                port < start.max(LOWEST + 1000),
                "{port} is below the ephemeral range starting at {start}"
            );
            assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
        }
    }

    #[test]
    fn the_pick_stays_in_its_range() {
        for random in [0, 1, 22767, 22768, u64::MAX] {
            let port = pick(&(10000..32768), random);
            assert!((10000..32768).contains(&port), "{port}");
        }
        assert_eq!(pick(&(5..5), 7), 5, "an empty range gives its start, no panic");
    }
}
