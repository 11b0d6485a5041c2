//! A PostgreSQL cluster of the race's own in a temporary folder, from the server binaries of
//! the machine's PostgreSQL package, so that it can be stopped and started; removed on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

/// The folder of `initdb`, `pg_ctl` and `postgres`: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin`, else the `PATH`.
fn server_binaries() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    if let Some(bin) = versions.pop() {
        return Ok(bin);
    }
    let which = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .map_err(|e| e.to_string())?;
    let initdb = String::from_utf8_lossy(&which.stdout).trim().to_string();
    Path::new(&initdb)
        .parent()
        .filter(|_| !initdb.is_empty())
        .map(Path::to_path_buf)
        .ok_or_else(|| "no PostgreSQL server binaries (initdb, pg_ctl): install postgresql".into())
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Cluster {
    pub fn start() -> Result<Cluster, String> {
        let bin = server_binaries()?;
        let dir = std::env::temp_dir().join(format!("bloodmobile-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster { dir, bin, port };
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(&cluster.dir))?;
        }
        // initdb refuses to run as root; the race then runs the server as `postgres`.
        run(cluster
            .command("initdb")
            .args(["-D"])
            .arg(cluster.data())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]))?;
        cluster.certificates()?;
        std::fs::write(
            cluster.data().join("postgresql.auto.conf"),
            format!(
                "port = {port}\nlisten_addresses = 'localhost'\nunix_socket_directories = '{dir}'\n\
                 max_connections = 300\nshared_buffers = 128MB\n\
                 ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n",
                dir = cluster.dir.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        // Over TCP only with TLS: a connection without it is refused.
        std::fs::write(
            cluster.data().join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
        )
        .map_err(|e| e.to_string())?;
        cluster.up()?;
        run(cluster.command("createdb").args([
            "-h",
            "localhost",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "race",
        ]))?;
        Ok(cluster)
    }

    /// A command of the server binaries, run as `postgres` when this process is root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The database over TLS, the server's certificate checked against the race's own CA and
    /// its name (`sslmode=verify-full`).
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost:{}/race?sslmode=verify-full&sslrootcert={}/ca.crt",
            self.port,
            self.dir.display()
        )
    }

    /// A CA of the race's own and a certificate for `localhost` signed by it (openssl's CLI).
    fn certificates(&self) -> Result<(), String> {
        let dir = &self.dir;
        let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=bloodmobile race CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ])?;
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ])?;
        std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n")
            .map_err(|e| e.to_string())?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ])?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .map_err(|e| e.to_string())?;
        if is_root() {
            run(Command::new("chown")
                .args(["postgres", "server.key", "server.crt"])
                .current_dir(dir))?;
        }
        Ok(())
    }

    pub fn dir(&self) -> String {
        self.dir.display().to_string()
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) -> Result<(), String> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"]))
    }

    /// Stops the server the way an operator or a failing host would: open connections are cut.
    pub fn down(&self) -> Result<(), String> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "60", "stop"]))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
