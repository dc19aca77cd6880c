//! train, train_status, test, test_status.

use axum::extract::State;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::{fail, session, success, TmBody, TmError, TmResult};
use crate::algo::Task;
use crate::datasets::{stem, store};
use crate::db::Db;
use crate::jobs::input::{SessionTrain, TestInput, TrainInput};
use crate::jobs::queue::{self, JobStatus};
use crate::jobs::{self, exec, is_finished, JobInput, JobKind, JobOwner};
use crate::state::AppState;

/// Queues a job in a session, after checking that this build can run it.
pub(super) async fn queue_job(
    app: &AppState,
    session_id: &str,
    input: JobInput,
) -> Result<String, TmError> {
    if let Some(reason) = exec::unavailable(input.kind()) {
        return fail(reason);
    }
    let owner = JobOwner::Session(session_id.to_string());
    Ok(jobs::submit(app, input, owner, true).await?)
}

/// The job's log as one text, and its first plot as base64 PNG ("" when none).
pub(super) async fn log_and_plot(db: &Db, job: &JobStatus) -> Result<(String, String), TmError> {
    let lines = queue::logs(db, &job.id, 0, 10_000).await?;
    let mut text: Vec<String> = lines.into_iter().map(|(_, _, line)| line).collect();
    if let Some(error) = &job.error {
        text.push(format!("error: {error}"));
    }
    text.dedup();
    let mut plot = String::new();
    if job.state == "succeeded" {
        if let Some((_, _, _, names)) = queue::result(db, &job.id).await? {
            if let Some(name) = names.first() {
                if let Some(png) = queue::plot(db, &job.id, name).await? {
                    plot = BASE64.encode(png);
                }
            }
        }
    }
    Ok((text.join("\n"), plot))
}

/// The uploaded dataset a `custom:<name>` names in the session; built-in datasets would be
/// resolved here too, but this service ships none.
pub(super) async fn resolve_dataset(
    app: &AppState,
    dataset_name: &str,
    session_id: Option<&str>,
) -> Result<String, TmError> {
    let Some(custom) = dataset_name.strip_prefix("custom:") else {
        let builtin: Vec<String> = exec::catalog()
            .datasets
            .into_iter()
            .map(|d| d.name)
            .collect();
        return fail(format!(
            "dataset_name {dataset_name:?} is not available; built-in datasets: [{}]; upload a CSV with upload_csv and use custom:<file name> with its session_id",
            builtin.join(", ")
        ));
    };
    let uploaded = match session_id {
        Some(id) => store::latest_of_session(&app.db, id).await?,
        None => None,
    };
    match uploaded {
        Some(dataset) if stem(&dataset.file_name) == custom => Ok(dataset.id),
        _ => fail(format!(
            "dataset_name {dataset_name:?} was not uploaded in this session; call upload_csv first and pass its session_id"
        )),
    }
}

/// Checks task, agent (bare or `task:agent`), optimizer and loss against the catalog.
fn check_choice(request: &SessionTrain) -> Result<(), TmError> {
    let catalog = exec::catalog();
    let task_name = &request.task_name;
    let task = Task::parse(task_name).map_err(|_| {
        TmError(format!(
            "task_name {task_name:?} is not offered; choose one of: {}",
            catalog.tasks.join(", ")
        ))
    })?;
    let agent = &request.agent_name;
    if task.agent(agent).is_err() {
        let allowed: Vec<String> = task
            .agents()
            .iter()
            .map(|a| format!("{}:{a}", task.name()))
            .collect();
        return fail(format!(
            "agent_name {agent:?} is not an agent of {}; choose one of: {}",
            task.name(),
            allowed.join(", ")
        ));
    }
    for (name, value, offered) in [
        (
            "optimizer_name",
            &request.optimizer_name,
            &catalog.optimizers,
        ),
        ("loss_name", &request.loss_name, &catalog.losses),
    ] {
        if !offered.contains(value) {
            return fail(format!(
                "{name} {value:?} is not offered; choose one of: {}",
                offered.join(", ")
            ));
        }
    }
    Ok(())
}

