//! Stand-ins for the network a function sees on Lambda, on a loopback address of their own (127.a.b.x, which
//! Linux routes to lo without configuration): a DNS server answering one name, which an empty root reaches
//! through its /etc/resolv.conf, and an HTTPS port that records the TLS ClientHello it is sent.
//!
//! Port 53 and 443 need root, as the chroot does. The address is picked per process so that concurrent
//! runs do not collide.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A DNS server on `127.a.b.53:53` that answers `name` with `127.a.b.1` (A), no address for AAAA, and
/// NXDOMAIN for any other name; it records every name asked.
pub struct Dns {
    pub server: Ipv4Addr,
    pub answer: Ipv4Addr,
    pub asked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Dns {
    pub fn start(name: &str) -> Dns {
        super::require_root();
        let seed = std::process::id()
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
        let (socket, [_, a, b, _]) = (0..50u32)
            .find_map(|i| {
                let octets = [
                    127,
                    10 + ((seed >> 8).wrapping_add(i) % 200) as u8,
                    1 + (seed.wrapping_add(i * 7) % 250) as u8,
                    53,
                ];
                UdpSocket::bind((Ipv4Addr::from(octets), 53)).ok().map(|s| (s, octets))
            })
            .expect("no loopback address to run a DNS server on port 53 (the deploy tests run as root)");
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let answer = Ipv4Addr::new(127, a, b, 1);
        let (asked, stop) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
        let (name, asked_log, stopped) = (name.to_ascii_lowercase(), asked.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((len, from)) = socket.recv_from(&mut buffer) else { continue };
                if let Some((asked_name, reply)) = reply(&buffer[..len], &name, answer) {
                    asked_log.lock().unwrap().push(asked_name);
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        Dns {
            server: Ipv4Addr::new(127, a, b, 53),
            answer,
            asked,
            stop,
            thread: Some(thread),
        }
    }

    /// The lines of an /etc/resolv.conf that uses this server.
    pub fn resolv_conf(&self) -> String {
        format!("nameserver {}\noptions timeout:2 attempts:2\n", self.server)
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The answer to one query, and the name it asked for.
fn reply(query: &[u8], name: &str, answer: Ipv4Addr) -> Option<(String, Vec<u8>)> {
    let (mut at, mut labels) = (12, Vec::new());
    while *query.get(at)? != 0 {
        let len = query[at] as usize;
        labels.push(String::from_utf8_lossy(query.get(at + 1..at + 1 + len)?).to_ascii_lowercase());
        at += 1 + len;
    }
    let question_end = at + 5;
    let qtype = u16::from_be_bytes([*query.get(at + 1)?, *query.get(at + 2)?]);
    let asked = labels.join(".");
    let known = asked == name;
    let answers: u16 = if known && qtype == 1 { 1 } else { 0 };
    let rcode = if known { 0 } else { 3 };
    let mut reply = Vec::with_capacity(64);
    reply.extend_from_slice(&query[..2]);
    reply.extend_from_slice(&[0x81, 0x80 | rcode, 0, 1, 0, answers as u8, 0, 0, 0, 0]);
    reply.extend_from_slice(query.get(12..question_end)?);
    if answers == 1 {
        // A pointer to the question's name, type A, class IN, TTL 60, four bytes of address.
        reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        reply.extend_from_slice(&answer.octets());
    }
    Some((asked, reply))
}

/// A TCP listener on `address:443` that takes one connection and keeps the first TLS record sent on it (the
/// ClientHello), then closes it: the handshake fails, as it must without a certificate for the name, but only
/// after the client resolved the name, connected and built its TLS configuration.
pub struct HelloSink {
    pub hello: Arc<Mutex<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl HelloSink {
    pub fn start(address: Ipv4Addr) -> HelloSink {
        let listener = TcpListener::bind(SocketAddr::from((address, 443)))
            .unwrap_or_else(|e| panic!("cannot listen on {address}:443 (the deploy tests run as root): {e}"));
        listener.set_nonblocking(true).unwrap();
        let hello = Arc::new(Mutex::new(Vec::new()));
        let kept = hello.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut record = Vec::new();
                let mut buffer = [0u8; 4096];
                // A TLS record: five bytes of header, the last two its length.
                while record.len() < 5 || record.len() < 5 + u16::from_be_bytes([record[3], record[4]]) as usize {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => record.extend_from_slice(&buffer[..n]),
                    }
                }
                *kept.lock().unwrap() = record;
                return;
            }
        });
        HelloSink {
            hello,
            thread: Some(thread),
        }
    }

    /// What the connection sent, once it is over (waiting at most 10 s for it).
    pub fn received(mut self) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.thread.as_ref().is_some_and(|t| !t.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(thread) = self.thread.take().filter(|t| t.is_finished()) {
            let _ = thread.join();
        }
        self.hello.lock().unwrap().clone()
    }
}
