fn main() -> std::process::ExitCode {
    bloodmobile::cli::main()
}
