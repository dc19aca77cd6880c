//! Rendering the built-in profiles: snapshots for review, and the real tools accept the output.
//!
//! Snapshots live in tests/snapshots/<profile>/. After an intended template or profile
//! change, refresh them with `TMCTL_UPDATE_SNAPSHOTS=1 cargo test --test cli render::` and review
//! the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{require_tool, text, Workspace};
use tmctl::profile::{ProfileStore, Variables};
use tmctl::render::{self, templates, RenderOptions};
use tmctl::state::ProjectState;

const PROFILES: [&str; 3] = ["dev", "prod", "extended"];

fn snapshot_dir(profile: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(profile)
}

/// Renders with fixed paths and no environment, so the output is the same everywhere.
fn render_fixed(profile: &str) -> Vec<render::RenderedFile> {
    let store = ProfileStore::new(None, PathBuf::from("/srv/trademaster"));
    let loaded = store
        .load(profile, &Variables::empty())
        .expect("built-in profile loads");
    let project = format!("tm-{profile}");
    let state = ProjectState::new(Path::new("/srv/trademaster/.tmctl"), &project);
    let options = RenderOptions::new(&project, "/srv/trademaster/.tmctl/rendered");
    let registry = templates::registry(None).expect("templates compile");
    render::render_all(&registry, &loaded, &state, &options).expect("profile renders")
}

#[test]
fn rendered_files_match_snapshots() {
    let update = std::env::var_os("TMCTL_UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    for profile in PROFILES {
        let dir = snapshot_dir(profile);
        for file in render_fixed(profile) {
            let path = dir.join(&file.name);
            if update {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("snapshot dir");
                }
                std::fs::write(&path, &file.contents).expect("write snapshot");
                continue;
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            if expected != file.contents {
                mismatches.push(path.display().to_string());
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "rendered output differs from the snapshots (review, then refresh with TMCTL_UPDATE_SNAPSHOTS=1): {mismatches:?}"
    );
}

#[test]
fn each_profile_renders_the_files_it_needs() {
    let names =
        |profile| -> Vec<String> { render_fixed(profile).into_iter().map(|f| f.name).collect() };
    assert_eq!(
        names("dev"),
        [
            "docker-compose.yml",
            "nginx.conf",
            "router.conf",
            ".env.example"
        ]
    );
    assert_eq!(
        names("prod"),
        [
            "docker-compose.yml",
            "nginx.conf",
            "router.conf",
            ".env.example"
        ]
    );
    assert_eq!(
        names("extended"),
        [
            "docker-compose.yml",
            "nginx.conf",
            "router.conf",
            "prometheus.yml",
            "alert-rules.yml",
            "alertmanager.yml",
            "grafana-datasource.yml",
            "grafana-dashboards.yml",
            "dashboards/tmctl-overview.json",
            "dashboards/tmctl-api.json",
            "dashboards/tmctl-jobs.json",
            "dashboards/tmctl-postgres.json",
            "dashboards/tmctl-redis.json",
            "dashboards/tmctl-backups.json",
            ".env.example"
        ]
    );
}

#[test]
fn prod_gateway_redirects_http_and_serves_tls() {
    let nginx = render_fixed("prod")
        .into_iter()
        .find(|file| file.name == "nginx.conf")
        .expect("nginx.conf");
    let conf = nginx.contents;
    assert!(conf.contains("listen 443 ssl"));
    assert!(conf.contains("return 301 https://$host$request_uri;"));
    assert!(conf.contains("location /api/TradeMaster/"));
    assert!(conf.contains("location /api/v1/"));
    assert!(conf.contains("zone=login"));
    assert!(conf.contains("client_max_body_size 200m;"));
}

/// Renders through the CLI into a temporary folder (real secrets and env files).
fn render_with_cli(workspace: &Workspace, profile: &str) -> PathBuf {
    let out = workspace.path().join(format!("out-{profile}"));
    let output = workspace.tmctl(&[
        "render",
        "--profile",
        profile,
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(
        output.status.success(),
        "render failed: {:?}",
        text(&output)
    );
    out
}

#[test]
fn compose_files_are_accepted_by_docker_compose() {
    if !require_tool("docker-compose") {
        return;
    }
    let workspace = Workspace::new();
    for profile in PROFILES {
        let out = render_with_cli(&workspace, profile);
        let output = Command::new("docker-compose")
            .args(["-p", &format!("tm-{profile}"), "-f"])
            .arg(out.join("docker-compose.yml"))
            .args(["config", "-q"])
            .output()
            .expect("run docker-compose");
        assert!(output.status.success(), "{profile}: {:?}", text(&output));
    }
}

fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(status.status.success(), "openssl: {:?}", text(&status));
    (cert, key)
}

#[test]
fn nginx_configs_pass_nginx_t() {
    if !require_tool("nginx") || !require_tool("openssl") {
        return;
    }
    let workspace = Workspace::new();
    let (cert, key) = self_signed_certificate(workspace.path());
    for profile in PROFILES {
        let out = render_with_cli(&workspace, profile);
        for file in ["nginx.conf", "router.conf"] {
            let conf = std::fs::read_to_string(out.join(file)).expect("rendered config");
            // Upstream host names only resolve inside the stack's network; map them to
            // loopback.
            let testable = conf
                .replace("server service:8000", "server 127.0.0.1:8000")
                .replace("/etc/nginx/tls/tls.crt", cert.to_str().expect("utf-8"))
                .replace("/etc/nginx/tls/tls.key", key.to_str().expect("utf-8"));
            let path = out.join(format!("test-{file}"));
            std::fs::write(&path, testable).expect("write test config");
            let output = Command::new("nginx")
                .arg("-t")
                .arg("-c")
                .arg(&path)
                .output()
                .expect("run nginx");
            assert!(
                output.status.success(),
                "{profile} {file}: {:?}",
                text(&output)
            );
        }
    }
}

#[test]
fn prometheus_config_passes_promtool() {
    if !require_tool("promtool") {
        return;
    }
    let workspace = Workspace::new();
    let out = render_with_cli(&workspace, "extended");
    let output = Command::new("promtool")
        .args(["check", "config"])
        .arg(out.join("prometheus.yml"))
        .output()
        .expect("run promtool");
    assert!(output.status.success(), "{:?}", text(&output));
}

#[test]
fn a_template_in_the_working_directory_overrides_the_built_in_one() {
    let workspace = Workspace::new();
    workspace.write(
        "templates/prometheus.yml.hbs",
        "# custom {{project}}\nglobal: {}\n",
    );
    let out = render_with_cli(&workspace, "extended");
    let rendered = std::fs::read_to_string(out.join("prometheus.yml")).expect("prometheus.yml");
    assert_eq!(rendered, "# custom tm-extended\nglobal: {}\n");
}

#[test]
fn a_broken_template_override_is_named() {
    let workspace = Workspace::new();
    workspace.write("templates/nginx.conf.hbs", "{{#if tls}} unclosed");
    let output = workspace.tmctl(&["render", "--profile", "dev"]);
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("templates/nginx.conf.hbs"), "{stderr}");
    assert!(stderr.contains("does not compile"), "{stderr}");
}
