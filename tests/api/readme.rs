//! The README's tour, run top to bottom against the real binary, so it cannot rot.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_latchkey");
const README: &str = include_str!("../../README.md");
/// The README's two set-up commands: they start the gateway or the whole suite, so the tour runs beside them.
const SET_UP: [&str; 2] = ["cargo run --release", "tests/run"];
/// Printed before each block, so a failure can be traced to the block that caused it.
const MARKER: &str = "=== tour block ";

/// Every ```sh block, in order; ```console and ```text blocks are for reading only.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "README.md has an unclosed ```sh block");
    blocks
}

/// A block that starts a gateway (`cargo run --release` alone on a line) or runs the suite.
fn is_set_up(block: &str) -> bool {
    block.lines().any(|line| SET_UP.contains(&line.trim()))
}

fn env_of_this_machine(command: &mut Command) -> &mut Command {
    // The tour must not pick up a developer's LATCHKEY_* settings: it documents the defaults.
    command.env_clear();
    for var in ["PATH", "HOME", "LANG", "PYENV_ROOT"] {
        if let Ok(value) = std::env::var(var) {
            command.env(var, value);
        }
    }
    command
}

/// Stops the server however the test ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn the_readme_tour_runs_from_top_to_bottom() {
    assert!(
        Command::new("jq").arg("--version").output().is_ok_and(|o| o.status.success()),
        "the tour needs jq (tests/run installs it)"
    );
    let blocks = sh_blocks(README);
    let set_up: Vec<&String> = blocks.iter().filter(|b| b.lines().count() == 1 && is_set_up(b)).collect();
    assert_eq!(
        set_up.iter().map(|b| b.trim()).collect::<Vec<_>>(),
        SET_UP,
        "the README sets up with exactly two commands: run the gateway, run the tests"
    );
    let tour: Vec<&String> = blocks.iter().filter(|b| !is_set_up(b)).collect();
    assert!(tour.len() >= 8, "the tour lost its blocks: {}", tour.len());
    for block in &tour {
        for line in block.lines().filter(|l| l.contains("curl -")) {
            assert!(
                line.contains("--fail-with-body"),
                "an error answer must stop the tour; add --fail-with-body: {line}"
            );
        }
    }

    // Run from a folder laid out like a checkout: the default settings find ./policies and make ./data.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"), &dir.path().join("policies"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let mut server = Server(
        env_of_this_machine(&mut Command::new(BIN))
            .args(["serve", "--listen", &address])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = server.0.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains("Latchkey is serving")) {
        match lines_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => log.push(line),
            Err(_) => panic!("the server did not start:\n{}", log.join("\n")),
        }
    }

    // An error answer caught by `X=$(curl …)` would stop the tour silently: the wrapper shows it too.
    let mut script = String::from(
        "exec 2>&1\n\
         curl() { local out rc=0; out=$(command curl \"$@\") || rc=$?; printf '%s' \"$out\"; \
         if [ $rc -ne 0 ]; then printf '\\ncurl failed (exit %d): %s\\n' $rc \"$out\" >&2; fi; return $rc; }\n",
    );
    for (index, block) in tour.iter().enumerate() {
        let block = block.replace("localhost:8080", &address).replace("cargo run --release --", "\"$TOUR_LATCHKEY\"");
        script.push_str(&format!("printf '\\n{MARKER}%d\\n' {index}\n{block}"));
    }
    let mut bash = env_of_this_machine(&mut Command::new("bash"))
        .args(["-euo", "pipefail", "-c", &script])
        .env("TOUR_LATCHKEY", BIN)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut output = String::new();
    bash.stdout.take().unwrap().read_to_string(&mut output).unwrap();
    let status = bash.wait().unwrap();
    drop(server);
    log.extend(lines_rx.try_iter());

    if !status.success() {
        let (index, block_output) = output
            .rsplit_once(MARKER)
            .and_then(|(_, rest)| rest.split_once('\n'))
            .and_then(|(index, rest)| Some((index.parse::<usize>().ok()?, rest)))
            .unwrap_or_else(|| panic!("the tour failed ({status}) before its first block:\n{output}"));
        panic!(
            "README tour block {index} failed ({status}):\n--- block ---\n{}--- its output ---\n{block_output}\n\
             --- server log (end) ---\n{}",
            tour[index],
            log[log.len().saturating_sub(30)..].join("\n")
        );
    }
    // What the tour promises its reader, beyond not failing.
    assert!(output.contains("\"state\":\"check_your_email\""), "{output}");
    assert!(output.contains("\"acr\": \"mfa\""), "{output}");
    assert!(output.to_lowercase().contains("x-latchkey-signature: "), "validation answers are signed: {output}");
    assert!(output.contains("\"valid\":true,\"code\":\"VALID\""), "{output}");
    assert!(output.contains("\"verified\":true"), "{output}");
}
