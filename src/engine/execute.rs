//! Runs a plan: every step whose predecessors have finished is started, so independent
//! steps run at once. The executor makes no decision of its own; after a failure it starts
//! nothing new, lets the running steps finish and reports the failed step.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest, VolumeCreateRequest};
use bollard::Docker;
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::create_body::{create_body, Replica};
use super::deployed_files;
use super::desired::{DesiredState, FileSet};
use super::events::{EventSink, StepEvent, StepStatus};
use super::labels;
use super::ops::{self, engine_error, OpError};
use super::plan::{Action, Plan, Step, StepId};
use super::reload;

pub struct Executor<'a> {
    pub docker: &'a Docker,
    pub project: &'a str,
    /// What container steps create and copy; `None` for plans that only remove (down).
    pub desired: Option<&'a DesiredState>,
    /// Longest wait for one container to become ready.
    pub timeout: Duration,
    pub events: &'a dyn EventSink,
}

#[derive(Debug, thiserror::Error)]
#[error("step #{step} ({action} {target}) failed: {error}")]
pub struct StepFailed {
    pub step: StepId,
    pub action: String,
    pub target: String,
    pub service: Option<String>,
    // Part of the message, so not also reported as a cause.
    pub error: OpError,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub finished: Vec<StepId>,
}

