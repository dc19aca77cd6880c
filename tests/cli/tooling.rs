//! Operator tooling through the real binary: exit codes, completions, manual pages.

use std::process::Command;

use crate::support::{require_tool, text, Workspace};

#[test]
fn a_usage_error_exits_neither_0_nor_2() {
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["plan", "--no-such-flag"]);
    let code = output.status.code();
    assert_eq!(code, Some(64), "{:?}", text(&output));
    assert!(text(&output).1.contains("--no-such-flag"), "names the flag");
    let output = workspace.tmctl(&["up", "--scale", "service"]);
    assert_eq!(output.status.code(), Some(64), "{:?}", text(&output));
    let output = workspace.tmctl(&["--help"]);
    assert_eq!(output.status.code(), Some(0), "help is no error");
}

#[test]
fn subcommand_help_lists_global_options_apart() {
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["dynamics", "label", "--help"]);
    let help = text(&output).0;
    let own = help.find("--input").expect("own option listed");
    let heading = help.find("Global options:").expect("global heading");
    let global = help.find("--state-dir").expect("global option listed");
    assert!(own < heading && heading < global, "{help}");
    assert!(
        !help[..heading].contains("--profiles-dir"),
        "no global option among the command's own: {help}"
    );
}

#[test]
fn bash_completion_loads() {
    let tmctl = env!("CARGO_BIN_EXE_tmctl");
    let output = Command::new("bash")
        .args([
            "-c",
            &format!("source <('{tmctl}' completions bash) && complete -p tmctl"),
        ])
        .output()
        .expect("run bash");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("-F") && stdout.ends_with("tmctl\n"),
        "{stdout}"
    );
    for shell in ["zsh", "fish", "powershell"] {
        let output = Workspace::new().tmctl(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {:?}", text(&output));
        assert!(
            text(&output).0.contains("doctor"),
            "{shell} completes commands"
        );
    }
}

fn render_man(page: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("page.1");
    std::fs::write(&path, page).expect("write page");
    let output = Command::new("man")
        .arg("-l")
        .arg(&path)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("run man");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "man -l: {stderr}");
    assert!(!stderr.contains("warning"), "roff warnings: {stderr}");
    stdout
}

#[test]
fn manual_pages_render_with_man() {
    if !require_tool("man") {
        return;
    }
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["man"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let page = render_man(&output.stdout);
    assert!(
        page.contains("tmctl") && page.contains("SUBCOMMANDS"),
        "{page}"
    );
    let output = workspace.tmctl(&["man", "backup", "restore"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let page = render_man(&output.stdout);
    assert!(page.contains("tmctl-backup-restore"), "{page}");
    assert!(page.contains("--yes") || page.contains("-y"), "{page}");
    let output = workspace.tmctl(&["man", "nope"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("pages exist for"),
        "{:?}",
        text(&output)
    );
}
