//! The `mark1` binary: argv -> the headless command line (the window arrives with the panel).

fn main() -> std::process::ExitCode {
    mark1::cli::main()
}