impl<'a> Executor<'a> {
    pub fn new(
        docker: &'a Docker,
        project: &'a str,
        desired: Option<&'a DesiredState>,
        timeout: Duration,
        events: &'a dyn EventSink,
    ) -> Executor<'a> {
        Executor {
            docker,
            project,
            desired,
            timeout,
            events,
        }
    }

    pub async fn run(&self, plan: &Plan) -> Result<Outcome, StepFailed> {
        let mut pending: BTreeMap<StepId, &Step> =
            plan.steps.iter().map(|step| (step.id, step)).collect();
        let mut finished: BTreeSet<StepId> = BTreeSet::new();
        let mut outcome = Outcome::default();
        let mut failure: Option<StepFailed> = None;
        let mut running = FuturesUnordered::new();
        loop {
            if failure.is_none() {
                let ready: Vec<StepId> = pending
                    .values()
                    .filter(|step| step.after.iter().all(|id| finished.contains(id)))
                    .map(|step| step.id)
                    .collect();
                for id in ready {
                    let Some(step) = pending.remove(&id) else {
                        continue;
                    };
                    self.events.emit(&StepEvent::new(
                        step,
                        StepStatus::Started,
                        self.replica(step),
                    ));
                    running.push(async move {
                        let started = Instant::now();
                        (step, self.perform(step).await, started.elapsed())
                    });
                }
            }
            let Some((step, result, took)) = running.next().await else {
                break;
            };
            let status = if result.is_ok() {
                StepStatus::Finished
            } else {
                StepStatus::Failed
            };
            let mut event = StepEvent::new(step, status, self.replica(step));
            event.duration_ms = Some(took.as_millis() as u64);
            match result {
                Ok(()) => {
                    tracing::debug!(step = step.id, action = %step.action.describe(), target = step.action.target(), ?took, "done");
                    finished.insert(step.id);
                    outcome.finished.push(step.id);
                    self.events.emit(&event);
                }
                Err(source) => {
                    event.message = Some(source.to_string());
                    self.events.emit(&event);
                    if failure.is_none() {
                        failure = Some(StepFailed {
                            step: step.id,
                            action: step.action.describe(),
                            target: step.action.target().to_owned(),
                            service: step.service.clone(),
                            error: source,
                        });
                    }
                }
            }
        }
        match failure {
            Some(failure) => Err(failure),
            None => Ok(outcome),
        }
    }

    /// The replica number a step's container stands for.
    fn replica(&self, step: &Step) -> Option<u32> {
        if let Action::Create { replica, .. } = step.action {
            return Some(replica);
        }
        let service = step.service.as_deref()?;
        let prefix = format!("{}-{service}-", self.project);
        let rest = step.action.target().strip_prefix(&prefix)?;
        rest.trim_end_matches(super::reconcile::NEXT_SUFFIX)
            .parse()
            .ok()
    }

    async fn perform(&self, step: &Step) -> Result<(), OpError> {
        let docker = self.docker;
        let service = step.service.as_deref().unwrap_or_default();
        match &step.action {
            Action::CreateNetwork { network } => self.create_network(network).await,
            Action::CreateVolume { volume } => self.create_volume(volume).await,
            Action::CreateDirectory { path, mode, owner } => create_directory(path, *mode, *owner),
            Action::Create { container, replica } => {
                let state = self.desired(container)?;
                let desired = self.service(service, container)?;
                let request = create_body(
                    &desired.spec,
                    &Replica {
                        project: self.project,
                        service,
                        number: *replica,
                        name: container,
                        profile: &state.profile,
                        one_off: false,
                    },
                    &state.secrets,
                );
                ops::create(docker, &request, container).await.map(|_| ())
            }
            Action::RunHook {
                container, command, ..
            } => self.run_hook(service, container, command).await,
            Action::CopyFiles {
                container,
                upstreams,
                staged,
            } => {
                let files = self.files(service, container, upstreams.as_deref())?;
                let mut copies = files.files.clone();
                copies.push(deployed_files::marker(&files));
                if *staged {
                    for file in &mut copies {
                        file.path = format!("{}/{}", reload::STAGING, file.path);
                    }
                }
                ops::upload_files(docker, container, &files.directory, &copies).await
            }
            Action::Reload { container, how } => {
                let directory = self.files_directory(service, container)?;
                reload::reload(docker, container, how, &directory).await
            }
            Action::Start { container } => ops::start(docker, container).await,
            Action::WaitReady { container, until } => {
                ops::wait_ready(docker, container, *until, self.timeout).await
            }
            Action::Monitor { container, seconds } => {
                ops::monitor(docker, container, Duration::from_secs(*seconds)).await
            }
            Action::Stop {
                container,
                grace_seconds,
            } => ops::stop(docker, container, Some(Duration::from_secs(*grace_seconds))).await,
            Action::Remove { container } => ops::remove(docker, container).await,
            Action::Rename { container, to } => ops::rename(docker, container, to).await,
            Action::Pause { seconds } => {
                tokio::time::sleep(Duration::from_secs(*seconds)).await;
                Ok(())
            }
            Action::RemoveNetwork { network } => ops::remove_network(docker, network).await,
            Action::RemoveVolume { volume } => ops::remove_volume(docker, volume).await,
        }
    }

    /// A one-off container of the service's configuration running `command`: it must exit
    /// 0 within the timeout; it is removed either way.
    async fn run_hook(
        &self,
        service: &str,
        container: &str,
        command: &[String],
    ) -> Result<(), OpError> {
        let state = self.desired(container)?;
        let mut spec = self.service(service, container)?.spec.clone();
        // The command runs as written, whatever the image's entrypoint.
        let (program, arguments) = command.split_first().ok_or_else(|| OpError::Other {
            container: container.to_owned(),
            message: "an empty hook command".into(),
        })?;
        spec.entrypoint = Some(vec![program.clone()]);
        spec.command = Some(arguments.to_vec());
        spec.ports.clear();
        spec.healthcheck = None;
        spec.restart = crate::profile::RestartPolicy::No;
        let request = create_body(
            &spec,
            &Replica {
                project: self.project,
                service,
                number: 0,
                name: container,
                profile: &state.profile,
                one_off: true,
            },
            &state.secrets,
        );
        // One left by an interrupted run.
        ops::remove(self.docker, container).await?;
        ops::create(self.docker, &request, container).await?;
        let result = async {
            ops::start(self.docker, container).await?;
            ops::wait_ready(
                self.docker,
                container,
                super::plan::Readiness::CompletedSuccessfully,
                self.timeout,
            )
            .await
        }
        .await;
        ops::remove(self.docker, container).await?;
        result
    }

    fn desired(&self, target: &str) -> Result<&DesiredState, OpError> {
        self.desired.ok_or_else(|| OpError::Other {
            container: target.to_owned(),
            message: "this plan has no desired state to create from".into(),
        })
    }

    fn service(
        &self,
        service: &str,
        container: &str,
    ) -> Result<&super::desired::DesiredService, OpError> {
        self.desired(container)?
            .service(service)
            .ok_or_else(|| OpError::Other {
                container: container.to_owned(),
                message: format!("service `{service}` is not in the desired state"),
            })
    }

    /// Where the service's delivered files live in its containers.
    fn files_directory(&self, service: &str, container: &str) -> Result<String, OpError> {
        match &self.desired(container)?.gateway {
            Some(gateway) if gateway.service == service => Ok(gateway.directory.clone()),
            _ => self
                .service(service, container)?
                .files
                .as_ref()
                .map(|files| files.directory.clone())
                .ok_or_else(|| OpError::Other {
                    container: container.to_owned(),
                    message: format!("service `{service}` has no files to reload"),
                }),
        }
    }

    fn files(
        &self,
        service: &str,
        container: &str,
        upstreams: Option<&[String]>,
    ) -> Result<FileSet, OpError> {
        let failed = |message: String| OpError::Other {
            container: container.to_owned(),
            message,
        };
        match (upstreams, &self.desired(container)?.gateway) {
            (Some(upstreams), Some(gateway)) => gateway.files_for(upstreams).map_err(failed),
            _ => self
                .service(service, container)?
                .files
                .clone()
                .ok_or_else(|| failed(format!("service `{service}` has no files to copy"))),
        }
    }

    async fn create_network(&self, name: &str) -> Result<(), OpError> {
        let desired = self.desired(name)?;
        let Some(network) = desired.networks.iter().find(|n| n.name == name) else {
            return Err(OpError::Other {
                container: name.to_owned(),
                message: "network is not in the desired state".into(),
            });
        };
        let request = NetworkCreateRequest {
            name: network.name.clone(),
            driver: Some("bridge".to_owned()),
            internal: Some(network.internal),
            ipam: network.subnet.clone().map(|subnet| Ipam {
                config: Some(vec![IpamConfig {
                    subnet: Some(subnet),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            labels: Some(self.resource_labels(labels::NETWORK, network.short.clone())),
            ..Default::default()
        };
        self.docker
            .create_network(request)
            .await
            .map(|_| ())
            .map_err(engine_error("cannot create network", name))
    }

    /// Labels of a network or volume of the project: the project, its name in the profile
    /// under `kind`, and this tmctl's version.
    fn resource_labels(
        &self,
        kind: &str,
        short: String,
    ) -> std::collections::HashMap<String, String> {
        std::collections::HashMap::from([
            (labels::PROJECT.to_owned(), self.project.to_owned()),
            (kind.to_owned(), short),
            (
                labels::TMCTL_VERSION.to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
        ])
    }

    async fn create_volume(&self, name: &str) -> Result<(), OpError> {
        let short = self
            .desired(name)?
            .volumes
            .iter()
            .find(|v| v.name == name)
            .map_or_else(|| name.to_owned(), |v| v.short.clone());
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            labels: Some(self.resource_labels(labels::VOLUME, short)),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(engine_error("cannot create volume", name))
    }
}

/// A bind-mount source on this host (the Engine is local when the plan has such a step).
fn create_directory(path: &str, mode: u32, owner: Option<(u32, u32)>) -> Result<(), OpError> {
    let failed = |error: std::io::Error| OpError::Other {
        container: path.to_owned(),
        message: format!("cannot create the bind-mount source directory: {error}"),
    };
    std::fs::create_dir_all(path).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(failed)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(failed)?;
        }
    }
    tracing::info!(path, "created bind-mount source directory");
    Ok(())
}
