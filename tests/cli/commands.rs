//! The foundation commands through the real binary: render, config, profiles, secrets.

use crate::support;

use std::os::unix::fs::PermissionsExt;

use crate::support::{text, Workspace};

const PROFILES: [&str; 3] = ["dev", "prod", "extended"];

fn read_secrets(workspace: &Workspace, project: &str) -> Vec<String> {
    let path = workspace
        .path()
        .join(".tmctl")
        .join(project)
        .join("secrets.env");
    std::fs::read_to_string(path)
        .expect("secrets file exists")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('=').map(|(_, value)| value.to_owned()))
        .collect()
}

fn all_files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn secrets_are_generated_private_and_reused() {
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["render", "--profile", "prod"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let first = read_secrets(&workspace, "tm-prod");
    assert_eq!(first.len(), 5);
    assert!(
        first.iter().all(|value| value.len() >= 32),
        "secrets are long"
    );
    let state = workspace.path().join(".tmctl/tm-prod");
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&state.join("secrets.env")), 0o600);
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("env/service.env")), 0o600);

    let again = workspace.tmctl(&["render", "--profile", "prod"]);
    assert!(again.status.success());
    assert_eq!(
        read_secrets(&workspace, "tm-prod"),
        first,
        "secrets are reused"
    );

    let other = workspace.tmctl(&["render", "--profile", "prod", "--project", "tm-other"]);
    assert!(other.status.success());
    let other_secrets = read_secrets(&workspace, "tm-other");
    assert!(
        other_secrets.iter().all(|value| !first.contains(value)),
        "each project has its own"
    );
}

#[test]
fn each_service_env_file_holds_only_its_own_secrets() {
    let workspace = Workspace::new();
    assert!(workspace
        .tmctl(&["render", "--profile", "prod"])
        .status
        .success());
    let env = |service: &str| {
        std::fs::read_to_string(
            workspace
                .path()
                .join(format!(".tmctl/tm-prod/env/{service}.env")),
        )
        .expect("env file")
    };
    assert!(env("redis").contains("REDIS_PASSWORD="));
    assert!(!env("redis").contains("POSTGRES_PASSWORD="));
    assert!(env("postgres").contains("POSTGRES_PASSWORD="));
    assert!(!env("postgres").contains("TMCTL_TOKEN_KEY="));
    assert!(!workspace
        .path()
        .join(".tmctl/tm-prod/env/gateway.env")
        .exists());
}

#[test]
fn no_secret_appears_in_rendered_files_or_output() {
    let workspace = Workspace::new();
    let mut outputs = Vec::new();
    for profile in PROFILES {
        let out = format!("rendered-{profile}");
        for args in [
            vec!["render", "--profile", profile, "--out", out.as_str()],
            vec![
                "render",
                "--profile",
                profile,
                "--json",
                "--out",
                out.as_str(),
            ],
            vec!["config", "--profile", profile],
            vec!["config", "--profile", profile, "--json"],
            vec!["profiles"],
            vec!["-v", "render", "--profile", profile, "--out", out.as_str()],
        ] {
            let output = workspace.tmctl(&args);
            assert!(output.status.success(), "{args:?}: {:?}", text(&output));
            let (stdout, stderr) = text(&output);
            outputs.push(stdout);
            outputs.push(stderr);
        }
    }
    let mut secrets = Vec::new();
    for profile in PROFILES {
        secrets.extend(read_secrets(&workspace, &format!("tm-{profile}")));
    }
    assert_eq!(secrets.len(), 15);
    for profile in PROFILES {
        for file in all_files_under(&workspace.path().join(format!("rendered-{profile}"))) {
            outputs.push(std::fs::read_to_string(&file).expect("rendered file"));
        }
    }
    for secret in &secrets {
        for output in &outputs {
            assert!(
                !output.contains(secret.as_str()),
                "a secret leaked into output or a rendered file"
            );
        }
    }
}

