//! Which TCP ports the app's processes listen on, read from `/proc`: the app's process tree (its group and
//! every descendant, by parent pid), their sockets (`/proc/<pid>/fd` links) and the LISTEN entries of
//! `/proc/net/tcp{,6}`. The parsing is pure functions over the files' text, tested without `/proc`; only
//! [`listening`] reads the real files. `dev` uses it to say at once when an app listens on another port
//! than `$PORT`.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The fields of `/proc/<pid>/stat` that `dev` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    pub pid: u32,
    pub ppid: u32,
    /// The process group.
    pub pgid: u32,
    /// A zombie (or dead) process, waiting for its parent: it holds no sockets and takes no signals.
    pub zombie: bool,
}

/// Parses `/proc/<pid>/stat`: `pid (comm) state ppid pgrp ...`. The command name may hold spaces and
/// parentheses, so the fields are read after its last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgid = fields.next()?.parse().ok()?;
    Some(Stat {
        pid,
        ppid,
        pgid,
        zombie: state == "Z" || state == "X",
    })
}

/// The app's processes: every process of the group `root` leads, and every descendant of `root` (by parent
/// pid), even one that moved to a group of its own.
pub(crate) fn tree(stats: &[Stat], root: u32) -> BTreeSet<u32> {
    let mut members: BTreeSet<u32> = stats.iter().filter(|s| s.pid == root || s.pgid == root).map(|s| s.pid).collect();
    loop {
        let before = members.len();
        let children: Vec<u32> = stats
            .iter()
            .filter(|s| members.contains(&s.ppid) && !members.contains(&s.pid))
            .map(|s| s.pid)
            .collect();
        members.extend(children);
        if members.len() == before {
            return members;
        }
    }
}

/// The inode of a `/proc/<pid>/fd/<n>` link that names a socket: `socket:[12345]`.
pub(crate) fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The listening sockets of a `/proc/<pid>/net/tcp` or `tcp6` table, with their inodes. Each line is
/// `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`, the
/// addresses `HEXIP:HEXPORT`, and state `0A` is LISTEN.
pub(crate) fn parse_listeners(table: &str) -> Vec<(SocketAddr, u64)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&"0A") {
                return None;
            }
            let address = parse_address(fields.get(1)?)?;
            let inode = fields.get(9)?.parse().ok()?;
            Some((address, inode))
        })
        .collect()
}

/// `0100007F:1F40` or a 32-digit IPv6 address and a port. The kernel prints each 32-bit word of the address
/// (in network order in memory) as a native-endian number, so each word's native bytes are the address's.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |hex: &[u8]| -> Option<[u8; 4]> {
        let hex = std::str::from_utf8(hex).ok()?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(ip.as_bytes())?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (out, hex) in bytes.chunks_exact_mut(4).zip(ip.as_bytes().chunks_exact(8)) {
                out.copy_from_slice(&word(hex)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The TCP addresses the processes of `root`'s tree ([`tree`]) listen on, sorted, from `/proc`: their
/// sockets' inodes from `/proc/<pid>/fd`, matched with the LISTEN sockets of `/proc/<root>/net/tcp` and
/// `tcp6`. Empty where there is no `/proc`.
pub(crate) fn listening(root: u32) -> Vec<SocketAddr> {
    #[cfg(target_os = "linux")]
    {
        use std::collections::HashSet;
        let members = tree(&all_stats(), root);
        let mut inodes = HashSet::new();
        for pid in &members {
            let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Some(inode) = std::fs::read_link(entry.path())
                    .ok()
                    .and_then(|link| socket_inode(&link.to_string_lossy()))
                {
                    inodes.insert(inode);
                }
            }
        }
        if inodes.is_empty() {
            return Vec::new();
        }
        // The tables of the app's network namespace; the leader's, or any member's once the leader is gone.
        let namespace = std::iter::once(root).chain(members.iter().copied());
        let Some(tables) = namespace
            .map(|pid| ["tcp", "tcp6"].map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}"))))
            .find(|tables| tables.iter().any(Result::is_ok))
        else {
            return Vec::new();
        };
        let mut found: Vec<SocketAddr> = tables
            .iter()
            .flatten()
            .flat_map(|text| parse_listeners(text))
            .filter(|(_, inode)| inodes.contains(inode))
            .map(|(address, _)| address)
            .collect();
        found.sort();
        found.dedup();
        found
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = root;
        Vec::new()
    }
}

/// Every process in `/proc`.
#[cfg(target_os = "linux")]
pub(crate) fn all_stats() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|text| parse_stat(&text))
        .collect()
}

/// What the app's listening sockets say about where the adapter looks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Finding {
    /// It listens on no TCP port yet.
    NotListening,
    /// It listens where the adapter connects.
    Reachable,
    /// It listens, but on other ports only: these.
    OtherPorts(Vec<SocketAddr>),
    /// It listens on the port, but on addresses the adapter's host does not reach: these.
    OtherAddresses(Vec<SocketAddr>),
}

