//! The logs of a project's containers, merged into one stream of prefixed lines.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::stream::{select_all, BoxStream, StreamExt};

use super::observe::ObservedContainer;

#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub timestamps: bool,
    /// `all` or a number of lines.
    pub tail: String,
    /// Unix seconds.
    pub since: Option<i32>,
}

/// A chunk of output of one container: `prefix` is `service-replica`.
#[derive(Debug, Clone)]
pub struct LogChunk {
    pub prefix: String,
    pub stderr: bool,
    pub text: String,
}

/// One stream over every container's logs; a container whose stream fails yields one
/// chunk saying so on stderr.
pub fn merged(
    docker: &Docker,
    containers: &[ObservedContainer],
    options: &LogOptions,
) -> BoxStream<'static, LogChunk> {
    let streams = containers.iter().map(|container| {
        let mut builder = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(options.follow)
            .timestamps(options.timestamps)
            .tail(&options.tail);
        if let Some(since) = options.since {
            builder = builder.since(since);
        }
        let prefix = format!("{}-{}", container.service, container.number);
        docker
            .logs(&container.name, Some(builder.build()))
            .map(move |chunk| match chunk {
                Ok(output) => LogChunk {
                    prefix: prefix.clone(),
                    stderr: matches!(output, LogOutput::StdErr { .. }),
                    text: String::from_utf8_lossy(&output.into_bytes()).into_owned(),
                },
                Err(error) => LogChunk {
                    prefix: prefix.clone(),
                    stderr: true,
                    text: format!("(log stream ended: {error})\n"),
                },
            })
            .boxed()
    });
    select_all(streams).boxed()
}
