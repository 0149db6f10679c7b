//! A small HTTP/1.1 proxy in front of the S3 test server that the tests
//! control: it forwards requests until told to "stop the server" at the
//! Nth PUT whose path contains a marker; from then on it closes every
//! connection, as a server that went away would, until `restore`.
//!
//! It reads only the request side (request line, headers, Content-Length
//! body) to count PUTs; responses are copied back byte for byte. object_store
//! sends bodies with Content-Length and no pipelining, which is all this
//! needs to follow.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<State>,
}

struct State {
    upstream: SocketAddr,
    down: AtomicBool,
    /// (path marker, cut at this PUT number) when armed.
    armed: Mutex<Option<(String, usize)>>,
    puts_seen: AtomicUsize,
    /// Paths of the PUTs forwarded while armed, for messages.
    forwarded: Mutex<Vec<String>>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 in front of `upstream`
    /// (`http://127.0.0.1:9000`).
    pub fn start(upstream: &str) -> Self {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream host:port");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            upstream,
            down: AtomicBool::new(false),
            armed: Mutex::new(None),
            puts_seen: AtomicUsize::new(0),
            forwarded: Mutex::new(Vec::new()),
        });
        let accept_state = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if accept_state.down.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let state = accept_state.clone();
                std::thread::spawn(move || serve(client, state));
            }
        });
        Self { endpoint, state }
    }

    /// The server "stops" when the `nth` PUT (1-based) whose path contains
    /// `marker` arrives: that request and everything after it fail.
    pub fn stop_server_at_put(&self, marker: &str, nth: usize) {
        self.state.puts_seen.store(0, Ordering::SeqCst);
        self.state.forwarded.lock().unwrap().clear();
        *self.state.armed.lock().unwrap() = Some((marker.to_string(), nth));
    }

    /// The server is back.
    pub fn restore(&self) {
        *self.state.armed.lock().unwrap() = None;
        self.state.down.store(false, Ordering::SeqCst);
    }

    pub fn is_down(&self) -> bool {
        self.state.down.load(Ordering::SeqCst)
    }

    /// PUTs matching the marker that went through before the cut.
    pub fn forwarded_puts(&self) -> Vec<String> {
        self.state.forwarded.lock().unwrap().clone()
    }
}

fn serve(client: TcpStream, state: Arc<State>) {
    let Ok(upstream) = TcpStream::connect(state.upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    // Responses: copied back until either side closes.
    let (mut up_read, mut client_write) =
        (upstream.try_clone().unwrap(), client.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Both);
    });
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut up_write = upstream.try_clone().unwrap();
    let close = || {
        let _ = client.shutdown(Shutdown::Both);
        let _ = upstream.shutdown(Shutdown::Both);
    };
    loop {
        // Request line and headers.
        let mut head = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return close(),
                Ok(_) => {}
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
            let end = line == "\r\n";
            head.extend_from_slice(line.as_bytes());
            if end {
                break;
            }
        }
        if state.down.load(Ordering::SeqCst) {
            return close();
        }
        let request_line = String::from_utf8_lossy(&head)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if method == "PUT" {
            let armed = state.armed.lock().unwrap().clone();
            if let Some((marker, nth)) = armed {
                if path.contains(&marker) {
                    let seen = state.puts_seen.fetch_add(1, Ordering::SeqCst) + 1;
                    if seen >= nth {
                        state.down.store(true, Ordering::SeqCst);
                        return close();
                    }
                    state.forwarded.lock().unwrap().push(path.to_string());
                }
            }
        }
        let mut body = vec![0u8; content_length];
        if reader.read_exact(&mut body).is_err() {
            return close();
        }
        if up_write.write_all(&head).is_err() || up_write.write_all(&body).is_err() {
            return close();
        }
    }
}