/// Compares the addresses the app listens on with the port the adapter connects to and its host (when the
/// host is an IP address or `localhost`; a name the adapter resolves is taken on trust).
pub(crate) fn find(listening: &[SocketAddr], port: u16, host: &str) -> Finding {
    if listening.is_empty() {
        return Finding::NotListening;
    }
    let on_port: Vec<SocketAddr> = listening.iter().copied().filter(|a| a.port() == port).collect();
    if on_port.is_empty() {
        return Finding::OtherPorts(listening.to_vec());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let targets: Vec<IpAddr> = if host.eq_ignore_ascii_case("localhost") {
        vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]
    } else {
        match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => return Finding::Reachable,
        }
    };
    let reaches = |listen: &SocketAddr, target: &IpAddr| {
        let ip = match listen.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        // `[::]` takes IPv4 too, unless the socket is IPv6-only, which /proc does not tell.
        ip == *target || ip.is_unspecified() && (ip.is_ipv6() || target.is_ipv4())
    };
    if on_port.iter().any(|listen| targets.iter().any(|target| reaches(listen, target))) {
        Finding::Reachable
    } else {
        Finding::OtherAddresses(on_port)
    }
}

// ── The guardian ───────────────────────────────────────────────────────────────────────────────────────────

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_awkward_command_names() {
        let stat = parse_stat("4242 (my (odd) app) S 4000 4242 4000 34816 4242 4194304 0 0").unwrap();
        assert_eq!(
            stat,
            Stat {
                pid: 4242,
                ppid: 4000,
                pgid: 4242,
                zombie: false
            }
        );
        assert!(parse_stat("77 (sh) Z 1 70 70 0").unwrap().zombie);
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("12 (x) S notanumber 1 1"), None);
    }

    #[test]
    fn the_tree_is_the_group_and_every_descendant() {
        let stat = |pid, ppid, pgid| Stat {
            pid,
            ppid,
            pgid,
            zombie: false,
        };
        let stats = [
            stat(1, 0, 1),
            stat(100, 1, 100),   // dev
            stat(200, 100, 200), // the app (npm), leading its group
            stat(201, 200, 200), // sh -c
            stat(202, 201, 200), // node server.js
            stat(300, 202, 300), // a worker that moved to a group of its own
            stat(301, 300, 300), // and its child
            stat(400, 1, 200),   // orphaned into init, still in the app's group
            stat(500, 100, 500), // the adapter: dev's child, not the app's
        ];
        let members: Vec<u32> = tree(&stats, 200).into_iter().collect();
        assert_eq!(members, [200, 201, 202, 300, 301, 400]);
        assert_eq!(tree(&stats, 999).len(), 0);
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[123456]"), Some(123456));
        assert_eq!(socket_inode("pipe:[123456]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
        assert_eq!(socket_inode("socket:[]"), None);
    }

    /// Lines as Linux prints them on x86-64 and arm64 (little-endian).
    #[cfg(target_endian = "little")]
    #[test]
    fn listening_sockets_from_the_tcp_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 51235 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 51236 1 0000000000000000 20 4 30 10 -1
   3: 0A00A8C0:AAAA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51237 1 0000000000000000 100 0 0 10 0
";
        let found = parse_listeners(tcp);
        assert_eq!(
            found,
            [
                ("127.0.0.1:8000".parse().unwrap(), 51234),
                ("0.0.0.0:80".parse().unwrap(), 51235),
                ("192.168.0.10:43690".parse().unwrap(), 51237),
            ]
        );
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61000 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61001 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61002 1 0000000000000000 100 0 0 10 0
";
        assert_eq!(
            parse_listeners(tcp6),
            [
                ("[::]:8000".parse().unwrap(), 61000),
                ("[::1]:3000".parse().unwrap(), 61001),
                ("[::ffff:127.0.0.1]:3001".parse().unwrap(), 61002),
            ]
        );
        assert!(parse_listeners("header only\n").is_empty());
        assert!(parse_listeners("h\n 0: zz:1F40 0 0A a b c d e 1\n 1: 0100007F:1F40 0 0A a b c d e x\n").is_empty());
    }

    #[test]
    fn findings() {
        let addrs = |list: &[&str]| -> Vec<SocketAddr> { list.iter().map(|a| a.parse().unwrap()).collect() };
        assert_eq!(find(&[], 3000, "127.0.0.1"), Finding::NotListening);
        assert_eq!(
            find(&addrs(&["0.0.0.0:8000"]), 3000, "127.0.0.1"),
            Finding::OtherPorts(addrs(&["0.0.0.0:8000"]))
        );
        for reachable in ["127.0.0.1:3000", "0.0.0.0:3000", "[::]:3000", "[::ffff:127.0.0.1]:3000"] {
            assert_eq!(
                find(&addrs(&[reachable, "0.0.0.0:9229"]), 3000, "127.0.0.1"),
                Finding::Reachable,
                "{reachable}"
            );
        }
        assert_eq!(
            find(&addrs(&["[::1]:3000"]), 3000, "127.0.0.1"),
            Finding::OtherAddresses(addrs(&["[::1]:3000"]))
        );
        assert_eq!(find(&addrs(&["[::1]:3000"]), 3000, "localhost"), Finding::Reachable);
        assert_eq!(find(&addrs(&["[::1]:3000"]), 3000, "[::1]"), Finding::Reachable);
        assert_eq!(
            find(&addrs(&["0.0.0.0:3000"]), 3000, "::1"),
            Finding::OtherAddresses(addrs(&["0.0.0.0:3000"]))
        );
        assert_eq!(find(&addrs(&["10.0.0.5:3000"]), 3000, "app.internal"), Finding::Reachable);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn listening_finds_this_processes_own_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        // Only the positive check: once dropped, another test in this process may bind the same port again.
        assert!(listening(std::process::id()).contains(&address), "{address} not found");
        drop(listener);
    }
}
