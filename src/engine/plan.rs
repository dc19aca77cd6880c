//! A plan: every step `up` takes, in order, each with the steps it waits for and its cause.
//! Each step is one Engine operation (or one wait); the executor runs them and decides
//! nothing.

use std::fmt;

use serde::Serialize;

pub type StepId = usize;

/// What a container is waiting to become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Running,
    /// The healthcheck passes: the Engine says healthy, or tmctl ran the container's own
    /// healthcheck command and it succeeded (faster than the Engine's interval).
    Healthy,
    /// The Engine itself reports healthy, so `ps` and `health` agree right after.
    EngineHealthy,
    CompletedSuccessfully,
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Readiness::Running => "running",
            Readiness::Healthy => "healthy",
            Readiness::EngineHealthy => "healthy (Engine)",
            Readiness::CompletedSuccessfully => "completed",
        })
    }
}

/// How a container picks up files copied into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReloadKind {
    /// The gateway's edge nginx (public listeners): `nginx -s reload`.
    Nginx,
    /// The gateway's router nginx (upstream servers); with `drain`, also wait until its
    /// old workers have finished their requests and exited.
    NginxRouter { drain: bool },
    /// POST to an HTTP endpoint inside the container (Prometheus, Alertmanager).
    HttpPost { port: u16, path: String },
    /// Restart the container.
    Restart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CreateNetwork {
        network: String,
    },
    CreateVolume {
        volume: String,
    },
    /// A missing bind-mount source on the Engine's host.
    CreateDirectory {
        path: String,
        mode: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<(u32, u32)>,
    },
    /// Create (not start) replica `replica` of the step's service under `container`.
    Create {
        container: String,
        replica: u32,
    },
    /// Copy the service's files into the container; for the gateway, the nginx config with
    /// exactly `upstreams` as servers. Into a running container they are `staged`: put
    /// beside the live ones, which the next reload replaces in the same command, so the
    /// files in place are always the ones loaded.
    CopyFiles {
        container: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        upstreams: Option<Vec<String>>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        staged: bool,
    },
    Reload {
        container: String,
        how: ReloadKind,
    },
    Start {
        container: String,
    },
    WaitReady {
        container: String,
        until: Readiness,
    },
    /// Watch a new replica for a while: it must keep running and stay healthy.
    Monitor {
        container: String,
        seconds: u64,
    },
    Stop {
        container: String,
        grace_seconds: u64,
    },
    Remove {
        container: String,
    },
    Rename {
        container: String,
        to: String,
    },
    /// Wait between two batches of a rolling update.
    Pause {
        seconds: u64,
    },
    /// A deploy hook: a one-off container of the service's new configuration running
    /// `command`; it must exit 0. It is removed afterwards.
    RunHook {
        container: String,
        phase: String,
        command: Vec<String>,
    },
    RemoveNetwork {
        network: String,
    },
    RemoveVolume {
        volume: String,
    },
}

impl Action {
    /// The container, network, volume or path the step acts on.
    pub fn target(&self) -> &str {
        match self {
            Action::CreateNetwork { network } | Action::RemoveNetwork { network } => network,
            Action::CreateVolume { volume } | Action::RemoveVolume { volume } => volume,
            Action::CreateDirectory { path, .. } => path,
            Action::Create { container, .. }
            | Action::CopyFiles { container, .. }
            | Action::Reload { container, .. }
            | Action::Start { container }
            | Action::WaitReady { container, .. }
            | Action::Monitor { container, .. }
            | Action::Stop { container, .. }
            | Action::Remove { container }
            | Action::Rename { container, .. }
            | Action::RunHook { container, .. } => container,
            Action::Pause { .. } => "",
        }
    }

