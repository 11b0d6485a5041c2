//! Rebuilds when a migration is added: the migrations are embedded in the binary, and a new
//! folder is not a file the compiler read.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