#[test]
fn config_shows_the_merged_profile_with_secrets_redacted() {
    let workspace = Workspace::new();
    workspace.write(".env", "TM_LOG=debug\nTM_HTTP_PORT=18088\n");
    workspace.write(
        "profiles/mine.yaml",
        "extends: dev\nservices:\n  service:\n    environment:\n      API_TOKEN: visible-only-here\n      DATABASE_URL: postgres://tm:hunter2@postgres/tm\n",
    );
    let output = workspace.tmctl(&["config", "--profile", "mine", "--json"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let environment = &value["profile"]["services"]["service"]["environment"];
    assert_eq!(environment["API_TOKEN"], "<redacted>");
    assert_eq!(
        environment["DATABASE_URL"],
        "postgres://tm:<redacted>@postgres/tm"
    );
    assert_eq!(
        environment["RUST_LOG"], "debug",
        ".env beside the profile is read"
    );
    assert_eq!(
        value["profile"]["gateway"]["ports"]["http"],
        "127.0.0.1:18088"
    );
    assert_eq!(value["project"], "tm-mine");
    assert!(!stdout.contains("hunter2") && !stdout.contains("visible-only-here"));
}

#[test]
fn environment_overrides_dotenv() {
    let workspace = Workspace::new();
    workspace.write(".env", "TM_HTTP_PORT=18088\n");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tmctl"))
        .args(["config", "--profile", "dev", "--json"])
        .current_dir(workspace.path())
        .env("TM_HTTP_PORT", "18099")
        .output()
        .expect("run tmctl");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        value["profile"]["gateway"]["ports"]["http"],
        "127.0.0.1:18099"
    );
}

#[test]
fn profiles_lists_built_ins_and_overrides_one_line_each() {
    let workspace = Workspace::new();
    workspace.write(
        "profiles/staging.yaml",
        "extends: prod\ndescription: Staging box\n",
    );
    workspace.write("profiles/dev.yaml", "description: my dev\nservices: {}\n");
    let output = workspace.tmctl(&["profiles"]);
    let (stdout, _) = text(&output);
    assert!(output.status.success());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].starts_with("PROFILE"));
    assert!(stdout
        .lines()
        .any(|l| l.starts_with("staging") && l.contains("Staging box (extends prod)")));
    assert!(stdout
        .lines()
        .any(|l| l.starts_with("dev") && l.contains("profiles/dev.yaml")));
    assert!(stdout
        .lines()
        .any(|l| l.starts_with("extended") && l.contains("built-in")));
}

#[test]
fn profiles_dir_flag_takes_precedence() {
    let workspace = Workspace::new();
    workspace.write(
        "elsewhere/dev.yaml",
        "description: from elsewhere\nservices:\n  s:\n    image: x:1\n",
    );
    let output = workspace.tmctl(&["config", "--profiles-dir", "elsewhere", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["profile"]["description"], "from elsewhere");
}

#[test]
fn unknown_profile_lists_the_available_ones() {
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["config", "--profile", "staging"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("profile `staging` not found"), "{stderr}");
    assert!(
        stderr.contains("dev, prod, extended") || stderr.contains("dev"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn invalid_project_name_is_explained() {
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["render", "--project", "My Project"]);
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("project name `My Project` is not allowed"),
        "{stderr}"
    );
}

#[test]
fn invalid_profile_through_the_cli_names_file_and_line() {
    let workspace = Workspace::new();
    workspace.write(
        "profiles/dev.yaml",
        "services:\n  api:\n    image: x:1\n    replicas: lots\n",
    );
    let output = workspace.tmctl(&["render"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("profiles/dev.yaml:4:5: services.api.replicas"),
        "{stderr}"
    );
}

#[test]
fn no_colour_codes_without_a_terminal_or_with_no_color() {
    let workspace = Workspace::new();
    let output = workspace.tmctl(&["profiles"]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
}

#[test]
fn serve_answers_health() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        listener.local_addr().expect("addr").port()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tmctl"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env(
            "TMCTL_DATA_DIR",
            std::env::temp_dir().join(format!("tmctl-serve-test-{port}")),
        )
        .spawn()
        .expect("start tmctl serve");
    let url = format!("http://127.0.0.1:{port}/health");
    let mut healthy = false;
    for _ in 0..100 {
        if tmctl::commands::probe::get_status(&url, std::time::Duration::from_millis(500)).ok()
            == Some(200)
        {
            healthy = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let probe = support::tmctl_in(&std::env::temp_dir(), &["probe", &url]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(healthy, "tmctl serve did not answer /health");
    assert!(probe.status.success(), "tmctl probe: {:?}", text(&probe));
}