    /// A short verb phrase for people.
    pub fn describe(&self) -> String {
        match self {
            Action::CreateNetwork { .. } => "create network".into(),
            Action::CreateVolume { .. } => "create volume".into(),
            Action::CreateDirectory {
                mode,
                owner: Some((uid, gid)),
                ..
            } => format!("create directory (mode {mode:o}, owner {uid}:{gid})"),
            Action::CreateDirectory { mode, .. } => format!("create directory (mode {mode:o})"),
            Action::Create { .. } => "create".into(),
            Action::CopyFiles {
                upstreams: Some(upstreams),
                staged,
                ..
            } => format!(
                "{} gateway config (upstreams: {})",
                if *staged { "stage" } else { "write" },
                upstreams.join(", ")
            ),
            Action::CopyFiles { staged: true, .. } => "stage files".into(),
            Action::CopyFiles { .. } => "copy files".into(),
            Action::Reload {
                how: ReloadKind::NginxRouter { drain: true },
                ..
            } => "reload gateway router, drain old workers".into(),
            Action::Reload {
                how: ReloadKind::NginxRouter { drain: false },
                ..
            } => "reload gateway router".into(),
            Action::Reload {
                how: ReloadKind::Nginx,
                ..
            } => "reload gateway".into(),
            Action::Reload {
                how: ReloadKind::HttpPost { path, .. },
                ..
            } => format!("reload ({path})"),
            Action::Reload {
                how: ReloadKind::Restart,
                ..
            } => "restart to reload".into(),
            Action::Start { .. } => "start".into(),
            Action::WaitReady { until, .. } => format!("wait until {until}"),
            Action::Monitor { seconds, .. } => format!("monitor {seconds}s"),
            Action::Stop { grace_seconds, .. } => format!("stop (grace {grace_seconds}s)"),
            Action::Remove { .. } => "remove".into(),
            Action::Rename { to, .. } => format!("rename to {to}"),
            Action::Pause { seconds } => format!("pause {seconds}s"),
            Action::RunHook { phase, command, .. } => {
                format!("run {phase} hook `{}`", command.join(" "))
            }
            Action::RemoveNetwork { .. } => "remove network".into(),
            Action::RemoveVolume { .. } => "remove volume".into(),
        }
    }

    /// Waits change nothing; a plan of only waits has nothing to do.
    pub fn changes_something(&self) -> bool {
        !matches!(self, Action::WaitReady { .. } | Action::Monitor { .. })
    }
}

/// Why a step is in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Cause {
    Missing,
    ConfigChanged {
        fields: Vec<String>,
    },
    ImageChanged,
    Stopped,
    FilesChanged,
    ScaleDown {
        replicas: u32,
    },
    Orphan,
    Leftover,
    /// A leftover replacement that already has the wanted configuration takes its slot.
    Adopted,
    /// The gateway's upstream servers change.
    Upstreams,
    /// `tmctl down`.
    Down,
    /// `tmctl down --volumes`.
    DownVolumes,
    /// Dependents need this container ready before they start.
    Dependency {
        dependents: Vec<String>,
    },
    /// `up --wait`.
    WaitRequested,
    /// The service's deploy hooks run around a change of it.
    Hook,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Cause::Missing => f.write_str("missing"),
            Cause::ConfigChanged { fields } => write!(f, "config changed: {}", fields.join(", ")),
            Cause::ImageChanged => f.write_str("image changed"),
            Cause::Stopped => f.write_str("not running"),
            Cause::FilesChanged => f.write_str("files changed"),
            Cause::ScaleDown { replicas } => {
                write!(f, "scale: service wants {replicas} replica(s)")
            }
            Cause::Orphan => f.write_str("orphan: service no longer in the profile"),
            Cause::Leftover => f.write_str("leftover of an interrupted update"),
            Cause::Adopted => f.write_str("leftover replacement already up to date"),
            Cause::Upstreams => f.write_str("upstream servers changed"),
            Cause::Down => f.write_str("down"),
            Cause::DownVolumes => f.write_str("down --volumes: its data is deleted"),
            Cause::Dependency { dependents } => write!(f, "needed by {}", dependents.join(", ")),
            Cause::WaitRequested => f.write_str("--wait"),
            Cause::Hook => f.write_str("the service changes"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub id: StepId,
    #[serde(flatten)]
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Steps that must have finished first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<StepId>,
    pub cause: Cause,
    /// The service is unavailable from this step until its replacement is ready.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub outage: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether running the plan would change anything (waits alone do not).
    pub fn changes_something(&self) -> bool {
        self.steps
            .iter()
            .any(|step| step.action.changes_something())
    }

    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps.get(id.checked_sub(1)?)
    }

    /// Services that are unavailable during part of the plan (stop-first replacements).
    pub fn outages(&self) -> Vec<String> {
        let mut services: Vec<String> = self
            .steps
            .iter()
            .filter(|step| step.outage)
            .filter_map(|step| step.service.clone())
            .collect();
        services.sort();
        services.dedup();
        services
    }

    /// One line per step: `#id action target [after #a,#b] — cause`.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            text.push_str(&format!("#{} {}", step.id, step.action.describe()));
            let target = step.action.target();
            if !target.is_empty() {
                text.push(' ');
                text.push_str(target);
            }
            if !step.after.is_empty() {
                let after: Vec<String> = step.after.iter().map(|id| format!("#{id}")).collect();
                text.push_str(&format!(" after {}", after.join(",")));
            }
            text.push_str(&format!(" — {}", step.cause));
            if step.outage {
                text.push_str(" [outage]");
            }
            text.push('\n');
        }
        text
    }
}
