//! The `bloodmobile serve` and `bloodmobile worker` processes of a race: started, checked,
//! killed with SIGKILL and started again.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Options;

/// What every process is started with.
pub struct Env {
    pub database_url: String,
    pub smtp_url: String,
    pub sms_url: String,
}

pub struct Fleet {
    binary: String,
    /// Where the processes' logs go.
    logs: std::path::PathBuf,
    env: Vec<(&'static str, String)>,
    servers: Vec<(u16, Child)>,
    workers: Vec<Child>,
    /// Processes found dead that nobody killed.
    died: usize,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Fleet {
    pub fn start(options: &Options, env: &Env, logs: std::path::PathBuf) -> Fleet {
        let mut fleet = Fleet {
            binary: options.binary.clone(),
            logs,
            env: vec![
                ("DATABASE_URL", env.database_url.clone()),
                ("BLOODMOBILE_SMTP_URL", env.smtp_url.clone()),
                (
                    "BLOODMOBILE_MAIL_FROM",
                    "血站 <station@race.example>".into(),
                ),
                ("BLOODMOBILE_SMS_URL", env.sms_url.clone()),
                ("BLOODMOBILE_RATE_LIMIT", "0".into()),
                ("BLOODMOBILE_POOL_SIZE", "8".into()),
                ("BLOODMOBILE_LOG", "warn".into()),
            ],
            servers: Vec::new(),
            workers: Vec::new(),
            died: 0,
        };
        for _ in 0..options.instances {
            let port = free_port();
            let child = fleet.spawn_server(port);
            fleet.servers.push((port, child));
        }
        for _ in 0..options.workers {
            let child = fleet.spawn_worker();
            fleet.workers.push(child);
        }
        fleet
    }

    fn command(&self, args: &[&str]) -> Command {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.logs)
            .expect("the processes' log file");
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        command
    }

    fn spawn_server(&self, port: u16) -> Child {
        let bind = format!("127.0.0.1:{port}");
        self.command(&["serve", "--no-worker", "--workers", "2", "--bind", &bind])
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary))
    }

    fn spawn_worker(&self) -> Child {
        self.command(&["worker"])
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary))
    }

    pub fn ports(&self) -> Vec<u16> {
        self.servers.iter().map(|(port, _)| *port).collect()
    }

    /// Waits until every server answers `/readyz`.
    pub fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        for port in self.ports() {
            while !ready(port) {
                assert!(
                    Instant::now() < deadline,
                    "server on {port} never got ready"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// SIGKILL to the first server and the first worker, then both started again.
    pub fn crash_and_restart(&mut self) {
        let (port, server) = &mut self.servers[0];
        let port = *port;
        let _ = server.kill();
        let _ = server.wait();
        let worker = &mut self.workers[0];
        let _ = worker.kill();
        let _ = worker.wait();
        eprintln!("race: killed the server on {port} and a worker");
        std::thread::sleep(Duration::from_secs(1));
        self.servers[0].1 = self.spawn_server(port);
        self.workers[0] = self.spawn_worker();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(port) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("race: restarted them");
    }

    /// Counts the processes that exited on their own since the last look.
    pub fn count_dead(&mut self) -> usize {
        let mut dead = 0;
        for child in self
            .servers
            .iter_mut()
            .map(|(_, c)| c)
            .chain(self.workers.iter_mut())
        {
            if let Ok(Some(_)) = child.try_wait() {
                dead += 1;
            }
        }
        self.died = self.died.max(dead);
        dead
    }

    /// Stops every process; returns how many had died on their own.
    pub fn stop(&mut self) -> usize {
        self.count_dead();
        for child in self
            .servers
            .iter_mut()
            .map(|(_, c)| c)
            .chain(self.workers.iter_mut())
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.died
    }
}

/// Whether the server on `port` answers `/readyz` with 200 (a blocking one-shot request).
pub fn ready(port: u16) -> bool {
    readyz(port) == Some(200)
}

/// The status of `GET /readyz`, or `None` when nothing answers.
pub fn readyz(port: u16) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(
        &([127, 0, 0, 1], port).into(),
        Duration::from_secs(1),
    )
    .ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .ok()?;
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