/// Starts training. Besides the original fields it takes `session_id` (to train on a
/// dataset uploaded there), `hyperparameters` (an object, see getParameters' agents) and
/// `seed`.
pub async fn train(State(app): State<AppState>, body: TmBody) -> TmResult {
    let task_name = body.text("task_name")?;
    let dataset_name = body.text("dataset_name")?;
    let agent_name = body.text("agent_name")?;
    let optimizer_name = body.text("optimizer_name")?;
    let loss_name = body.text("loss_name")?;
    let hyperparameters = match body.0.get("hyperparameters") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => return fail("hyperparameters must be a JSON object"),
    };
    let seed = match body.optional_text("seed") {
        None => None,
        Some(seed) => match seed.trim().parse::<u64>() {
            Ok(seed) => Some(seed),
            Err(_) => return fail(format!("seed must be a whole number >= 0, got {seed:?}")),
        },
    };
    let mut request = SessionTrain {
        task_name,
        dataset_name,
        agent_name,
        optimizer_name,
        loss_name,
        start_date: body
            .optional_text("start_date")
            .map(|d| d.trim().to_string()),
        end_date: body.optional_text("end_date").map(|d| d.trim().to_string()),
        hyperparameters,
        seed,
        dataset_id: String::new(),
    };
    check_choice(&request)?;
    let given_session = body.optional_text("session_id");
    if let Some(id) = &given_session {
        session::params(&app.db, id).await?;
    }
    request.dataset_id =
        resolve_dataset(&app, &request.dataset_name, given_session.as_deref()).await?;
    let session_id = session::existing_or_new(&app.db, given_session).await?;
    let input = TrainInput::Session(request);
    if let Ok(Value::Object(fields)) = serde_json::to_value(&input) {
        session::update(&app.db, &session_id, fields).await?;
    }
    queue_job(&app, &session_id, JobInput::Train(input)).await?;
    success(json!({ "info": "request success, start train", "session_id": session_id }))
}

async fn status_of(
    app: &AppState,
    body: &TmBody,
    kind: JobKind,
    end_field: &str,
    plot_field: &str,
) -> TmResult {
    let session_id = body.text("session_id")?;
    session::params(&app.db, &session_id).await?;
    let Some(job) = queue::latest_of_session(&app.db, &session_id, kind).await? else {
        return fail(format!(
            "no {} job was started in session {session_id}",
            kind.as_str()
        ));
    };
    let job = crate::jobs::cached_status(app, &job.id)
        .await?
        .unwrap_or(job);
    let (info, plot) = log_and_plot(&app.db, &job).await?;
    status_answer(&job, info, end_field, [(plot_field, plot)], &session_id)
}

/// A status route's answer: error_code, info, whether the job ended (as `end_field`), the
/// job's `outputs`, then the session.
pub(super) fn status_answer<const N: usize>(
    job: &JobStatus,
    info: String,
    end_field: &str,
    outputs: [(&str, String); N],
    session_id: &str,
) -> TmResult {
    let mut answer = Map::new();
    answer.insert("error_code".into(), json!(jobs::error_code(&job.state)));
    answer.insert("info".into(), json!(info));
    answer.insert(end_field.into(), json!(is_finished(&job.state)));
    for (field, value) in outputs {
        answer.insert(field.into(), json!(value));
    }
    answer.insert("session_id".into(), json!(session_id));
    Ok(axum::Json(Value::Object(answer)))
}

pub async fn train_status(State(app): State<AppState>, body: TmBody) -> TmResult {
    status_of(&app, &body, JobKind::Train, "train_end", "result_plot").await
}

pub async fn test(State(app): State<AppState>, body: TmBody) -> TmResult {
    let session_id = body.text("session_id")?;
    session::params(&app.db, &session_id).await?;
    if let Some(reason) = exec::unavailable(JobKind::Test) {
        return fail(reason);
    }
    let trained = queue::latest_of_session(&app.db, &session_id, JobKind::Train).await?;
    let Some(trained) = trained.filter(|job| job.state == "succeeded") else {
        return fail(format!("session {session_id} has no finished training; call train and wait for train_end first"));
    };
    let input = TestInput::Training {
        train_job_id: trained.id,
    };
    queue_job(&app, &session_id, JobInput::Test(input)).await?;
    success(json!({ "info": "request success, start test", "session_id": session_id }))
}

pub async fn test_status(State(app): State<AppState>, body: TmBody) -> TmResult {
    status_of(&app, &body, JobKind::Test, "test_end", "result_plot").await
}
